"""Symmetric eigendecomposition of a training kernel and the matrix functions built on it.

Every predictor here is a function of one symmetric PSD matrix K (M × M, the training kernel
after the optional diagonal regulariser) applied to vectors. With K = V diag(λ) Vᵀ
(``jnp.linalg.eigh``) and s = η t / |y| (|y| = ``y_train.size``, NT's mean-loss scaling),

    decay_s(K) = exp(−s K)                     = V diag(e^{−s λ}) Vᵀ,
    flow_s(K)  = K⁻¹ (I − exp(−s K))          = V diag(g_s(λ)) Vᵀ,   g_s(λ) = −expm1(−s λ)/λ.

g_s is evaluated with ``expm1`` (no cancellation for small s λ) and has the finite limit
g_s(0) = s, so a singular or nearly singular kernel gives finite outputs for every finite t.

Conventions for the numerically zero part of the spectrum (documented in the public docstrings):

* **PSD check** (on K + diag_reg·I). Eigenvalues below −``psd_rtol``·max|λ|, ``psd_rtol`` = √eps
  of the dtype (1.5e-8 in float64, 3.5e-4 in float32), mean the kernel is not PSD: `ValueError`.
  Eigenvalues above that (rounding) are clipped to 0.
* **Cutoff.** Eigenvalues λ ≤ M·eps·λ_max (the rank cutoff of ``numpy.linalg.matrix_rank`` and
  ``pinv``) are treated as exactly 0: e^{−sλ} = 1 and g_s = s. At t = ∞ they are dropped,
  g_∞(λ) = 1/λ above the cutoff and 0 below, i.e. flow_∞(K) = K⁺, the pseudo-inverse: the
  minimum-norm interpolant, which is the t → ∞ limit of gradient flow from f0 in the range
  of K. In float64 a kernel with condition number 1e12 is well above the cutoff and is
  inverted exactly as far as its conditioning allows.
* **Symmetry.** ``(K + Kᵀ)/2`` is used; asymmetry above √eps·max|K| is an error (a kernel that
  is not symmetric is not a training kernel; rounding-level asymmetry is not an error).

Value checks need concrete arrays; under ``jax.jit`` they are skipped (see `_validation`).
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array
HIGHEST = jax.lax.Precision.HIGHEST


def concrete(x: Array) -> np.ndarray | None:
    """``x`` as numpy if its values are known (not traced under jit/vmap), else None."""
    try:
        return np.asarray(x)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        return None


def psd_rtol(dtype) -> float:
    """Relative tolerance for negative eigenvalues (and for asymmetry): √eps of ``dtype``."""
    return float(np.sqrt(np.finfo(dtype).eps))


def check_symmetric(name: str, k: Array) -> None:
    """Raise if the square matrix ``k`` is asymmetric beyond √eps·max|k| (concrete ``k`` only)."""
    kn = concrete(k)
    if kn is not None and kn.size:
        scale = float(np.max(np.abs(kn)))
        asym = float(np.max(np.abs(kn - kn.T)))
        tol = psd_rtol(kn.dtype) * scale
        if asym > tol:
            raise ValueError(
                f"`{name}` must be symmetric: max|K - Kᵀ| = {asym:.3g} exceeds "
                f"{tol:.3g} (= √eps·max|K|). Did you pass a test-train kernel?"
            )


def regularize(k: Array, diag_reg: float, absolute: bool) -> Array:
    """K + r I with r = ``diag_reg`` (absolute) or ``diag_reg`` · trace(K)/M (NT's relative scale)."""
    m = k.shape[0]
    scale = diag_reg if absolute else diag_reg * jnp.trace(k) / m
    return k + scale * jnp.eye(m, dtype=k.dtype)


class Eigh(NamedTuple):
    """Eigendecomposition of a symmetric PSD matrix, numerically-zero eigenvalues set to 0.

    Attributes:
      evals: (M,) eigenvalues, ascending; those at or below the cutoff are exactly 0.
      evecs: (M, M) orthonormal eigenvectors (columns).
    """

    evals: Array
    evecs: Array

    def apply(self, fvals: Array, b: Array) -> Array:
        """V diag(f) Vᵀ b for spectral values ``fvals`` (T, M) and ``b`` (M, C) → (T, M, C)."""
        coef = jnp.matmul(self.evecs.T, b, precision=HIGHEST)
        return jnp.einsum("mi,ti,ic->tmc", self.evecs, fvals, coef, precision=HIGHEST)

    def matrix(self, fvals: Array) -> Array:
        """V diag(f) Vᵀ for ``fvals`` (T, M) → (T, M, M)."""
        return jnp.einsum("mi,ti,ni->tmn", self.evecs, fvals, self.evecs, precision=HIGHEST)


@functools.partial(jax.jit, static_argnames="absolute")
def _eigh(k: Array, diag_reg: float, absolute: bool) -> tuple[Array, Array]:
    k = regularize((k + k.T) / 2, diag_reg, absolute)
    return jnp.linalg.eigh(k)


@jax.jit
def _cut(evals: Array) -> Array:
    cutoff = evals.shape[0] * jnp.finfo(evals.dtype).eps * jnp.maximum(evals[-1], 0)
    return jnp.where(evals > cutoff, evals, jnp.zeros_like(evals))


def decompose(name: str, k: Array, diag_reg: float = 0.0, absolute: bool = False) -> Eigh:
    """Symmetrise, regularise and diagonalise the (M, M) training kernel ``k`` (see module doc)."""
    check_symmetric(name, k)  # (K + Kᵀ)/2 itself is taken inside `_eigh`
    evals, evecs = _eigh(k, diag_reg, absolute)
    ev = concrete(evals)
    if ev is not None and ev.size:
        if not np.all(np.isfinite(ev)):
            raise ValueError(f"`{name}`: the eigendecomposition failed (non-finite eigenvalues).")
        top = float(np.max(np.abs(ev)))
        tol = psd_rtol(ev.dtype)
        if ev[0] < -tol * top:
            raise ValueError(
                f"`{name}` is not positive semi-definite: its smallest eigenvalue "
                f"{ev[0]:.3g} is below -{tol:.2g}·max|λ| = {-tol * top:.3g} (tolerance √eps of "
                f"{ev.dtype}). Kernels are PSD; pass `diag_reg` > {-ev[0]:.3g} "
                "(with `diag_reg_absolute_scale=True`) if this is rounding."
            )
    return Eigh(_cut(evals), evecs)


def _split(evals: Array, s: Array) -> tuple[Array, Array, Array, Array]:
    """Broadcast evals (M,) against times s (T,) → (T, M) helpers: positive mask, safe λ, s, inf mask."""
    lam = evals[None, :]
    s = s[:, None]
    pos = lam > 0
    lam_safe = jnp.where(pos, lam, jnp.ones_like(lam))
    return pos, lam_safe, s, jnp.isinf(s)


def decay(evals: Array, s: Array) -> Array:
    """e^{−s λ}, (T, M); 1 on the zero eigenvalues (also at s = ∞)."""
    pos, lam_safe, s, _ = _split(evals, s)
    return jnp.where(pos, jnp.exp(-s * lam_safe), jnp.ones_like(lam_safe * s))


def flow(evals: Array, s: Array) -> Array:
    """g_s(λ) = (1 − e^{−s λ})/λ, (T, M), with g_s(0) = s; at s = ∞: 1/λ, and 0 on λ = 0."""
    pos, lam_safe, s, inf = _split(evals, s)
    finite = jnp.where(pos, -jnp.expm1(-s * lam_safe) / lam_safe, s * jnp.ones_like(lam_safe))
    infinite = jnp.where(pos, 1 / lam_safe, jnp.zeros_like(lam_safe))
    return jnp.where(inf, infinite, finite)


def check_times(t, dtype) -> np.ndarray | Array:
    """``t`` (scalar or any-shape array of times ≥ 0; +inf allowed) as a ``dtype`` array (numpy
    when concrete, so no device work is spent on it; a traced array under jit, unchecked)."""
    if isinstance(t, (str, bytes, bool)):
        raise TypeError(f"`t` must be None, a number or an array of numbers, got {t!r}.")
    arr = concrete(t)
    if arr is None:
        return jnp.asarray(t).astype(dtype)
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"`t` must be None, a number or an array of real numbers, got dtype {arr.dtype}.")
    arr = arr.astype(dtype)
    if np.any(np.isnan(arr)):
        raise ValueError("`t` contains NaN.")
    if np.any(arr < 0):
        raise ValueError(f"`t` must be >= 0 (training time), got min(t) = {arr.min()}.")
    return arr
