"""Neural signature kernels: infinite-width limits of controlled ResNets (validated inputs only).

Cirone, Lemercier & Salvi 2023, "Neural signature kernels as infinite-width-depth limits of
controlled ResNets" (arXiv:2303.17671). The controlled ResNet (see `empirical.py`)

    Z₀ = σ₀ ξ,   Z_{k+1} = Z_k + Σ_i (A_i φ(Z_k) + b_i) Δx_i^k,   A_i ~ N(0, σ_A²/N), b_i ~ N(0, σ_b²)

has, as N → ∞ with one Euler step per path increment, the *exact* kernel recursion (the
cross terms E[Z_k ⋅ A φ(Z_l)] contribute only through the ⟨Δx, Δy⟩ term, and different
channels i ≠ j are independent)

    K[k+1, l+1] = K[k+1, l] + K[k, l+1] − K[k, l] + (σ_A² V_φ(Σ[k, l]) + σ_b²) ⟨Δx^k, Δy^l⟩,

with Σ[k, l] = [[K^{xx}[k, k], K[k, l]], [K[k, l], K^{yy}[l, l]]] and V_φ(Σ) = E[φ(u)φ(v)],
(u, v) ~ N(0, Σ): this is the ``"explicit"`` scheme at refinement 0. Refining (λ → ∞) it
converges to the homogeneous limit PDE

    ∂²K(s, t)/∂s∂t = [σ_A² V_φ(Σ(s, t)) + σ_b²] ⟨ẋ_s, ẏ_t⟩,   K(0, ·) = K(·, 0) = σ₀².

Inhomogeneous (fresh weights at every step, variances σ_A²/(N Δt), σ_b²/Δt on the uniform grid
t_k = k/(L−1) of [0, 1], as in `empirical.py`): different steps are independent, so only equal
times correlate and the kernel solves an ODE along the diagonal,

    dK(t)/dt = [σ_A² V_φ(Σ(t)) + σ_b²] ⟨ẋ_t, ẏ_t⟩,  Σ(t) = [[K^{xx}(t), K(t)], [K(t), K^{yy}(t)]],

whose explicit Euler discretisation K_{k+1} = K_k + [σ_A² V_φ(Σ_k) + σ_b²] ⟨Δx^k, Δy^k⟩/Δt is
again the exact infinite-width recursion of the network at refinement 0.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from widenets.duals import Dual
from widenets.signature import _goursat
from widenets.signature._sigkernel import prepare
from widenets.signature._static import StaticKernel

Array = jax.Array


def coefficient(dual: Dual, s_a2: float, s_b2: float, second: bool):
    """(K, q11, q22) → (F, ∂F/∂K): F = σ_A² V_φ(q11, q22, K) + σ_b², ∂F/∂K = σ_A² E[φ'φ']."""

    def point_fn(k: Array, q1: Array, q2: Array) -> tuple[Array, Array]:
        dt = k.dtype
        f = jnp.asarray(s_a2, dt) * dual.nngp(q1, q2, k) + jnp.asarray(s_b2, dt)
        if second:
            d = jnp.asarray(s_a2, dt) * dual.ntk(q1, q2, k)
        else:
            d = jnp.zeros_like(f)
        return f.astype(dt), d.astype(dt)

    return point_fn


def self_diagonal(sx, increment, scale, boundary, point_fn, scheme: str) -> Array:
    """K^{xx}(s, s) on the refined grid, ``(..., M+1)``, for a path's segment data ``(k, ..., M)``.

    The self kernel's coefficient at (i, j) needs the diagonal values K(i, i) and K(j, j), which
    an anti-diagonal sweep does not have yet, so the square is grown row by row (row s holds
    K(s, j), j ≤ s; K(s, j) = K(j, s)). With F known on row s, the rule of `_goursat` summed
    along a row is a cumulative sum: K(s+1, j+1) = K(s+1, 0) + Σ_{j' ≤ j} [K(s, j'+1) − K(s, j')
    + g(s, j') F̂(s, j')], and the diagonal point uses K(s, s+1) = K(s+1, s).

    * explicit: F̂ = F(s, j) — exactly the explicit rule of `_goursat` (and of the network);
    * second order: predictor–corrector. The explicit row gives a predicted row K*(s+1, ·) and
      diagonal K*(s+1, s+1); then F̂ = (F*(s+1, j) + F(s, j+1))(1/2 + g̃/12) + F(s, j) g̃/12,
      the `_goursat` second-order rule with F10 from the prediction (its O(h²) row error times
      g = O(h²) keeps the global error O(h²)).
    """
    M = sx[0].shape[-1]
    dtype = boundary.dtype
    batch = jnp.broadcast_shapes(*(s.shape[1:-1] for s in sx))
    lanes = jnp.arange(M + 1).reshape((1,) * len(batch) + (M + 1,))
    half, twelfth = jnp.asarray(0.5, dtype), jnp.asarray(1.0 / 12.0, dtype)

    def row_g(s):
        col = tuple(lax.dynamic_slice_in_dim(a, s, 1, axis=-1) for a in sx)
        g = increment(col, sx)  # (..., M): g(s, j)
        return g * jnp.asarray(scale, dtype) if scale != 1.0 else g

    def at(v, s):
        return lax.dynamic_slice_in_dim(v, s, 1, axis=-1)

    def assemble(row, inc, g_ss, fhat_ss, s):
        """New row from the per-cell increments ``inc`` (j < s) and the diagonal cell."""
        csum = jnp.cumsum(inc, axis=-1)
        new = boundary + jnp.concatenate([jnp.zeros(batch + (1,), dtype), csum], axis=-1)
        new = jnp.where(lanes <= s, new, boundary)  # lanes 0..s valid (lane s+? next)
        k_s1_s = at(new, s)
        diag = 2 * k_s1_s - at(row, s) + g_ss * fhat_ss
        return jnp.where(lanes == s + 1, diag, new)

    def step(carry, s):
        row, diag = carry
        g = row_g(s)
        g_full = jnp.concatenate([g, jnp.zeros(batch + (1,), dtype)], axis=-1)
        f, d = point_fn(row, at(diag, s), diag)  # F(s, j)
        diff = jnp.concatenate([row[..., 1:] - row[..., :-1], jnp.zeros(batch + (1,), dtype)], -1)
        inc = diff + g_full * f
        pred = assemble(row, inc[..., :-1], at(g_full, s), at(f, s), s)
        if scheme == "explicit":
            new = pred
        else:
            pdiag = jnp.where(lanes == s + 1, pred, diag)
            fp, _ = point_fn(pred, at(pdiag, s + 1), pdiag)  # F*(s+1, j)
            gt = g_full * d * twelfth
            f_up = jnp.concatenate([f[..., 1:], f[..., -1:]], axis=-1)  # F(s, j+1)
            fhat = (fp + f_up) * (half + gt) + f * gt
            inc = diff + g_full * fhat
            fhat_ss = 2 * at(fp, s) * (half + at(gt, s)) + at(f, s) * at(gt, s)
            new = assemble(row, inc[..., :-1], at(g_full, s), fhat_ss, s)
        diag = jnp.where(lanes == s + 1, new, diag)
        return (new, diag), None

    init = jnp.full(batch + (M + 1,), boundary, dtype)
    (_, diag), _ = lax.scan(step, (init, init), jnp.arange(M))
    return diag


def homogeneous(x, y, dual, kern: StaticKernel, lam, s02, s_a2, s_b2, scheme, full_grid):
    """K^{xy}(T, T) (or its grid) of the homogeneous neural signature kernel."""
    second = scheme == "second_order"
    point_fn = coefficient(dual, s_a2, s_b2, second)
    boundary = jnp.asarray(s02, x.dtype)
    sx, fx = prepare(x, kern, lam[0])
    sy, fy = prepare(y, kern, lam[1])
    dx = self_diagonal(sx, kern.increment, fx * fx, boundary, point_fn, scheme)
    dy = self_diagonal(sy, kern.increment, fy * fy, boundary, point_fn, scheme)
    return cross(sx, sy, dx, dy, kern, fx * fy, boundary, point_fn, scheme, full_grid)


def cross(sx, sy, dx, dy, kern, scale, boundary, point_fn, scheme, full_grid):
    """The cross kernel given both self-kernel diagonals (``dx`` (..., M+1), ``dy`` (..., N+1))."""
    swap = sx[0].shape[-1] > sy[0].shape[-1]
    if swap:
        sx, sy, dx, dy = sy, sx, dy, dx
    rank = max(dx.ndim, dy.ndim, max(s.ndim for s in sx + sy) - 1)
    dx = dx.reshape((1,) * (rank - dx.ndim) + dx.shape)
    dy = dy.reshape((1,) * (rank - dy.ndim) + dy.shape)
    out = _goursat.solve(
        sx, sy, kern.increment, scale=scale, boundary=boundary, scheme=scheme,
        full_grid=full_grid, point_fn=point_fn, ax=dx, ay=dy,
    )
    return jnp.swapaxes(out, -1, -2) if (swap and full_grid) else out


def inhomogeneous(x, y, dual, kern: StaticKernel, lam: int, s02, s_a2, s_b2, scheme, full_grid):
    """K(t) of the inhomogeneous kernel on the common refined grid: (...) or (..., M+1)."""
    sx, fx = prepare(x, kern, lam)
    sy, _ = prepare(y, kern, lam)
    M = sx[0].shape[-1]
    dtype = x.dtype
    inv_dt = jnp.asarray(float(M) * fx * fx, dtype)  # g scale / Δt, Δt = 1/M on [0, 1]
    hxx, hyy, hxy = (kern.increment(a, b) * inv_dt for a, b in ((sx, sx), (sy, sy), (sx, sy)))
    hs = jnp.broadcast_arrays(hxx, hyy, hxy)
    a2, b2 = jnp.asarray(s_a2, dtype), jnp.asarray(s_b2, dtype)

    def rates(k):
        kxx, kyy, kxy = k
        return (
            a2 * dual.nngp_diag(kxx).astype(dtype) + b2,
            a2 * dual.nngp_diag(kyy).astype(dtype) + b2,
            a2 * dual.nngp(kxx, kyy, kxy).astype(dtype) + b2,
        )

    def step(k, h):
        f = rates(k)
        pred = tuple(ki + fi * hi for ki, fi, hi in zip(k, f, h))
        if scheme == "explicit":
            new = pred
        else:  # Heun: explicit trapezoid, second order
            fp = rates(pred)
            new = tuple(ki + (fi + fpi) * hi * jnp.asarray(0.5, dtype) for ki, fi, fpi, hi in zip(k, f, fp, h))
        return new, (new[2] if full_grid else None)

    k0 = jnp.full(hs[0].shape[:-1], s02, dtype)
    hs_t = tuple(jnp.moveaxis(h, -1, 0) for h in hs)
    kT, hist = lax.scan(step, (k0, k0, k0), hs_t)
    if not full_grid:
        return kT[2]
    return jnp.concatenate([k0[..., None], jnp.moveaxis(hist, 0, -1)], axis=-1)
