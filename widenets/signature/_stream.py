"""Gram matrices of signature kernels by one long wavefront per row path (no idle lanes).

The anti-diagonal sweep of `_goursat` over an (M+1) × (N+1) grid takes M + N − 1 steps of M
lanes, of which on average only about half hold a grid cell (the anti-diagonals first grow,
then shrink). For a Gram matrix the idle lanes can be filled: for a row path x and column
paths y_0, y_1, …, y_{K−1}, concatenate the columns into one stream

    y_0 | sep | y_1 | sep | … ,   block k occupying columns k(N+1) … k(N+1) + N,

and sweep the single grid (M+1) × (K(N+1)) once, resetting every point on a column
j ≡ 0 (mod N+1) to the boundary value 1 (several row paths sweep side by side, as a batch). Each block then solves exactly the Goursat problem of
(x, y_k) (its left column is a boundary, and nothing from the previous block crosses the reset
column, since each update only reads its left, lower and lower-left neighbours), and
k(x, y_k) is read at (M, k(N+1) + N). The sweep costs K(N+1) + M − 1 steps of M lanes, i.e.
≈ M·N per pair instead of ≈ 2 M·N. The update rules are those of `_goursat` (same arithmetic).

The cell increments g of ``block`` consecutive anti-diagonals are computed together before
the sequential sweep over them (one vectorised pass over a (block × M) window of the stream),
so that the sweep itself only reads g; the rows are processed ``rows`` at a time (`lax.map`)
so that each sweep's state stays in cache (timings: benchmarks/bench_signature.py).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from widenets.signature._goursat import Increment

Array = jax.Array


def solve_gram(
    sx: tuple[Array, ...],
    sy: tuple[Array, ...],
    increment: Increment,
    *,
    scale: float,
    scheme: str,
    block: int = 256,
) -> Array:
    """Signature-kernel Gram matrix from refined segment data.

    Args:
      sx: row paths' segment data, ``(k, a, M)`` (``a`` sweeps side by side).
      sy: column paths' segment data, ``(k, b, N)`` (one stream, shared by the rows).
      increment, scale, scheme: as in `_goursat.solve` (boundary value 1).
      block: the cell increments of ``block`` consecutive anti-diagonals are computed at once,
        outside the sequential sweep (one vectorised pass), then the sweep reads them.

    Returns:
      ``(a, b)``.
    """
    M, N = sx[0].shape[-1], sy[0].shape[-1]
    a, b = sx[0].shape[1], sy[0].shape[1]
    dtype = sx[0].dtype
    T = b * (N + 1)  # stream length in segments (one separator after each block)
    steps = M + T - 1
    n_blocks = -(-steps // block)
    total = n_blocks * block

    def stream(s):  # (k, b, N) → (k, T), separator segments of zeros
        s = jnp.concatenate([s, jnp.zeros(s.shape[:-1] + (1,), s.dtype)], axis=-1)
        return s.reshape(s.shape[0], T)

    # stream_p[k, M + q] = stream[k, q], zero outside [0, T): cell (i, c - i) reads stream_p[c - i + M]
    sy_p = tuple(jnp.pad(stream(s), [(0, 0), (M, total - T + 1)]) for s in sy)
    sx_b = tuple(s[:, :, None, :] for s in sx)  # (k, a, 1, M)
    lanes = jnp.arange(M)
    window = jnp.arange(block)[:, None] - lanes[None, :] + M  # (block, M): s - i + M
    one = jnp.ones((), dtype)
    half, twelfth = jnp.asarray(0.5, dtype), jnp.asarray(1.0 / 12.0, dtype)

    def sweep(carry, keep, g):
        p0, p1 = carry
        k00, k10, k01 = p0[..., :-1], p1[..., 1:], p1[..., :-1]
        if scheme == "explicit":
            new = (k10 + k01) - k00 + g * k00
        else:
            g2 = g * g * twelfth
            new = (k10 + k01) * (one + g * half + g2) - k00 * (one - g2)
        new = jnp.where(keep[None, :], new, one)
        p2 = jnp.pad(new, ((0, 0), (1, 0)), constant_values=1)
        return (p1, p2), new[..., M - 1]

    def outer(carry, blk):
        c0 = blk * block
        win = tuple(jnp.take(s, c0 + window, axis=-1) for s in sy_p)  # (k, block, M)
        g = increment(sx_b, tuple(w[:, None] for w in win))  # (a, block, M)
        if scale != 1.0:
            g = g * jnp.asarray(scale, dtype)
        g = jnp.moveaxis(g, 1, 0)
        j_new = c0 + window - M + 1  # column of the new point (i+1, c-i+1), c = c0 + s
        keep = (j_new >= 1) & (j_new <= T) & (j_new % (N + 1) != 0)  # (block, M)
        return lax.scan(lambda cr, xs: sweep(cr, xs[0], xs[1]), carry, (keep, g))

    init = (jnp.ones((a, M + 1), dtype),) * 2
    _, corner = lax.scan(outer, init, jnp.arange(n_blocks))  # (n_blocks, block, a)
    corner = corner.reshape(total, a)  # corner[c] = K[M, c + 2 - M]
    cols = jnp.arange(b) * (N + 1) + N  # final column of each block
    return corner[cols + M - 2].T


def solve_gram_chunked(
    sx: tuple[Array, ...],
    sy: tuple[Array, ...],
    increment: Increment,
    *,
    scale: float,
    scheme: str,
    rows: int = 8,
    block: int = 256,
) -> Array:
    """`solve_gram` over chunks of ``rows`` row paths (`lax.map`), so that each sweep's state
    (rows × M lanes) stays in cache; ``a`` is padded to a multiple of ``rows``."""
    a = sx[0].shape[1]
    rows = max(1, min(rows, a))
    n_chunks = -(-a // rows)
    pad = n_chunks * rows - a
    if pad:
        sx = tuple(jnp.concatenate([s, jnp.repeat(s[:, :1], pad, axis=1)], axis=1) for s in sx)
    chunks = tuple(jnp.moveaxis(s.reshape(s.shape[0], n_chunks, rows, s.shape[-1]), 1, 0) for s in sx)

    def one(chunk):
        return solve_gram(chunk, sy, increment, scale=scale, scheme=scheme, block=block)

    out = lax.map(one, chunks)  # (n_chunks, rows, b)
    return out.reshape(n_chunks * rows, -1)[:a]
