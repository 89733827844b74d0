"""Spectral bias of wide networks: kernel spectra on the sphere and what GD learns first.

Infinite-width NNGP/NTK kernels of Dense/activation stacks are dot-product kernels on the
sphere S^{d−1}; the Funk–Hecke formula gives their eigenvalues μ_k on degree-k spherical
harmonics, and the NTK predicts that gradient descent fits degree k at rate (1 − η μ_k) per
step (Jacot et al. 2018, arXiv:1806.07572; Basri et al. 2019, arXiv:1906.00425; Bietti &
Mairal 2019, arXiv:1905.12173; docs/theory/spectral.md).

- :mod:`widenets.spectral.theory` — multiplicities, zonal polynomials, Funk–Hecke eigenvalues
  of any architecture's kernel, reconstruction, decay-exponent fits, frequency dynamics, and
  the kernels of Π-Nets (Choraria et al. 2022, arXiv:2202.13473).
- :mod:`widenets.spectral.empirical` — points and harmonic targets, degree projections of
  residuals and Gram matrices, and finite networks trained by GD/Adam (Snake extrapolation,
  Ziyin et al. 2020, arXiv:2006.08195), to compare against the theory.
"""
from . import empirical as empirical
from . import theory as theory
