"""Finite-width (1/n) corrections: cumulants, the 4-point vertex recursion, Edgeworth densities.

The NNGP is the n → ∞ limit; at width n a network's outputs have O(1/n) fourth cumulants, an
O(1/n) shifted mean kernel and an Edgeworth-corrected density (Antognini 2019,
arXiv:1908.10030; Roberts, Yaida & Hanin, *The Principles of Deep Learning Theory*,
arXiv:2106.10165, ch. 4). Conventions: z¹ = b + W x, z^{ℓ+1} = b + W σ(z^ℓ),
Var W = C_W/fan_in, Var b = C_b (see docs/theory/finite-width.md).

- :mod:`widenets.edgeworth.theory` — exact one-hidden-layer cumulants for any symmetric
  output-weight law, the deep 1/n recursions (K, V, K¹, χ∥; several inputs), Hermite tensors
  and Edgeworth densities.
- :mod:`widenets.edgeworth.empirical` — ensembles of finite networks at initialisation (real
  weight matrices, or the exact conditional-Gaussian "gram" sampler), cumulant estimators with
  delta-method standard errors clustered by network, NTK fluctuations, 1/n fits.
"""
from . import empirical as empirical
from . import theory as theory
