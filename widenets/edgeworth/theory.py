"""Finite-width theory: exact one-hidden-layer cumulants, the deep 1/n recursions, Edgeworth.

Public surface of the theory side of `widenets.edgeworth` (docs/theory/finite-width.md):

- weight laws: `WeightLaw`, `gaussian_weights`, `uniform_weights`, `rademacher_weights`;
- `one_hidden_layer` → `OneLayerCumulants` (exact at every width; Antognini 2019,
  arXiv:1908.10030);
- `mlp_cumulants` → `DeepCumulants` (leading order in 1/n; Roberts–Yaida–Hanin, PDLT,
  arXiv:2106.10165, ch. 4), `parallel_susceptibility`;
- Edgeworth densities: `hermite_e`, `hermite_tensor`, `edgeworth_pdf`, `edgeworth_cdf`,
  `edgeworth_logpdf`, `edgeworth_pdf_multivariate`.
"""
from ._density import edgeworth_cdf as edgeworth_cdf
from ._density import edgeworth_logpdf as edgeworth_logpdf
from ._density import edgeworth_pdf as edgeworth_pdf
from ._density import edgeworth_pdf_multivariate as edgeworth_pdf_multivariate
from ._hermite import hermite_e as hermite_e
from ._hermite import hermite_tensor as hermite_tensor
from ._laws import WeightLaw as WeightLaw
from ._laws import gaussian_weights as gaussian_weights
from ._laws import rademacher_weights as rademacher_weights
from ._laws import uniform_weights as uniform_weights
from ._one_layer import OneLayerCumulants as OneLayerCumulants
from ._one_layer import one_hidden_layer as one_hidden_layer
from ._recursion import DeepCumulants as DeepCumulants
from ._recursion import mlp_cumulants as mlp_cumulants
from ._recursion import parallel_susceptibility as parallel_susceptibility
