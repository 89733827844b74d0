"""Finite-width ensembles and the statistics measured on them (see docs/theory/finite-width.md).

The theory side (`widenets.edgeworth.theory`) predicts the 1/n corrections — the kernel
shift, the fourth and sixth cumulants, the Edgeworth density, NTK fluctuations — of random
MLPs (Roberts, Yaida & Hanin, PDLT, arXiv:2106.10165, ch. 4; Hanin & Nica, arXiv:1909.05989).
This module measures them:

* `sample_preactivations`: preactivations z¹, …, z^{L+1} of M independent networks, either
  with real weight matrices (``method="weights"``) or with the exact conditional-Gaussian
  ("gram") sampler, which is exact for Gaussian weights at any width and any number of inputs.
* `sample_one_hidden_layer`: outputs of one-hidden-layer nets with a general readout law.
* Estimators (`second_moment`, `fourth_cumulant`, `excess_kurtosis`, `sixth_cumulant`,
  `joint_cumulant4`, `covariance`, `batch_means`) returning an `Estimate` (value, stderr). Axis 0 of the
  samples indexes independent networks, axis 1 the (correlated) neurons of one network: the
  neuron average per network is the independent unit, and the SE comes from the delta
  method. All network outputs are symmetric in law (W → −W), so the mean is exactly 0 and
  the estimators use raw moments.
* `ntk_fluctuations`: E[Θ(x, x)] and Var Θ/E[Θ]² of the empirical NTK over initialisations.
* `fit_inverse_width`: weighted least-squares fit of a statistic measured at several widths to
  a₁/n + a₂/n² + …, whose a₁ is what the 1/n theory predicts.

Example::

    zs = sample_preactivations(jax.random.key(0), x, duals.tanh(), (32,) * 4, n_networks=10_000)
    g2 = excess_kurtosis(zs[-1])          # γ₂ of the readout, ≈ 3V/(nK²) (PDLT ch. 4)
    print(g2.value, g2.stderr)
"""
from ._estimators import Estimate as Estimate
from ._estimators import batch_means as batch_means
from ._estimators import covariance as covariance
from ._estimators import excess_kurtosis as excess_kurtosis
from ._estimators import fourth_cumulant as fourth_cumulant
from ._estimators import joint_cumulant4 as joint_cumulant4
from ._estimators import second_moment as second_moment
from ._estimators import sixth_cumulant as sixth_cumulant
from ._fits import InverseWidthFit as InverseWidthFit
from ._fits import fit_inverse_width as fit_inverse_width
from ._ntk_fluctuations import NTKFluctuations as NTKFluctuations
from ._ntk_fluctuations import ntk_fluctuations as ntk_fluctuations
from ._ntk_fluctuations import ntk_network as ntk_network
from ._sampling import sample_one_hidden_layer as sample_one_hidden_layer
from ._sampling import sample_preactivations as sample_preactivations

__all__ = [
    "Estimate",
    "InverseWidthFit",
    "NTKFluctuations",
    "batch_means",
    "covariance",
    "excess_kurtosis",
    "fit_inverse_width",
    "fourth_cumulant",
    "joint_cumulant4",
    "ntk_fluctuations",
    "ntk_network",
    "sample_one_hidden_layer",
    "sample_preactivations",
    "second_moment",
    "sixth_cumulant",
]
