"""Array operations on spatial kernels: the window sums behind convolutions and pooling.

For one spatial axis of size n, a window of size f with stride s and padding (lo, hi), the
finite layers compute out[h] = Σ_{a<f} w_a · x_pad[s·h + a]. With i.i.d. weights w_a shared
over positions, the covariance of two outputs is a *diagonal* window sum of the input
covariance (Novak et al. 2019, arXiv:1810.05148, §2.2; Garriga-Alonso et al. 2019,
arXiv:1808.05587):

    K'[h, h'] = (1/f) Σ_{a<f} K_pad[s·h + a, s·h' + a]          (`diagonal_window_sum`),

while pooling sums each argument over its own window independently:

    K'[h, h'] = Σ_{a<f} Σ_{b<f} K_pad[s·h + a, s·h' + b]        (`window_sum` on both axes).

Everything here is a sum of strided slices (f slices per axis), which XLA fuses into one
pass over the array, separable over the spatial axes: O(f) work per output entry and axis,
not O(Π f) as a dense convolution with a diagonal filter would be. 'SAME' pads with zeros,
'CIRCULAR' wraps around (periodic boundary conditions).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

PADDINGS = ("VALID", "SAME", "CIRCULAR")
Array = jax.Array


def same_pads(size: int, window: int, stride: int) -> tuple[int, int]:
    """(lo, hi) zero padding of 'SAME' (output size ⌈size/stride⌉), extra on the high side."""
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def pads_for(padding: str, size: int, window: int, stride: int) -> tuple[int, int]:
    return (0, 0) if padding == "VALID" else same_pads(size, window, stride)


def out_size(padding: str, size: int, window: int, stride: int) -> int:
    """Output size of a window op: ⌊(n − f)/s⌋ + 1 for 'VALID', ⌈n/s⌉ otherwise."""
    if padding == "VALID":
        return (size - window) // stride + 1
    return -(-size // stride)


def transpose_pads(padding: str, window: int, stride: int) -> tuple[int, int]:
    """(lo, hi) padding of the s-dilated input under `jax.lax.conv_transpose` ('SAME' gives
    n·s outputs, 'VALID' n·s + max(f − s, 0))."""
    if padding == "SAME":
        total = window + stride - 2
        lo = window - 1 if stride > window - 1 else -(-total // 2)
    else:
        total = window + stride - 2 + max(window - stride, 0)
        lo = window - 1
    return lo, total - lo


def _pad(x: Array, axis: int, lo: int, hi: int, circular: bool) -> Array:
    if lo == hi == 0:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (lo, hi)
    return jnp.pad(x, widths, mode="wrap" if circular else "constant")


def _slices(x: Array, axis: int, start: int, count: int, stride: int) -> Array:
    return jax.lax.slice_in_dim(x, start, start + (count - 1) * stride + 1, stride, axis)


def window_sum(x: Array, axis: int, window: int, stride: int, padding: str) -> Array:
    """Σ_{a<window} x_pad[stride·h + a] along one axis (see the module docstring)."""
    lo, hi = pads_for(padding, x.shape[axis], window, stride)
    if padding == "CIRCULAR":
        x, lo, hi = _pad(x, axis, lo, hi, True), 0, 0
    dims = [1] * x.ndim
    dims[axis] = window
    strides = [1] * x.ndim
    strides[axis] = stride
    pads = [(0, 0)] * x.ndim
    pads[axis] = (lo, hi)
    return jax.lax.reduce_window(x, np.zeros((), x.dtype), jax.lax.add, dims, strides, pads)


def _shear(a: Array) -> Array:
    """(…, H, H') → (…, H, H + H' − 1) with out[u, v] = a[u, u + v − (H − 1)] (zero outside).

    The diagonals of ``a`` become columns, so a window along them is a window along u. Pads and
    reshapes only (the row-by-row shift is a reshape of a padded, flattened array).
    """
    h, w = a.shape[-2:]
    lead = a.shape[:-2]
    width = h + w - 1
    r = jnp.flip(a, -1)  # r[u, c] = a[u, w - 1 - c]
    r = jnp.pad(r, [(0, 0)] * len(lead) + [(0, 0), (0, width + 1 - w)])  # rows of width + 1
    r = r.reshape(lead + (h * (width + 1),))[..., : h * width].reshape(lead + (h, width))
    # now r[u, j] = a[u, w - 1 - (j - u)] for 0 ≤ j − u < w; flip j to index v = width − 1 − j
    return jnp.flip(r, -1)


def _unshear(b: Array, h2: int, offset: int) -> Array:
    """(…, H, L) → (…, H, H2) with out[h, h'] = b[h, h' − h + offset]."""
    h, length = b.shape[-2:]
    lead = b.shape[:-2]
    flat = b.reshape(lead + (h * length,))
    # entry (h, h') sits at flat index h·(L − 1) + h' + offset
    need = offset + (h - 1) * (length - 1) + h2
    if need > h * length:
        flat = jnp.pad(flat, [(0, 0)] * len(lead) + [(0, need - h * length)])
    if length == 1:
        return flat[..., offset: offset + h].reshape(lead + (h, 1))[..., :h2]
    rows = flat[..., offset: offset + h * (length - 1)]
    if rows.shape[-1] < h * (length - 1):
        rows = jnp.pad(rows, [(0, 0)] * len(lead) + [(0, h * (length - 1) - rows.shape[-1])])
    return rows.reshape(lead + (h, length - 1))[..., :h2]


def diagonal_window_sum(x: Array, axes: tuple[int, int], window: int, stride: int, padding: str) -> Array:
    """Σ_{a<window} x_pad[stride·h + a, stride·h' + a] over a pair of axes (h, h').

    Computed as one `jax.lax.reduce_window` on the sheared array (`_shear`), whose columns
    are the diagonals. (A sum of strided slices is the obvious way to write it, but XLA:CPU
    then fuses copies of each layer's slices into every consumer, recursively, and the cost of
    a deep network grows quadratically with its depth.)
    """
    ax1, ax2 = axes
    n = x.shape[ax1]
    lo, hi = pads_for(padding, n, window, stride)
    n_out = out_size(padding, n, window, stride)
    for ax in axes:
        x = _pad(x, ax, lo, hi, padding == "CIRCULAR")
    moved = jnp.moveaxis(x, (ax1, ax2), (-2, -1))
    size = moved.shape[-1]  # padded H (same on both axes)
    sheared = _shear(moved)  # (..., H, 2H - 1): column v holds diagonal v - (H - 1)
    dims = (1,) * (sheared.ndim - 2) + (window, 1)
    strides = (1,) * (sheared.ndim - 2) + (stride, 1)
    summed = jax.lax.reduce_window(sheared, np.zeros((), x.dtype), jax.lax.add, dims, strides, "VALID")
    # output (h, h') reads diagonal stride·(h' − h): columns (H − 1) + stride·d
    start = size - 1 - stride * (n_out - 1)
    cols = jax.lax.slice_in_dim(summed, start, start + stride * 2 * (n_out - 1) + 1, stride, -1)
    out = _unshear(cols, n_out, n_out - 1)
    return jnp.moveaxis(out, (-2, -1), (ax1, ax2))


def dilate(x: Array, axis: int, stride: int, lo: int, hi: int) -> Array:
    """Insert stride − 1 zeros between entries along ``axis`` and pad (lo, hi) with zeros."""
    config = [(0, 0, 0)] * x.ndim
    config[axis] = (lo, hi, stride - 1)
    return jax.lax.pad(x, np.zeros((), x.dtype), config)


def fold(x: Array, axis: int, size: int, offset: int) -> Array:
    """out[j] = Σ_{i ≡ j + offset (mod size)} x[i]: wrap an axis around onto ``size`` entries."""
    shift = (-offset) % size
    n = x.shape[axis] + shift
    total = -(-n // size) * size
    x = _pad(x, axis, shift, total - n, False)
    x = jnp.moveaxis(x, axis, -1)
    x = x.reshape(x.shape[:-1] + (total // size, size)).sum(axis=-2)
    return jnp.moveaxis(x, -1, axis)


def embed_diagonal(d: Array, batch_ndim: int) -> Array:
    """(…, S₁, S₂, …) → (…, S₁, S₁', S₂, S₂', …) with zeros off the spatial diagonal."""
    out = d
    for p in range(d.ndim - batch_ndim):
        axis = batch_ndim + 2 * p
        size = out.shape[axis]
        eye = jnp.eye(size, dtype=d.dtype).reshape((1,) * axis + (size, size) + (1,) * (out.ndim - axis - 1))
        out = jnp.expand_dims(out, axis + 1) * eye
    return out


def filter_size(filter_shape: tuple[int, ...]) -> int:
    return math.prod(filter_shape)
