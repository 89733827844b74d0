"""Gram matrices of signature kernels by one long wavefront per row path (no idle lanes).

The anti-diagonal sweep of `_goursat` over an (M+1) × (N+1) grid takes M + N − 1 steps of M
lanes, of which on average only about half hold a grid cell (the anti-diagonals first grow,
then shrink). For a Gram matrix the idle lanes can be filled: for a row path x and column
paths y_0, y_1, …, y_{K−1}, concatenate the columns into one stream

    y_0 | sep | y_1 | sep | … ,   block k occupying columns k(N+1) … k(N+1) + N,

and sweep the single grid (M+1) × (K(N+1)) once, resetting every point on a column
j ≡ 0 (mod N+1) to the boundary value 1 (several row paths sweep side by side, as a batch). Each
block then solves exactly the Goursat problem of (x, y_k) (its left column is a boundary, and
nothing from the previous block crosses the reset column, since each update only reads its left,
lower and lower-left neighbours), and k(x, y_k) is read at (M, k(N+1) + N). The sweep costs
K(N+1) + M − 1 steps of M lanes, i.e. ≈ M·N per pair instead of ≈ 2 M·N.

One step updates anti-diagonal c: lane i (row i) gets the point (i+1, j), j = c − i + 1, from

    K[i+1, j] = (K[i, j] + K[i+1, j−1]) (1 + g/2 + g²/12) − K[i, j−1] (1 − g²/12)

(second order; ``"explicit"``: K[i, j] + K[i+1, j−1] − K[i, j−1] (1 − g)), with
g = increment(x segment i, stream segment j − 1) — the same arithmetic as `_goursat`. The
stream is stored reversed, so the stream data of one anti-diagonal is a *contiguous* slice
(lane i reads ``rev[start(c) + i]``), and g is computed inside the step, next to the update:
one vectorised elementwise pass over the (rows × M) lanes per step, with no gather and no
precomputed (steps × M) array.

How the step stays fast on XLA:CPU (timings: benchmarks/bench_signature.py):

* ``unroll`` steps per loop iteration, reading one window of the reversed stream that the
  previous iteration sliced out and passed on in the loop carry. A dynamic slice fused into
  the step itself would make XLA:CPU emit a scalar loop (the slice offset is re-read for every
  element), ≈ 4× slower than the vectorised step over static slices of the window.
* each step's result goes through `lax.optimization_barrier`, so that XLA materialises it
  (one fusion per step) instead of fusing the previous steps into it and recomputing them.
* the carry holds the last ``unroll`` anti-diagonals and is replaced as a whole, so that XLA
  needs no copies of it between iterations.
* the rows are swept ``rows`` at a time (`lax.map`) so that the step's data stays in cache.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from widenets.signature._goursat import Increment

Array = jax.Array

#: lanes (rows × M) per step that keep a step's data in a core's cache (tuned on 2-core EPYC)
LANES_PER_STEP = 6400


def _reversed_stream(sy: tuple[Array, ...], j_lo: int, j_hi: int) -> tuple[Array, ...]:
    """Stream segment ending at point column j, for j = j_hi, j_hi − 1, …, j_lo (reversed).

    Column j (1 ≤ j ≤ T) is reached by stream segment j − 1; the stream is the column paths'
    segments ``(k, b, N)`` with one zero separator segment after each path (T = b(N+1)).
    Outside 1 … T the data are zeros (no increment).
    """
    out = []
    for s in sy:
        s = jnp.concatenate([s, jnp.zeros(s.shape[:-1] + (1,), s.dtype)], axis=-1)
        s = s.reshape(s.shape[0], -1)  # (k, T)
        T = s.shape[-1]
        out.append(jnp.flip(jnp.pad(s, [(0, 0), (1 - j_lo, j_hi - T)]), axis=-1))
    return tuple(out)


def _reversed_keep(N: int, T: int, j_lo: int, j_hi: int) -> Array:
    """Whether the point on column j is updated (False: reset to 1), for j = j_hi, …, j_lo.

    Reset: the boundary j ≤ 0, the separator columns j ≡ 0 (mod N+1), and j > T.
    """
    j = jnp.arange(j_hi, j_lo - 1, -1)
    return (j > 0) & (j <= T) & (j % (N + 1) != 0)


def _update(p0: Array, p1: Array, g: Array, keep: Array, scheme: str) -> Array:
    """Anti-diagonal c+1 from c−1 (``p0``) and c (``p1``), ``(rows, M+1)``, with lane 0 = 1.

    k00 = K[i, j−1] (``p0[i]``), k10 = K[i, j] (``p1[i+1]``), k01 = K[i+1, j−1] (``p1[i]``):
    ``(k10 + k01)(1 + g/2 + g²/12) − k00(1 − g²/12)`` (second order) or
    ``k10 + k01 − k00 + g k00`` (explicit); points with ``keep`` False are set to 1.
    """
    dtype = p1.dtype
    one = jnp.ones((), dtype)
    k00, k10, k01 = p0[:, :-1], p1[:, 1:], p1[:, :-1]
    if scheme == "explicit":
        new = (k10 + k01) - k00 + g * k00
    else:
        g2 = g * g * jnp.asarray(1.0 / 12.0, dtype)
        new = (k10 + k01) * (one + g * jnp.asarray(0.5, dtype) + g2) - k00 * (one - g2)
    new = jnp.where(keep[None, :], new, one)
    return jnp.pad(new, ((0, 0), (1, 0)), constant_values=1)


def solve_gram(
    sx: tuple[Array, ...],
    sy: tuple[Array, ...],
    increment: Increment,
    *,
    scale: float,
    scheme: str,
    unroll: int = 16,
) -> Array:
    """Signature-kernel Gram matrix from refined segment data.

    Args:
      sx: row paths' segment data, ``(k, a, M)`` (``a`` sweeps side by side).
      sy: column paths' segment data, ``(k, b, N)`` (one stream, shared by the rows).
      increment, scale, scheme: as in `_goursat.solve` (boundary value 1).
      unroll: anti-diagonals per loop iteration (they share one slice of the stream).

    Returns:
      ``(a, b)``.
    """
    M, N = sx[0].shape[-1], sy[0].shape[-1]
    a, b = sx[0].shape[1], sy[0].shape[1]
    dtype = sx[0].dtype
    U = max(1, unroll)
    S = max(U, 2)  # anti-diagonals in the carry
    T = b * (N + 1)  # stream length in segments (one separator after each block)
    n_iter = -(-(M + T - 1) // U)
    total = n_iter * U
    # step c (0 ≤ c < total) makes the points (i+1, c − i + 1); lane i reads column
    # j = c − i + 1 at index x = j_hi − j = start(c) + i of the reversed arrays, where
    # start(c) = j_hi − c − 1; j runs from 2 − M (c = 0, i = M − 1) to total (c = total − 1, i = 0)
    j_lo, j_hi = 2 - M, total
    y_rev = _reversed_stream(sy, j_lo, j_hi)
    keep_rev = _reversed_keep(N, T, j_lo, j_hi)
    width = M + U - 1  # one window serves U consecutive steps

    def window(it: Array) -> tuple[Array, ...]:
        """Reversed stream data and ``keep`` of iteration ``it``'s U steps: ``(..., M + U − 1)``."""
        start = j_hi - (it + 1) * U  # start(c) of the iteration's last step, c = (it+1)U − 1
        return tuple(lax.dynamic_slice_in_dim(v, start, width, axis=-1) for v in y_rev + (keep_rev,))

    def body(carry, it):
        """U steps (anti-diagonals it·U … it·U + U − 1); returns their corner values K[M, ·]."""
        diags, win = carry
        y_win, keep_win = win[:-1], win[-1]
        diags = list(diags)
        for u in range(U):
            o = U - 1 - u  # start(it·U + u) − start(last step)
            g = increment(sx, tuple(w[:, None, o:o + M] for w in y_win))
            if scale != 1.0:
                g = g * jnp.asarray(scale, dtype)
            new = _update(diags[-2], diags[-1], g, keep_win[o:o + M], scheme)
            diags.append(lax.optimization_barrier(new))
        corners = jnp.stack([d[:, M] for d in diags[-U:]])  # K[M, c + 2 − M]
        return (tuple(diags[-S:]), window(it + 1)), corners

    init = (tuple(jnp.ones((a, M + 1), dtype) for _ in range(S)), window(jnp.zeros((), int)))
    _, corner = lax.scan(body, init, jnp.arange(n_iter))  # (n_iter, U, a)
    corner = corner.reshape(total, a)  # corner[c] = K[M, c + 2 − M]
    cols = jnp.arange(b) * (N + 1) + N  # final column of each block
    return corner[cols + M - 2].T


