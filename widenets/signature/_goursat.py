"""Anti-diagonal wavefront solver for Goursat problems ∂²K/∂s∂t = F(K) ⟨ẋ_s, ẏ_t⟩ on a grid.

The grid has points (i, j), 0 ≤ i ≤ M, 0 ≤ j ≤ N, and cells (i, j) with cell increment g_ij
(see `_static.py`); K = b on the two boundaries i = 0 and j = 0. Writing k00 = K[i, j],
k10 = K[i+1, j], k01 = K[i, j+1] and F.. the coefficient at those points, the two schemes are

* ``"explicit"`` (first order, global error O(h), h = 2^−λ):
  ``K[i+1, j+1] = k10 + k01 − k00 + g F00``;
* ``"second_order"`` (global error O(h²)):
  ``K[i+1, j+1] = k10 + k01 − k00 + g [(F10 + F01)(1/2 + g̃/12) + F00 g̃/12]``, g̃ = g ∂F/∂K|00.

For the signature kernel F(K) = K (∂F/∂K = 1) the second-order rule is exactly
``(k10 + k01)(1 + g/2 + g²/12) − k00(1 − g²/12)`` of Salvi et al. 2021 (arXiv:2006.14794, §3.1),
and the explicit rule is ``k10 + k01 − k00 + g k00``. For a nonlinear F the second-order rule
is that same scheme applied to the PDE linearised around the cell's corner: (F10 + F01)/2 is
F at the cell centre to O(h²), so the local error is O(h⁴) per cell and O(h²) overall; the
g̃ terms are O(h⁴) per cell and only make the rule exact for affine F.

Points with i + j = c form anti-diagonal c; the cells on one anti-diagonal are independent, so
each step of a `lax.scan` updates a whole anti-diagonal (the *wavefront*), with lane i holding
point (i, c − i). Only the last two anti-diagonals are carried: memory O(M) per pair.
"""
from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

Array = jax.Array
Increment = Callable[[tuple[Array, ...], tuple[Array, ...]], Array]
#: (K, a_i, a_j) -> (F, dF/dK) at grid points (a: per-point data of each path)
PointFn = Callable[[Array, Array, Array], tuple[Array, Array]]


def _reverse_pad(a: Array, left: int, right: int, value: float = 0.0) -> Array:
    """Reverse the last axis and pad it (``left``/``right`` entries of ``value``)."""
    pads = [(0, 0)] * (a.ndim - 1) + [(left, right)]
    return jnp.pad(jnp.flip(a, axis=-1), pads, constant_values=value)


def solve(
    sx: tuple[Array, ...],
    sy: tuple[Array, ...],
    increment: Increment,
    *,
    scale: float,
    boundary: Array,
    scheme: str,
    full_grid: bool,
    point_fn: PointFn | None = None,
    ax: Array | None = None,
    ay: Array | None = None,
) -> Array:
    """Solve on the grid of refined segments ``sx`` (``(k, ..., M)``) × ``sy`` (``(k, ..., N)``).

    Args:
      sx, sy: segment data, feature axis first, segment axis last; the middle (batch) axes
        broadcast. Pass the shorter path as ``sx`` (lanes = M + 1).
      increment: the static kernel's cell increment; ``scale`` multiplies it.
      boundary: scalar K on the boundary (dtype of the result).
      point_fn, ax, ay: the coefficient F and ∂F/∂K at a point from K and per-point data
        ``ax`` (``(..., M+1)``) and ``ay`` (``(..., N+1)``); ``None`` means F(K) = K.

    Returns:
      ``(...)`` the value at (M, N), or the grid ``(..., M+1, N+1)`` if ``full_grid``.
    """
    M, N = sx[0].shape[-1], sy[0].shape[-1]
    dtype = boundary.dtype
    batch = jnp.broadcast_shapes(*(s.shape[1:-1] for s in sx + sy))
    if point_fn is not None:
        batch = jnp.broadcast_shapes(batch, ax.shape[:-1], ay.shape[:-1])
    sy_r = tuple(_reverse_pad(s, M, M) for s in sy)  # sy_r[..., N-1-c+M+i] = sy[..., c-i]
    lanes = jnp.arange(M).reshape((1,) * len(batch) + (M,))
    one = jnp.ones((), dtype)
    edge = jnp.full(batch + (1,), boundary, dtype)

    def cell_g(c):
        sl = tuple(lax.dynamic_slice_in_dim(s, N - 1 - c + M, M, axis=-1) for s in sy_r)
        g = increment(sx, sl)
        return g * jnp.asarray(scale, dtype) if scale != 1.0 else g

    def finish(new, c):
        j = c - lanes
        new = jnp.where((j >= 0) & (j < N), new, boundary)
        return jnp.concatenate([edge, new], axis=-1)

    if point_fn is None:
        def step(carry, c):
            p0, p1 = carry
            g = cell_g(c)
            k00, k10, k01 = p0[..., :-1], p1[..., 1:], p1[..., :-1]
            if scheme == "explicit":
                new = (k10 + k01) - k00 + g * k00
            else:
                g2 = g * g * jnp.asarray(1.0 / 12.0, dtype)
                new = (k10 + k01) * (one + g * jnp.asarray(0.5, dtype) + g2) - k00 * (one - g2)
            p2 = finish(new, c)
            return (p1, p2), (p2 if full_grid else None)

        init = (jnp.full(batch + (M + 1,), boundary, dtype),) * 2
        (_, last), hist = lax.scan(step, init, jnp.arange(M + N - 1))
        first = init
    else:
        ay_r = _reverse_pad(ay, M, M, 1.0)  # ay_r[..., N-c+M+i] = ay[..., c-i]

        def coef(p, c):  # F, dF/dK on anti-diagonal c
            a_j = lax.dynamic_slice_in_dim(ay_r, N - c + M, M + 1, axis=-1)
            return point_fn(p, ax, a_j)

        def step(carry, c):
            p0, p1, f0, f1, d0, d1 = carry
            g = cell_g(c)
            k00, k10, k01 = p0[..., :-1], p1[..., 1:], p1[..., :-1]
            if scheme == "explicit":
                new = (k10 + k01) - k00 + g * f0[..., :-1]
            else:
                gt = g * d0[..., :-1] * jnp.asarray(1.0 / 12.0, dtype)
                incr = (f1[..., 1:] + f1[..., :-1]) * (jnp.asarray(0.5, dtype) + gt) + f0[..., :-1] * gt
                new = (k10 + k01) - k00 + g * incr
            p2 = finish(new, c)
            f2, d2 = coef(p2, c + 2)
            return (p1, p2, f1, f2, d1, d2), (p2 if full_grid else None)

        p_init = jnp.full(batch + (M + 1,), boundary, dtype)
        f_0, d_0 = coef(p_init, 0)
        f_1, d_1 = coef(p_init, 1)
        init = (p_init, p_init, f_0, f_1, d_0, d_1)
        (_, last, *_), hist = lax.scan(step, init, jnp.arange(M + N - 1))
        first = (p_init, p_init)
    if not full_grid:
        return last[..., M]
    diags = jnp.concatenate([jnp.stack(first, axis=0), hist], axis=0)  # (M+N+1, ..., M+1)
    diags = jnp.moveaxis(diags, 0, -1)  # (..., M+1, M+N+1): [..., i, c]
    i = jnp.arange(M + 1)[:, None]
    j = jnp.arange(N + 1)[None, :]
    return diags[..., i, i + j]
