"""Mercer spectra of dot-product kernels on the sphere by the Funk–Hecke formula.

A kernel K(x, y) = κ(⟨x, y⟩) on S^{d−1} is diagonalised by spherical harmonics:

    κ(⟨x, y⟩) = Σ_k μ_k Σ_{j ≤ N(d,k)} Y_kj(x) Y_kj(y) = Σ_k μ_k N(d, k) P_k^{(d)}(⟨x, y⟩),

with {Y_kj} orthonormal in L²(σ), σ the uniform *probability* measure on S^{d−1}, and

    μ_k = c_d ∫_{−1}^{1} κ(t) P_k^{(d)}(t) (1 − t²)^{(d−3)/2} dt,   c_d = Γ(d/2)/(√π Γ((d−1)/2))

(Funk–Hecke; Basri et al. 2019, arXiv:1906.00425; Bietti & Mairal 2019, arXiv:1905.12173).
With this normalisation the integral operator f ↦ ∫ K(·, y) f(y) dσ(y) has eigenvalue μ_k with
multiplicity N(d, k), so the eigenvalues of the Gram matrix K/n of n i.i.d. uniform points
converge to the μ_k (each N(d, k) times). d = 2: μ_k = (1/2π) ∫_{−π}^{π} κ(cos θ) cos kθ dθ.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from widenets import stax
from widenets._validation import check_choice, check_float, check_int
from widenets.spectral._sphere import (
    check_dim,
    gauss_gegenbauer,
    gauss_theta,
    multiplicity,
    zonal_table,
)

Kappa = Callable[[np.ndarray], Any]
QUADRATURES = ("theta", "gegenbauer")
#: relative size below which a coefficient counts as zero in `fit_decay_exponent`
TINY = 1e-12
#: `dot_product_kernel` evaluates kernel_fn on batches of a multiple of this many points
_BUCKET = 512


# ----------------------------------------------------------------------------- kernels


def _as_kernel_fn(layer_or_kernel_fn: Any, name: str) -> Callable[..., Any]:
    """A stax ``kernel_fn``, given either itself or a layer triple ``(init, apply, kernel_fn)``."""
    if isinstance(layer_or_kernel_fn, stax.Layer):
        layer_or_kernel_fn = layer_or_kernel_fn.kernel_fn
    elif isinstance(layer_or_kernel_fn, tuple) and len(layer_or_kernel_fn) == 3:
        layer_or_kernel_fn = layer_or_kernel_fn[2]
    if not callable(layer_or_kernel_fn):
        raise TypeError(
            f"`{name}` must be a stax layer (init_fn, apply_fn, kernel_fn) or its kernel_fn, "
            f"got {type(layer_or_kernel_fn).__name__}."
        )
    return layer_or_kernel_fn


def _pair_points(t: np.ndarray, d: int, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """x = r e₁ (1, d) and x'_j = r (t_j e₁ + √(1 − t_j²) e₂) (m, d): ⟨x, x'_j⟩ = r² t_j."""
    x1 = np.zeros((1, d))
    x1[0, 0] = radius
    x2 = np.zeros((t.size, d))
    x2[:, 0] = radius * t
    x2[:, 1] = radius * np.sqrt(np.clip(1.0 - t * t, 0.0, None))
    return x1, x2


def dot_product_kernel(
    kernel_fn: Any, d: int, get: str = "ntk", *, radius: float = 1.0, check: bool = True
) -> Callable[[Any], np.ndarray]:
    """κ(t) of an infinite-width architecture, as a function of the cosine t = ⟨x, x'⟩.

    The points are x = r e₁ and x' = r (t e₁ + √(1 − t²) e₂) in R^d with r = ``radius``; the
    default r = 1 means **inputs of norm 1 on S^{d−1}**. Beware of the neural-tangents
    normalisation of stax (docs/theory/conventions.md): its input kernel is ⟨x, x'⟩/d, so unit-norm inputs enter
    the first layer with variance 1/d; pass ``radius=√d`` for inputs of norm √d (input kernel
    t, unit variance). For Dense/activation stacks the NNGP and NTK depend on ⟨x, x'⟩ and the
    norms only, so on a sphere they are dot-product kernels and these two points suffice.

    Args:
      kernel_fn: a stax ``kernel_fn(x1, x2, get=...)`` or a layer triple.
      d: input dimension ≥ 2.
      get: ``"ntk"`` or ``"nngp"``.
      radius: norm r > 0 of the inputs.
      check: verify rotation invariance once, at construction, by evaluating the kernel on a
        randomly rotated (fixed seed) copy of the point pairs; a mismatch above 1e−8 relative
        (1e−4 for float32 kernels) raises ValueError (not a dot-product kernel).

    Precision: κ is as precise as ``kernel_fn``; with ``jax_enable_x64`` off stax computes in
    float32 and the spectra inherit a ~1e−7·μ_0 error floor (1e−16·μ_0 with x64).

    Returns:
      ``kappa(t)``: float64 array of the shape of ``t`` (t in [−1, 1]); one ``kernel_fn`` call
      on a batch ``(1, d) × (m, d)`` per evaluation, m = t.size rounded up to a multiple of 512
      (so that the jitted kernel compiles once for all quadrature sizes up to 512).
    """
    kernel_fn = _as_kernel_fn(kernel_fn, "kernel_fn")
    d = check_dim(d)
    get = check_choice("get", get, ("ntk", "nngp"))
    radius = check_float("radius", radius, positive=True)

    def kappa(t: Any) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        flat = t.ravel()
        # pad the batch to a multiple of _BUCKET so that kernel_fn's jit compiles once per bucket
        padded = np.concatenate([flat, np.ones(-flat.size % _BUCKET)])
        x1, x2 = _pair_points(padded, d, radius)
        out = np.asarray(kernel_fn(x1, x2, get=get), dtype=np.float64).reshape(-1)
        return out[: flat.size].reshape(t.shape)

    if check:
        _check_rotation_invariant(kernel_fn, kappa, d, get, radius)
    return kappa


def _check_rotation_invariant(
    kernel_fn: Callable[..., Any], kappa: Kappa, d: int, get: str, radius: float
) -> None:
    t = np.array([-0.9, -0.3, 0.0, 0.4, 0.95])
    t = np.concatenate([t, np.ones(-t.size % _BUCKET)])  # the batch shape kappa compiles for
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(d, d)))
    x1, x2 = _pair_points(t, d, radius)
    rotated = np.asarray(kernel_fn(x1 @ q.T, x2 @ q.T, get=get))
    # float32 kernels (jax_enable_x64 off) only agree to ~1e-7 after a rotation
    tol = 1e-8 if rotated.dtype == np.float64 else 1e-4
    plain = kappa(t)
    scale = max(float(np.max(np.abs(plain))), 1e-300)
    err = float(np.max(np.abs(rotated.astype(np.float64).ravel() - plain))) / scale
    if not err <= tol:
        raise ValueError(
            f"`kernel_fn` is not rotation invariant on the sphere of radius {radius} in d = {d} "
            f"(relative change {err:.1e} under a rotation), so it is not a dot-product kernel."
        )


# ----------------------------------------------------------------------------- spectra


def default_n_quad(k_max: int, d: int) -> int:
    """Nodes used when ``n_quad`` is None: k_max + d + 64 (see `funk_hecke_eigenvalues`)."""
    return k_max + d + 64


def funk_hecke_eigenvalues(
    kappa: Kappa,
    d: int,
    k_max: int,
    n_quad: int | None = None,
    *,
    quadrature: str = "theta",
) -> np.ndarray:
    """Mercer eigenvalues μ_0, …, μ_{k_max} of the dot-product kernel κ on S^{d−1}.

    μ_k = c_d ∫ κ(t) P_k^{(d)}(t)(1 − t²)^{(d−3)/2} dt, c_d = Γ(d/2)/(√π Γ((d−1)/2)), each with
    multiplicity N(d, k), normalised so that κ(t) = Σ_k μ_k N(d, k) P_k^{(d)}(t) (module
    docstring; Basri et al. 2019, arXiv:1906.00425). κ is sampled once on the nodes.

    Quadrature:
      * ``"theta"`` (default): Gauss–Legendre in θ = arccos t, integrand
        κ(cos θ) P_k(cos θ) sin^{d−2}θ on [0, π]. Exponentially convergent whenever κ(cos θ) is
        analytic in θ, which holds for smooth κ *and* for ReLU-type (arc-cosine) kernels built
        from arccos t and √(1 − t²), whose t-integrands have √(1 ∓ t) endpoint singularities.
      * ``"gegenbauer"``: Gauss–Gegenbauer in t; exact for polynomial κ of degree
        ≤ 2 n_quad − 1 − k, but only algebraically convergent for arc-cosine kernels.
      Measured in float64 (tests/spectral/test_funk_hecke.py), default n_quad = k_max + d + 64,
      k ≤ 200, d ∈ {2, 3, 4, 10, 100}: e^{1.5t} (Bessel closed form) and t⁷ + t⁴/2 within
      4e−14·μ_0 absolute for every k, and 1e−10 relative wherever μ_k > 1e−4·μ_0 (both
      rules); the ReLU NTK (d = 3) within 1.6e−12 relative of 30-digit mpmath integrals for
      k ≤ 40 (1.8e−10 at k = 120, 1.7e−17 absolute). The error is a rounding floor
      ~1e−16–1e−14·max|κ| (largest at d = 2, where arccos near t = 1 is not damped by
      sin^{d−2}θ), so coefficients far below it (μ_k ~ k^{−d} at large k and d) are not
      resolved. Gauss–Gegenbauer on the ReLU NTK (d = 3, k ≤ 200): 5.5e−9 absolute with 267
      nodes, 6.8e−11 with 1000 (θ rule: 1e−15 with 267); relative error 1.4e−3 on even
      k ≤ 40 with 267 nodes. The θ rule needs n_quad ≳ k_max + d: below, it fails abruptly
      (n_quad = k_max gives 1e−6 errors).

    Args:
      kappa: vectorised callable t ↦ κ(t) (numpy or jax), e.g. from `dot_product_kernel`.
      d: ambient dimension ≥ 2.
      k_max: largest degree ≥ 0.
      n_quad: number of nodes (default `default_n_quad`).
      quadrature: ``"theta"`` or ``"gegenbauer"``.

    Returns:
      float64 array ``(k_max + 1,)``.
    """
    if not callable(kappa):
        raise TypeError(f"`kappa` must be a callable t -> kappa(t), got {type(kappa).__name__}.")
    d = check_dim(d)
    k_max = check_int("k_max", k_max, minimum=0)
    n_quad = default_n_quad(k_max, d) if n_quad is None else check_int("n_quad", n_quad, minimum=1)
    quadrature = check_choice("quadrature", quadrature, QUADRATURES)
    t, w = (gauss_theta if quadrature == "theta" else gauss_gegenbauer)(n_quad, d)
    values = np.asarray(kappa(t), dtype=np.float64)
    if values.ndim == 0:  # a constant kernel
        values = np.full(t.shape, float(values))
    if values.shape != t.shape:
        raise ValueError(f"`kappa` must map t of shape {t.shape} to the same shape, got {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise ValueError("`kappa` returned non-finite values on [-1, 1].")
    return zonal_table(k_max, d, t) @ (w * values)


def reconstruct_kernel(mu: Any, d: int, t: Any) -> np.ndarray:
    """κ(t) ≈ Σ_{k ≤ K} μ_k N(d, k) P_k^{(d)}(t) from eigenvalues ``mu`` = (μ_0, …, μ_K).

    Returns a float64 array of the shape of ``t``.
    """
    mu = _check_mu(mu)
    d = check_dim(d)
    t = np.asarray(t, dtype=np.float64)
    k = np.arange(mu.size)
    return np.tensordot(mu * multiplicity(d, k), zonal_table(mu.size - 1, d, t), axes=1)


def spectrum(
    layer_or_kernel_fn: Any,
    d: int,
    k_max: int,
    get: str = "ntk",
    *,
    radius: float = 1.0,
    n_quad: int | None = None,
) -> np.ndarray:
    """μ_0, …, μ_{k_max} of an architecture's NNGP/NTK on the sphere of radius ``radius``.

    `funk_hecke_eigenvalues` of `dot_product_kernel` (see both for conventions); accepts a stax
    layer triple or its ``kernel_fn``.
    """
    kappa = dot_product_kernel(_as_kernel_fn(layer_or_kernel_fn, "layer_or_kernel_fn"), d, get, radius=radius)
    return funk_hecke_eigenvalues(kappa, d, k_max, n_quad)


# ----------------------------------------------------------------------------- analysis


def _check_mu(mu: Any, name: str = "mu") -> np.ndarray:
    try:
        arr = np.asarray(mu, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"`{name}` must be a 1-d array of reals, got {type(mu).__name__}.") from err
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-d array, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` contains non-finite values (NaN or inf).")
    return arr


def fit_decay_exponent(
    mu: Any, ks: Sequence[int] | np.ndarray, d: int | None = None, *, parity: str | None = None
) -> tuple[float, float]:
    """Least-squares slope of log μ_k against log k, and its standard error.

    Fits log μ_k = a + s log k over the degrees in ``ks`` (μ_k = ``mu[k]``), keeping k ≥ 1 with
    μ_k > 1e−12 · max|μ| (zeros such as the odd ReLU-NTK coefficients are skipped) and, with
    ``parity``, only even or odd k. For the bias-free 2-layer ReLU NTK μ_k ~ k^{−d} (even k;
    Bietti & Mairal 2019), reached slowly: s ≈ −2.97 (d = 3), −3.87 (d = 4) for k ∈ [12, 40].

    Args:
      mu: eigenvalues indexed by degree, ``(K + 1,)``.
      ks: degrees to fit (each ≤ K).
      d: optional ambient dimension; only validated (≥ 2), for call-site symmetry.
      parity: None, ``"even"`` or ``"odd"``.

    Returns:
      ``(slope, slope_se)``; the SE is the usual OLS one, σ̂ √((XᵀX)^{−1})_{ss} (NaN with
      exactly two points).
    """
    mu = _check_mu(mu)
    if d is not None:
        check_dim(d)
    ks = np.unique(np.asarray(ks))
    if not np.issubdtype(ks.dtype, np.integer) or ks.size == 0 or ks.min() < 0 or ks.max() >= mu.size:
        raise ValueError(f"`ks` must hold degrees in [0, {mu.size - 1}], got {ks!r}.")
    if parity is not None:
        parity = check_choice("parity", parity, ("even", "odd"))
        ks = ks[ks % 2 == (0 if parity == "even" else 1)]
    ks = ks[(ks >= 1) & (mu[ks] > TINY * np.max(np.abs(mu)))]
    if ks.size < 2:
        raise ValueError("`ks` leaves fewer than 2 degrees with mu_k > 0 to fit.")
    x, y = np.log(ks.astype(np.float64)), np.log(mu[ks])
    design = np.stack([np.ones_like(x), x], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    dof = ks.size - 2
    if dof == 0:
        return float(coef[1]), float("nan")
    sigma2 = float(np.sum((y - design @ coef) ** 2)) / dof
    cov = sigma2 * np.linalg.inv(design.T @ design)
    return float(coef[1]), float(np.sqrt(cov[1, 1]))


def frequency_dynamics(mu: Any, learning_rate: float, steps: Any) -> np.ndarray:
    """NTK prediction of the residual along degree-k harmonics under full-batch GD.

    Loss L = ½ · mean_i (f(x_i) − y_i)² over n training points (one output; the normalisation of
    `widenets.predict.empirical.mse_loss`). Linearised GD on it reads
    f_{t+1} − y = (I − η Θ/n)(f_t − y); for uniform points on the sphere Θ/n has eigenvalues
    → μ_k on the degree-k harmonics, so r_k(t)/r_k(0) = (1 − η μ_k)^t (spectral bias: low,
    large-μ degrees are fitted first; Basri et al. 2019; Rahaman et al. 2019). Stable iff
    0 < η μ_k < 2.

    Args:
      mu: eigenvalues ``(K + 1,)`` (finite).
      learning_rate: η > 0.
      steps: non-negative integer step counts, 1-d.

    Returns:
      float64 array ``(len(steps), len(mu))``.
    """
    mu = _check_mu(mu)
    eta = check_float("learning_rate", learning_rate, positive=True)
    steps = np.atleast_1d(np.asarray(steps))
    if steps.ndim != 1 or not np.issubdtype(steps.dtype, np.integer) or np.any(steps < 0):
        raise ValueError(f"`steps` must be a 1-d sequence of integers >= 0, got {steps!r}.")
    return (1.0 - eta * mu)[None, :] ** steps.astype(np.float64)[:, None]
