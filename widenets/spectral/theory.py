"""Spectral bias: the Mercer spectrum of infinite-width kernels on the sphere.

**Funk–Hecke.** An NNGP or NTK of a Dense/activation stack, restricted to a sphere, depends on
⟨x, x'⟩ only: K(x, x') = κ(⟨x, x'⟩). Such a kernel is diagonalised by the spherical harmonics
Y_kj (degree k, j = 1..N(d, k)), with eigenvalues given by the Funk–Hecke formula

    μ_k = c_d ∫_{−1}^{1} κ(t) P_k^{(d)}(t) (1 − t²)^{(d−3)/2} dt,   c_d = Γ(d/2)/(√π Γ((d−1)/2)),

P_k^{(d)} = C_k^{((d−2)/2)}/C_k^{((d−2)/2)}(1) the normalised Gegenbauer (zonal) polynomial,
N(d, k) = (2k + d − 2)/k · C(k + d − 3, k − 1) (N(2, k) = 2, N(3, k) = 2k + 1).

**Normalisation.** Harmonics are orthonormal in L² of the uniform *probability* measure σ on
S^{d−1}, so κ(⟨x, y⟩) = Σ_k μ_k Σ_j Y_kj(x) Y_kj(y) = Σ_k μ_k N(d, k) P_k^{(d)}(⟨x, y⟩), and the
eigenvalues of the Gram matrix K/n of n uniform points converge to μ_k, each N(d, k) times.
Under full-batch gradient descent on ½·mean_i (f(x_i) − y_i)² the residual along degree k then
shrinks by (1 − η μ_k) per step: degrees with large μ_k are learned first (spectral bias).

**Architectures.** `dot_product_kernel` reads κ off a `widenets.stax` kernel_fn for inputs of
norm 1 (stax divides the input kernel by d, as neural-tangents does; ``radius=√d`` gives the
unit-variance convention). For the bias-free two-layer ReLU NTK the odd coefficients with
k ≥ 3 vanish and μ_k ~ k^{−d} for even k (Bietti & Mairal 2019), reached slowly: the fitted
slope over k ∈ [12, 40] is −2.97 (d = 3), −3.87 (d = 4), and −2.99, −3.98 over [100, 300].
Π-Nets (multiplicative interactions, Choraria et al. 2022) and Snake activations (Ziyin et al.
2020) move NTK mass towards higher degrees.

Numerics: zonal polynomials by the stable three-term recurrence of the normalised polynomials;
Funk–Hecke integrals by Gauss–Legendre in θ = arccos t (exponentially accurate even for
arc-cosine kernels, whose t-integrands have √(1 ∓ t) endpoint singularities; measured error
at the rounding floor, 1e−16–4e−14·μ_0, up to k = 200) or Gauss–Gegenbauer in t (exact for
polynomials, algebraically convergent for arc-cosine kernels).

References:
  * Jacot, Gabriel & Hongler 2018, Neural Tangent Kernel, arXiv:1806.07572.
  * Basri, Jacobs, Kasten & Kritchman 2019, The convergence rate of neural networks for learned
    functions of different frequencies, arXiv:1906.00425.
  * Bietti & Mairal 2019, On the inductive bias of neural tangent kernels, arXiv:1905.12173.
  * Choraria, Dadi, Chrysos, Mairal & Cevher 2022, The spectral bias of polynomial neural
    networks, arXiv:2202.13473 (Π-Nets).
  * Ziyin, Hartwig & Ueda 2020, Neural networks fail to learn periodic functions and how to fix
    it, arXiv:2006.08195 (Snake).
"""
from __future__ import annotations

from widenets.spectral._funk_hecke import QUADRATURES as QUADRATURES
from widenets.spectral._funk_hecke import dot_product_kernel as dot_product_kernel
from widenets.spectral._funk_hecke import fit_decay_exponent as fit_decay_exponent
from widenets.spectral._funk_hecke import frequency_dynamics as frequency_dynamics
from widenets.spectral._funk_hecke import funk_hecke_eigenvalues as funk_hecke_eigenvalues
from widenets.spectral._funk_hecke import reconstruct_kernel as reconstruct_kernel
from widenets.spectral._funk_hecke import spectrum as spectrum
from widenets.spectral._sphere import multiplicity as multiplicity
from widenets.spectral._sphere import zonal_polynomial as zonal_polynomial

# Π-Nets: finite network and exact infinite-width kernels (widenets/spectral/_pinet.py)
from widenets.spectral._pinet import PiNet as PiNet
from widenets.spectral._pinet import pinet_kernel as pinet_kernel

__all__ = [
    "QUADRATURES",
    "PiNet",
    "dot_product_kernel",
    "fit_decay_exponent",
    "frequency_dynamics",
    "funk_hecke_eigenvalues",
    "multiplicity",
    "pinet_kernel",
    "reconstruct_kernel",
    "spectrum",
    "zonal_polynomial",
]
