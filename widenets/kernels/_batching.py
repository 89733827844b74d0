"""Kernels in blocks of inputs, so that peak memory is set by the block size, not by N.

``batch(kernel_fn, batch_size)`` computes ``kernel_fn(x1, x2, *args, **kwargs)`` block by
block: x1 and x2 are cut into consecutive blocks of ``batch_size`` rows (the last block may
be shorter), ``kernel_fn`` runs (jitted) on every pair of blocks (x1[I], x2[J]), and the
results are concatenated along the two leading kernel axes (N1, N2). The same name, argument
order and defaults as neural-tangents 0.6.5's ``nt.batch``.

Validity: each block is a separate call, so ``f`` must treat examples independently (no
batch norm, no example-dependent keyword arguments), the same condition as ``vmap_axes``;
every kernel of `widenets.stax` and the empirical kernels of such an ``f`` qualify.
Empirical kernels with the batch axis in ``diagonal_axes`` (result (N, …), N1 == N2) are
tiled along their one batch axis only.

Peak memory is one block's working memory plus the assembled result: with b = batch_size,
O outputs per example, P parameters, U the untraced non-batch output sizes,

* empirical NTK, Jacobian contraction: O(b·O·P) (two b-row Jacobians);
* empirical NTK, NTK-vector products: O(b·O·P) plus b·O-fold batched activations of a
  b-row forward pass;
* empirical NNGP: O(b·O); analytic kernels: their cost at b × b inputs;
* the result: N1·N2·U² numbers (N·U² for a diagonal batch axis), kept on the device, or in
  host memory with ``store_on_device=False``.

Every block is computed (the symmetric half is not reused when ``x2 is None``; diagonal
blocks are then called with ``x2=None``), so the time is about that of the unbatched call
for costs quadratic in N, plus one compilation per distinct block shape (at most four).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_int

__all__ = ["batch"]


def _is_dynamic(value: Any) -> bool:
    """Array-valued pytrees are traced by jit; everything else (``get``, None, floats) is static."""
    leaves = jax.tree_util.tree_leaves(value)
    return bool(leaves) and all(isinstance(v, (jax.Array, np.ndarray, np.generic)) for v in leaves)


def _jit(kernel_fn: Callable, args: tuple, kwargs: dict, cache: dict) -> Callable:
    static_nums = tuple(i + 2 for i, a in enumerate(args) if not _is_dynamic(a))
    static_names = tuple(k for k, v in kwargs.items() if not _is_dynamic(v))
    for name, value in [(f"argument {i}", args[i - 2]) for i in static_nums] + [
        (f"`{k}`", kwargs[k]) for k in static_names
    ]:
        try:
            hash(value)
        except TypeError as err:
            raise TypeError(f"`kernel_fn`'s {name} is neither an array pytree nor hashable.") from err
    key = (static_nums, static_names)
    if key not in cache:
        cache[key] = jax.jit(kernel_fn, static_argnums=static_nums, static_argnames=static_names)
    return cache[key]


def _rows(x: Any) -> int:
    sizes = {jnp.shape(v)[0] if jnp.ndim(v) else None for v in jax.tree_util.tree_leaves(x)}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"inputs must share one leading batch axis, got leading sizes {sizes}.")
    return sizes.pop()


def _take(x: Any, start: int, stop: int) -> Any:
    return jax.tree.map(lambda v: v[start:stop], x)


def batch(
    kernel_fn: Callable, batch_size: int = 0, device_count: int = -1, store_on_device: bool = True
) -> Callable:
    """``kernel_fn`` computed in blocks of ``batch_size`` inputs (module docstring).

    Args:
      kernel_fn: ``kernel_fn(x1, x2, *args, **kwargs)`` returning a pytree of arrays whose
        two leading axes are (N1, N2), e.g. `empirical_ntk_fn(...)`, `empirical_kernel_fn(...)`
        or a `widenets.stax` ``kernel_fn``. Array-valued arguments (``params``) are traced;
        the others (``get``) are static and must be hashable.
      batch_size: rows per block (≥ 0); 0 means no blocking (one jitted call). Unlike
        neural-tangents, N1 and N2 need not be multiples of it.
      device_count: accepted for neural-tangents compatibility; -1, 0 and 1 all compute on
        the default device. Multi-device parallelism is not implemented: values > 1 raise
        `NotImplementedError`.
      store_on_device: keep the assembled kernel on the device (True), or move each block
        to host memory and assemble numpy arrays there (False), for kernels larger than the
        device memory.

    Returns:
      A function with ``kernel_fn``'s signature and results (up to rounding: blocks change
      the order of floating-point sums only in the contraction over examples, never within).
      Not meant to be wrapped in `jax.jit` (that would fuse the blocks again).

    Example:
      >>> ntk_fn = batch(empirical_ntk_fn(apply_fn, vmap_axes=0), batch_size=256)
      >>> theta = ntk_fn(x_train, None, params)   # memory O(256 · O · P), not O(N · O · P)
    """
    if not callable(kernel_fn):
        raise TypeError(f"`kernel_fn` must be callable, got {type(kernel_fn).__name__}.")
    batch_size = check_int("batch_size", batch_size, minimum=0)
    device_count = check_int("device_count", device_count, minimum=-1)
    if device_count > 1:
        raise NotImplementedError(
            f"`device_count={device_count}`: multi-device batching is not implemented; use -1, 0 or 1."
        )
    if not isinstance(store_on_device, bool):
        raise TypeError(f"`store_on_device` must be a bool, got {store_on_device!r}.")
    diagonal_batch = bool(getattr(kernel_fn, "diagonal_batch", False))
    concat = jnp.concatenate if store_on_device else np.concatenate
    cache: dict = {}

    def place(out: Any) -> Any:
        return out if store_on_device else jax.device_get(out)

    def batched_fn(x1: Any, x2: Any = None, *args: Any, **kwargs: Any) -> Any:
        jitted = _jit(kernel_fn, args, kwargs, cache)
        n1 = _rows(x1)
        n2 = n1 if x2 is None else _rows(x2)
        size = batch_size or max(n1, n2)
        if n1 <= size and n2 <= size:
            return place(jitted(x1, x2, *args, **kwargs))
        if diagonal_batch:
            if n1 != n2:
                raise ValueError(
                    f"`x2` must have as many rows as `x1` ({n1}) for a diagonal batch axis, got {n2}."
                )
            blocks = [
                place(jitted(_take(x1, s, s + size), None if x2 is None else _take(x2, s, s + size),
                             *args, **kwargs))
                for s in range(0, n1, size)
            ]
            return jax.tree.map(lambda *b: concat(b, axis=0), *blocks)
        rows = []
        for i in range(math.ceil(n1 / size)):
            a = _take(x1, i * size, (i + 1) * size)
            cols = []
            for j in range(math.ceil(n2 / size)):
                if x2 is None and i == j:
                    cols.append(place(jitted(a, None, *args, **kwargs)))
                else:
                    b = _take(x1 if x2 is None else x2, j * size, (j + 1) * size)
                    cols.append(place(jitted(a, b, *args, **kwargs)))
            rows.append(jax.tree.map(lambda *c: concat(c, axis=1), *cols))
        return jax.tree.map(lambda *r: concat(r, axis=0), *rows)

    return batched_fn
