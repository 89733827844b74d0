"""Splitting functions sampled on a sphere into spherical-harmonic degrees.

For samples r = (r(x_1), …, r(x_n)) the component of degree k is measured by the projector

    Π_k = (N(d, k)/n) · P_k^{(d)}(X Xᵀ)        (n × n, entrywise P_k),

the empirical reproducing kernel of the degree-k harmonics H_k (addition theorem:
Σ_j Y_kj(x) Y_kj(y) = N(d, k) P_k^{(d)}(⟨x, y⟩) for an L²(σ)-orthonormal basis {Y_kj}), and

    ‖r_k‖² = (1/n) rᵀ Π_k r,

the mean square over the sample of the degree-k part (for r ∈ H_k sampled exactly, → ‖r‖²_{L²(σ)}).

* **Circle, equispaced points** (x_j at angles θ₀ + 2πj/n): Π_k is *exactly* the orthogonal
  projector onto the Fourier modes ±k for 0 ≤ k < n/2 (discrete orthogonality of cos kθ_j,
  sin kθ_j), and ‖r_k‖² = |ĉ_k|² + |ĉ_{−k}|² with ĉ = FFT(r)/n; `degree_projection` uses the FFT.
  Every rotation-invariant Gram matrix K_ij = κ(cos(θ_i − θ_j)) is then circulant: its
  eigenvectors are the Fourier modes and (`circle_gram_eigenvalues`) the eigenvalue of K/n on
  mode ±k is the DFT

      λ_k = (1/n) Σ_{j<n} κ(cos 2πj/n) cos(2πjk/n) = Σ_{m ∈ Z} μ_{|k + m n|},

  i.e. the trapezoid rule for the Funk–Hecke μ_k = (1/2π)∫κ(cos θ) cos kθ dθ, equal to μ_k up
  to the aliased tail Σ_{m≠0} μ_{|k+mn|} (spectral accuracy in n for analytic κ(cos θ), ∝ n^{−2}
  for the ReLU NTK whose μ_k ~ k^{−2} on the circle).
* **Sphere, any points**: Π_k is an orthogonal projector only in the limit n → ∞ (Π_k Π_l →
  δ_kl Π_k is Monte-Carlo quadrature of the orthogonality of zonal functions, error
  O(√(N(d,k) N(d,l)/n))). `projector_defect` measures max_{k,l} ‖Π_k Π_l − δ_kl Π_k‖₂ at
  the given points; read projected norms as accurate to about that relative amount.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import as_float_array, check_choice, check_int
from ._sphere import multiplicity, zonal_table

METHODS = ("auto", "fft", "projector")
_EQUISPACED_ATOL = 1e-9


def _points(x: Any) -> np.ndarray:
    x = np.asarray(as_float_array("x", x, min_ndim=2), dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"`x` must be (n, d) points on S^(d-1) with d >= 2, got shape {x.shape}.")
    norms = np.linalg.norm(x, axis=1)
    if not np.allclose(norms, 1.0, rtol=0, atol=1e-6):
        raise ValueError(
            f"`x` must hold unit-norm points (the harmonic projectors assume the unit sphere); "
            f"norms range over [{norms.min():.6g}, {norms.max():.6g}]."
        )
    return x


def is_equispaced_circle(x: Any) -> bool:
    """Whether ``x`` (n, 2) are the points θ₀ + 2πj/n, j = 0..n−1, in this order."""
    x = _points(x)
    if x.shape[1] != 2:
        return False
    n = x.shape[0]
    theta0 = math.atan2(x[0, 1], x[0, 0])
    theta = theta0 + 2.0 * math.pi * np.arange(n) / n
    expected = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return bool(np.max(np.abs(expected - x)) <= _EQUISPACED_ATOL)


def degree_projectors(x: Any, k_max: int) -> np.ndarray:
    """Π_0, …, Π_{k_max}: ``(k_max + 1, n, n)``, Π_k = (N(d, k)/n) P_k^{(d)}(X Xᵀ) (module docstring)."""
    x = _points(x)
    k_max = check_int("k_max", k_max, minimum=0)
    n, d = x.shape
    table = zonal_table(k_max, d, np.clip(x @ x.T, -1.0, 1.0))
    return multiplicity(d, np.arange(k_max + 1))[:, None, None] * table / n


def projector_defect(x: Any, k_max: int) -> float:
    """max_{k,l ≤ k_max} ‖Π_k Π_l − δ_kl Π_k‖₂ (spectral norm) of the projectors at ``x``.

    0 (to rounding) for equispaced circle points with k_max < n/2; for uniform random points
    it shrinks roughly like n^{−1/2} (measured, d = 3, k_max = 6: 0.35 at n = 500, 0.18 at
    n = 1500), so the projected squared norms of `degree_projection` are off by up to this
    fraction of ‖r‖². Cost O(k_max² n³): meant for n up to a few hundred.
    """
    p = degree_projectors(x, k_max)
    worst = 0.0
    for k in range(p.shape[0]):
        for l in range(k, p.shape[0]):
            m = p[k] @ p[l] - (p[k] if k == l else 0.0)
            worst = max(worst, float(np.linalg.norm(m, 2)))
    return worst


def _residual_matrix(residual: Any, n: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """``residual`` (..., n) or (..., n, 1) as (B, n) float64, and its leading shape."""
    r = np.asarray(as_float_array("residual", residual, min_ndim=1), dtype=np.float64)
    if r.ndim >= 2 and r.shape[-1] == 1 and r.shape[-2] == n:
        r = r[..., 0]
    if r.shape[-1] != n:
        raise ValueError(
            f"`residual` must have shape (..., n) or (..., n, 1) with n = {n} points (rows of `x`), "
            f"got {np.shape(residual)}."
        )
    lead = r.shape[:-1]
    return r.reshape(-1, n), lead


def degree_projection(residual: Any, x: Any, k_max: int, method: str = "auto") -> np.ndarray:
    """Mean-square norm ‖r_k‖² = (1/n) rᵀ Π_k r of the degree-k part of ``residual``, k ≤ k_max.

    Args:
      residual: values at the points, ``(..., n)`` or ``(..., n, 1)`` (e.g. the (T, n, 1)
        residuals f_t − y of a training run).
      x: ``(n, d)`` unit-norm points.
      k_max: largest degree ≥ 0; on the circle with the FFT, k_max < n/2.
      method: ``"fft"`` (equispaced circle only: exact, O(n log n)), ``"projector"`` (Π_k
        above, any points; exact only as n → ∞, see `projector_defect`), or ``"auto"``
        (FFT when ``x`` is an equispaced circle).

    Returns:
      float64 array ``(..., k_max + 1)`` of squared norms; for equispaced circle points
      Σ_{k<n/2} ‖r_k‖² (+ the Nyquist term) = mean(r²) (Parseval).
    """
    x = _points(x)
    k_max = check_int("k_max", k_max, minimum=0)
    method = check_choice("method", method, METHODS)
    n, d = x.shape
    r, lead = _residual_matrix(residual, n)
    equispaced = d == 2 and is_equispaced_circle(x)
    if method == "auto":
        method = "fft" if equispaced else "projector"
    if method == "fft":
        if not equispaced:
            raise ValueError("`method='fft'` needs equispaced circle points (see `circle_points`).")
        if not 2 * k_max < n:
            raise ValueError(f"`k_max` must be < n/2 = {n / 2:g} for the FFT on {n} points, got {k_max}.")
        # ĉ_k for k = 0..n/2 (ĉ_{-k} = conj ĉ_k); |ĉ_k| does not depend on the starting angle θ₀
        c = np.fft.rfft(r, axis=-1) / n
        power = np.abs(c[:, : k_max + 1]) ** 2
        power[:, 1:] *= 2.0
        return power.reshape(lead + (k_max + 1,))
    p = degree_projectors(x, k_max)
    out = np.einsum("bi,kij,bj->bk", r, p, r) / n
    return out.reshape(lead + (k_max + 1,))


def degree_rayleigh_quotients(gram: Any, x: Any, k_max: int) -> np.ndarray:
    """λ̂_k = tr(Π_k (K/n) Π_k) / tr(Π_k): the mean eigenvalue of K/n on the degree-k space.

    For an equispaced circle and a circulant K this is exactly the eigenvalue on the Fourier
    modes ±k (`circle_gram_eigenvalues`); for a finite network's empirical NTK Θ̂ (not exactly
    circulant) it is the average of the Rayleigh quotients cᵀ(Θ̂/n)c over the orthonormal
    modes c = cos kθ, sin kθ (normalised in R^n), the rate at which linearised GD shrinks
    the degree-k residual, up to the small off-diagonal coupling of Θ̂ between degrees.

    Args:
      gram: ``(n, n)`` kernel matrix on ``x``.
      x: ``(n, d)`` unit-norm points.
      k_max: largest degree ≥ 0 (< n/2 on an equispaced circle).

    Returns:
      float64 array ``(k_max + 1,)``.
    """
    x = _points(x)
    n = x.shape[0]
    gram = np.asarray(as_float_array("gram", gram, min_ndim=2), dtype=np.float64)
    if gram.shape != (n, n):
        raise ValueError(f"`gram` must be ({n}, {n}) on the {n} points of `x`, got {gram.shape}.")
    k_max = check_int("k_max", k_max, minimum=0)
    if x.shape[1] == 2 and is_equispaced_circle(x) and not 2 * k_max < n:
        raise ValueError(f"`k_max` must be < n/2 = {n / 2:g} on {n} equispaced points, got {k_max}.")
    p = degree_projectors(x, k_max)
    num = np.einsum("kij,jl,kli->k", p, gram / n, p)
    return num / np.einsum("kii->k", p)


def unit_degree_contributions(features: Any, x: Any, k_max: int) -> np.ndarray:
    """Per-hidden-unit terms of the degree-k Rayleigh quotients of an empirical NTK.

    For a network whose NTK is a sum over m hidden units, Θ̂ = Σ_i Σ_a F_{·ai} F_{·ai}ᵀ with
    F_{·ai} = ∂f(x_·)/∂θ_{ai} the derivative along unit i's a-th parameter (a two-layer network
    f = Σ_i v_i φ(w_i·x)/√m: θ_i = (w_i, v_i)), the degree-k quotient of
    `degree_rayleigh_quotients` is the mean over units of

        s_k(i) = m · Σ_a F_{·ai}ᵀ Π_k F_{·ai} / (n · tr Π_k).

    With i.i.d. units (one hidden layer, NTK parameterisation) the s_k(i) are i.i.d. with mean
    E s_k = the degree-k quotient of E Θ̂ = Θ, so mean ± SD/√m is an unbiased estimate with its
    standard error: the finite-width fluctuation of the NTK spectrum, O(m^{−1/2}).

    Args:
      features: ``(n, q, m)`` per-unit parameter derivatives at the n points.
      x: ``(n, d)`` unit-norm points.
      k_max: largest degree.

    Returns:
      float64 array ``(k_max + 1, m)``.
    """
    x = _points(x)
    n = x.shape[0]
    f = np.asarray(as_float_array("features", features, min_ndim=3), dtype=np.float64)
    if f.ndim != 3 or f.shape[0] != n:
        raise ValueError(f"`features` must be (n, q, m) with n = {n} points, got shape {f.shape}.")
    p = degree_projectors(x, k_max)
    m = f.shape[2]
    quad = np.einsum("kij,iam,jam->km", p, f, f)
    return m * quad / (n * np.einsum("kii->k", p)[:, None])


def circle_gram_eigenvalues(kappa: Any, n: int, k_max: int | None = None) -> np.ndarray:
    """Eigenvalues λ_k of K/n, K_ij = κ(cos(θ_i − θ_j)), on n equispaced circle points.

    λ_k = (1/n) Σ_{j<n} κ(cos 2πj/n) cos(2πjk/n) = Σ_{m∈Z} μ_{|k+mn|} (module docstring): the
    exact finite-n eigenvalue on the Fourier modes ±k, the Funk–Hecke μ_k plus its aliases.

    Args:
      kappa: vectorised callable t ↦ κ(t) on [−1, 1] (e.g. `theory.dot_product_kernel`).
      n: number of points ≥ 1.
      k_max: largest degree (default ⌊n/2⌋).

    Returns:
      float64 array ``(k_max + 1,)``.
    """
    if not callable(kappa):
        raise TypeError(f"`kappa` must be a callable t -> kappa(t), got {type(kappa).__name__}.")
    n = check_int("n", n, minimum=1)
    k_max = n // 2 if k_max is None else check_int("k_max", k_max, minimum=0)
    if k_max > n // 2:
        raise ValueError(f"`k_max` must be <= n/2 = {n // 2} (aliasing), got {k_max}.")
    values = np.asarray(kappa(np.cos(2.0 * math.pi * np.arange(n) / n)), dtype=np.float64)
    if values.shape != (n,):
        raise ValueError(f"`kappa` must map ({n},) cosines to ({n},) values, got {values.shape}.")
    return np.real(np.fft.rfft(values))[: k_max + 1] / n