def solve_gram_chunked(
    sx: tuple[Array, ...],
    sy: tuple[Array, ...],
    increment: Increment,
    *,
    scale: float,
    scheme: str,
    rows: int | None = None,
    unroll: int = 16,
) -> Array:
    """`solve_gram` over chunks of ``rows`` row paths (`lax.map`), so that each sweep's state
    (rows × M lanes) stays in cache; ``a`` is padded to a multiple of ``rows``. ``rows=None``:
    about `LANES_PER_STEP` lanes per step."""
    a, M = sx[0].shape[1], sx[0].shape[-1]
    if rows is None:
        rows = max(1, LANES_PER_STEP // max(M, 1))
    rows = max(1, min(rows, a))
    n_chunks = -(-a // rows)
    pad = n_chunks * rows - a
    if pad:
        sx = tuple(jnp.concatenate([s, jnp.repeat(s[:, :1], pad, axis=1)], axis=1) for s in sx)
    chunks = tuple(jnp.moveaxis(s.reshape(s.shape[0], n_chunks, rows, s.shape[-1]), 1, 0) for s in sx)

    def one(chunk):
        return solve_gram(chunk, sy, increment, scale=scale, scheme=scheme, unroll=unroll)

    out = lax.map(one, chunks)  # (n_chunks, rows, b)
    return out.reshape(n_chunks * rows, -1)[:a]
