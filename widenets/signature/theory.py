"""Signature kernels and neural signature kernels: the infinite-width theory side.

* `signature_kernel`: k(x, y) = ⟨S(x), S(y)⟩ = 1 + Σ_n ⟨S^n(x), S^n(y)⟩ through its Goursat PDE
  ∂²k/∂s∂t = ⟨ẋ_s, ẏ_t⟩ k, k(0, ·) = k(·, 0) = 1 (Salvi et al. 2021, arXiv:2006.14794), solved
  on the (dyadically refined) grid of sample pairs by an anti-diagonal wavefront (`_goursat`).
* `truncated_signature`, `truncated_signature_kernel`: the same object through the tensor algebra
  (Chen's identity), an independent route used as a reference.
* `neural_signature_kernel`: the infinite-width(-depth) kernel of controlled ResNets
  (Cirone, Lemercier & Salvi 2023, arXiv:2303.17671); see `_neural` for the derivation of the
  finite-depth recursion that the explicit scheme at refinement 0 reproduces exactly.

Paths are arrays ``(..., L, d)`` (L ≥ 2 samples, piecewise-linear interpolation); leading
dimensions broadcast between the two arguments. Results keep the input dtype (float32 or
float64). Everything is a pure JAX function: jit, vmap and autodiff work.

Schemes (h = 2^−λ, the refined step): ``"second_order"`` has global error O(h²) (error ÷4 per
extra refinement level), ``"explicit"`` O(h) (÷2); see `_goursat` for the update rules.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from widenets._validation import check_choice, check_float, check_int
from widenets.duals import Dual
from widenets.signature import _neural, _sigkernel, _stream, _truncated
from widenets.signature._paths import check_bool, check_path, check_path_pair, check_refinement
from widenets.signature._static import (
    StaticKernel,
    check_static_kernel,
    linear_static_kernel,
    rbf_static_kernel,
)

Array = jax.Array

SCHEMES = ("second_order", "explicit")

__all__ = [
    "SCHEMES",
    "StaticKernel",
    "linear_static_kernel",
    "rbf_static_kernel",
    "signature_kernel",
    "signature_kernel_gram",
    "truncated_signature",
    "truncated_signature_kernel",
    "neural_signature_kernel",
    "neural_signature_kernel_gram",
]


def signature_kernel(
    x: Any,
    y: Any,
    *,
    static_kernel: StaticKernel | None = None,
    refinement: int | tuple[int, int] = 0,
    scheme: str = "second_order",
    full_grid: bool = False,
) -> Array:
    """The signature kernel k(x, y) by the Goursat PDE of Salvi et al. 2021 (arXiv:2006.14794).

    ∂²k(s, t)/∂s∂t = ⟨ẋ_s, ẏ_t⟩ k(s, t), k(0, ·) = k(·, 0) = 1; with a static kernel κ the cell
    increment ⟨Δx_i, Δy_j⟩ becomes κ(x_{i+1}, y_{j+1}) − κ(x_i, y_{j+1}) − κ(x_{i+1}, y_j) + κ(x_i, y_j).

    Args:
      x: path ``(..., Lx, d)``.
      y: path ``(..., Ly, d)``; leading dimensions broadcast with ``x``'s.
      static_kernel: `linear_static_kernel()` (default, the signature kernel proper) or
        `rbf_static_kernel(sigma)`.
      refinement: λ or (λ1, λ2): every segment of x (y) is split into 2^λ1 (2^λ2) pieces.
      scheme: ``"second_order"`` (Salvi et al.'s rule, error O(4^−λ)) or ``"explicit"`` (O(2^−λ)).
      full_grid: return the whole solution grid instead of its final value.

    Returns:
      ``(...)`` k(x, y), or ``(..., 2^λ1(Lx−1)+1, 2^λ2(Ly−1)+1)`` with ``full_grid``.

    Example:
      >>> x = jnp.array([[0.0, 0.0], [1.0, 0.5]]); signature_kernel(x, x)  # ≈ Σ_n |Δ|^{2n}/(n!)² = I₀(2|Δ|)
    """
    x, y = check_path_pair(x, y)
    kern = check_static_kernel(static_kernel)
    lam = check_refinement(refinement)
    scheme = check_choice("scheme", scheme, SCHEMES)
    full_grid = check_bool("full_grid", full_grid)
    return _sigkernel.sig_kernel(x, y, kern, lam, scheme, full_grid)


def _gram(pair_fn, X: Any, Y: Any | None) -> Array:
    """Gram matrix of ``pair_fn`` over ``X`` (a, L, d) × ``Y`` (b, L', d); Y=None: exactly
    symmetric, each unordered pair solved once and written to both triangles."""
    X = check_path("X", X)
    if X.ndim != 3:
        raise ValueError(f"`X` must have shape (a, L, d), got {X.shape}.")
    if Y is not None:
        Y = check_path("Y", Y)
        if Y.ndim != 3:
            raise ValueError(f"`Y` must have shape (b, L', d), got {Y.shape}.")
        return pair_fn(X[:, None], Y[None, :])
    a = X.shape[0]
    iu, ju = jnp.triu_indices(a)
    vals = pair_fn(X[iu], X[ju])
    out = jnp.zeros((a, a), vals.dtype)
    return out.at[iu, ju].set(vals).at[ju, iu].set(vals)


def signature_kernel_gram(X: Any, Y: Any | None = None, **options: Any) -> Array:
    """Gram matrix ``K[p, q] = signature_kernel(X[p], Y[q], **options)``: ``(a, b)``.

    ``X`` (a, L, d), ``Y`` (b, L', d) or ``None`` (then Y = X and the upper triangle is
    mirrored, so the result is exactly symmetric). The same update rules as `signature_kernel`,
    but swept as one long wavefront per row path over all column paths (`_stream`), which
    leaves no lane idle. Options as in `signature_kernel` (``full_grid`` is not allowed).
    """
    unknown = set(options) - {"static_kernel", "refinement", "scheme", "full_grid"}
    if unknown:
        raise TypeError(f"unknown option(s) {sorted(unknown)} for signature_kernel_gram.")
    if options.get("full_grid", False):
        raise ValueError("`full_grid` is not supported by signature_kernel_gram.")
    X = check_path("X", X)
    if X.ndim != 3:
        raise ValueError(f"`X` must have shape (a, L, d), got {X.shape}.")
    Yc = X if Y is None else check_path("Y", Y)
    if Yc.ndim != 3:
        raise ValueError(f"`Y` must have shape (b, L', d), got {Yc.shape}.")
    check_path_pair(X[:1], Yc[:1], "X", "Y")  # channels
    dtype = jnp.result_type(X.dtype, Yc.dtype)
    X, Yc = X.astype(dtype), Yc.astype(dtype)
    kern = check_static_kernel(options.get("static_kernel"))
    lam = check_refinement(options.get("refinement", 0))
    scheme = check_choice("scheme", options.get("scheme", "second_order"), SCHEMES)
    sx, fx = _sigkernel.prepare(X, kern, lam[0])
    sy, fy = _sigkernel.prepare(Yc, kern, lam[1])
    G = _stream.solve_gram_chunked(sx, sy, kern.increment, scale=fx * fy, scheme=scheme)
    if Y is None:  # mirror the upper triangle: exactly symmetric
        upper = jnp.triu(jnp.ones(G.shape, bool))
        G = jnp.where(upper, G, G.T)
    return G


def truncated_signature(x: Any, depth: int) -> list[Array]:
    """Levels 1..depth of the signature of the piecewise-linear path ``x`` (..., L, d).

    S^n(x) = ∫_{u1<…<un} dx_{u1} ⊗ … ⊗ dx_{un}, flattened row-major to ``(..., d^n)``; computed
    by Chen's identity S = exp(Δ_1) ⊗ … ⊗ exp(Δ_{L−1}), exp(Δ) = Σ_n Δ^{⊗n}/n!.
    """
    x = check_path("x", x)
    depth = check_int("depth", depth, minimum=1)
    return _truncated.signature(x, depth)


def truncated_signature_kernel(x: Any, y: Any, depth: int) -> Array:
    """1 + Σ_{n ≤ depth} ⟨S^n(x), S^n(y)⟩; converges to `signature_kernel` as depth → ∞
    (the tail is ≤ Σ_{n > N} (‖x‖₁‖y‖₁)^n/(n!)², ‖·‖₁ the path lengths)."""
    x, y = check_path_pair(x, y)
    depth = check_int("depth", depth, minimum=1)
    return _truncated.signature_kernel_truncated(x, y, depth)


def _neural_options(dual, sigma_0, sigma_A, sigma_b, homogeneous, refinement, scheme, full_grid):
    if not isinstance(dual, Dual):
        raise TypeError(f"`dual` must be a widenets.duals.Dual (e.g. duals.relu()), got {dual!r}.")
    s0 = check_float("sigma_0", sigma_0, nonnegative=True)
    sa = check_float("sigma_A", sigma_A, nonnegative=True)
    sb = check_float("sigma_b", sigma_b, nonnegative=True)
    homogeneous = check_bool("homogeneous", homogeneous)
    lam = check_refinement(refinement)
    if not homogeneous and lam[0] != lam[1]:
        raise ValueError(
            f"`refinement` must be one level for the inhomogeneous kernel (x and y share a grid), got {refinement!r}."
        )
    scheme = check_choice("scheme", scheme, SCHEMES)
    full_grid = check_bool("full_grid", full_grid)
    return s0**2, sa**2, sb**2, homogeneous, lam, scheme, full_grid


def neural_signature_kernel(
    x: Any,
    y: Any,
    dual: Dual,
    *,
    sigma_0: float = 1.0,
    sigma_A: float = 1.0,
    sigma_b: float = 0.0,
    homogeneous: bool = True,
    refinement: int | tuple[int, int] = 0,
    scheme: str = "second_order",
    full_grid: bool = False,
) -> Array:
    """Neural signature kernel of Cirone, Lemercier & Salvi 2023 (arXiv:2303.17671).

    Limit of E[⟨Z_T^x, Z_T^y⟩]/N for the controlled ResNet
    Z₀ = σ₀ξ, Z_{k+1} = Z_k + Σ_i (A_i φ(Z_k) + b_i) Δx_i^k (A_i ~ N(0, σ_A²/N), b_i ~ N(0, σ_b²)).

    * homogeneous (weights shared across steps): the Goursat PDE
      ∂²K^{xy}(s, t)/∂s∂t = [σ_A² V_φ(Σ(s, t)) + σ_b²] ⟨ẋ_s, ẏ_t⟩, K(0, ·) = K(·, 0) = σ₀²,
      Σ(s, t) = [[K^{xx}(s, s), K^{xy}(s, t)], [K^{xy}(s, t), K^{yy}(t, t)]], V_φ = ``dual.nngp``.
      The self kernels' diagonals K^{xx}(s, s), K^{yy}(t, t) are solved first (row by row, see
      `_neural.self_diagonal`), then the cross kernel by the anti-diagonal wavefront.
      Schemes: ``"explicit"`` K11 = k10 + k01 − k00 + g F00 (first order, O(2^−λ)); with
      refinement 0 it is *exactly* the infinite-width recursion of the network with one Euler
      step per path increment (derivation in `_neural`). ``"second_order"``: K11 = k10 + k01 − k00
      + g[(F10 + F01)(1/2 + g̃/12) + F00 g̃/12], g̃ = g σ_A² ``dual.ntk`` (O(4^−λ)); for the
      identity activation both reduce to the signature-kernel rules, so
      K = [(σ_A²σ₀² + σ_b²) k_sig(σ_A x, σ_A y) − σ_b²]/σ_A² holds scheme by scheme.
    * inhomogeneous (fresh weights every step, variances divided by Δt): x and y on one grid
      (same L), t ∈ [0, 1] uniform, the ODE dK/dt = [σ_A² V_φ(Σ(t)) + σ_b²]⟨ẋ_t, ẏ_t⟩ with
      K^{xx}, K^{yy} solved alongside. ``"explicit"``: forward Euler (order 1; at refinement 0
      exactly the network's recursion K_{k+1} = K_k + [σ_A² V_φ + σ_b²]⟨Δx^k, Δy^k⟩/Δt);
      ``"second_order"``: Heun's method (explicit trapezoid, order 2).

    Args:
      x, y: paths ``(..., Lx, d)``, ``(..., Ly, d)``; leading dimensions broadcast.
      dual: the activation's `widenets.duals.Dual` (``duals.relu()``, ``duals.erf()``, ...).
      sigma_0, sigma_A, sigma_b: initial, weight and bias standard deviations.
      homogeneous: shared weights (PDE) or fresh weights per step (ODE on the diagonal).
      refinement: λ or (λ1, λ2) (one common λ when inhomogeneous).
      scheme: ``"second_order"`` or ``"explicit"``.
      full_grid: homogeneous: the grid ``(..., 2^λ1(Lx−1)+1, 2^λ2(Ly−1)+1)``; inhomogeneous:
        K along the diagonal, ``(..., 2^λ(L−1)+1)``.

    Returns:
      ``(...)`` K^{xy}(T, T) (or the grid).
    """
    s02, sa2, sb2, homogeneous, lam, scheme, full_grid = _neural_options(
        dual, sigma_0, sigma_A, sigma_b, homogeneous, refinement, scheme, full_grid
    )
    x, y = check_path_pair(x, y)
    kern = linear_static_kernel()
    if homogeneous:
        return _neural.homogeneous(x, y, dual, kern, lam, s02, sa2, sb2, scheme, full_grid)
    if x.shape[-2] != y.shape[-2]:
        raise ValueError(
            "`x` and `y` must have the same number of points L for the inhomogeneous kernel "
            f"(they share one time grid), got {x.shape[-2]} and {y.shape[-2]}."
        )
    return _neural.inhomogeneous(x, y, dual, kern, lam[0], s02, sa2, sb2, scheme, full_grid)


def neural_signature_kernel_gram(
    X: Any, Y: Any | None = None, dual: Dual | None = None, **options: Any
) -> Array:
    """Gram matrix of `neural_signature_kernel` over ``X`` (a, L, d) × ``Y`` (b, L', d): ``(a, b)``.

    ``Y=None``: Y = X, exactly symmetric (each unordered pair solved once). Options as in
    `neural_signature_kernel` (``full_grid`` is not allowed).
    """
    if dual is None:
        raise TypeError("`dual` is required, e.g. neural_signature_kernel_gram(X, dual=duals.relu()).")
    if options.get("full_grid", False):
        raise ValueError("`full_grid` is not supported by neural_signature_kernel_gram.")
    return _gram(lambda x, y: neural_signature_kernel(x, y, dual, **options), X, Y)
