"""Kernels in blocks of inputs, so that peak memory is set by the block size, not by N.

``batch(kernel_fn, batch_size)`` computes ``kernel_fn(x1, x2, *args, **kwargs)`` block by
block: x1 and x2 are cut into consecutive blocks of ``batch_size`` rows (the last block may
be shorter), ``kernel_fn`` runs (jitted) on pairs of blocks (x1[I], x2[J]), and the results
are assembled. The same name, argument order and defaults as neural-tangents 0.6.5's
``nt.batch``, and the same two calling forms:

* ``batched(x1, x2=None, *args, **kwargs)`` on inputs;
* ``batched(kernel, None, *args, **kwargs)`` on a `widenets.stax.Kernel` (or a list of them),
  as in ``serial``-by-hand compositions: the input kernel is cut into the blocks
  (nngp[I, J], ntk[I, J], cov1[I], cov2[J]) and ``kernel_fn`` maps each block.

Assembly, leaf by leaf of the result pytree. An array has the kernel layout (N1, N2, …):
blocks are joined along axis 0 (x1) and axis 1 (x2). A *record* — a `Kernel` (recognised by
its fields ``nngp, ntk, cov1, cov2`` and a ``replace`` method, so any version of the class) or
a namedtuple such as those that ``get`` returns — is assembled field by field, by name:
``nngp``, ``ntk`` (and any other array field of a namedtuple) as above; ``cov1``/``mask1``
from the first block of every row, joined along axis 0; ``cov2``/``mask2`` from the first
row, joined along axis 0; the batch entry (at ``batch_axis``, default 0) of ``shape1`` /
``shape2`` set to N1 / N2; ``x1_is_x2`` that of the whole call; every other field from the
first block. Kernels with ``diagonal_batch=False`` (cov1 of shape (N1, N1, …)) raise
`NotImplementedError`, as in neural-tangents: a block (x1[I], x2[J]) holds only the (I, I)
part of that Gram matrix.

Symmetric Grams (``x2 is None``, or an input Kernel with ``x1_is_x2``): with T blocks per
side only the T(T+1)/2 blocks (a, b), a ≤ b, are computed — the diagonal ones as Grams
themselves (``x2=None``, so ``x1_is_x2`` holds there) — and each block (b, a) is the mirror
K(x2, x1) of block (a, b). The mirror swaps the two inputs: 2-D arrays are transposed; a
`Kernel` has the pair axes of nngp/ntk swapped (each spatial pair too unless
``diagonal_spatial``), cov1 ↔ cov2, shape1 ↔ shape2; functions whose result layout is richer
(the empirical kernels, with untraced or diagonal output axes) say how through a
``swap_inputs`` attribute. A result that cannot be mirrored, or keyword arguments given as
(x1 value, x2 value) pairs, fall back to computing every block.

Validity: each block is a separate call, so ``f`` must treat examples independently (no
batch norm, no example-dependent keyword arguments other than (x1, x2) pairs of per-example
arrays, which are cut into blocks as neural-tangents does), the same condition as
``vmap_axes``; every kernel of `widenets.stax` and the empirical kernels of such an ``f``
qualify. Empirical kernels with the batch axis in ``diagonal_axes`` (result (N, …),
N1 == N2) are tiled along their one batch axis only.

Peak memory is one block's working memory plus the blocks and the assembled result: with
b = batch_size, O outputs per example, P parameters, U the untraced non-batch output sizes,

* empirical NTK, Jacobian contraction: O(b·O·P) (two b-row Jacobians);
* empirical NTK, NTK-vector products: O(b·O·P) plus b·O-fold batched activations of a
  b-row forward pass;
* empirical NNGP: O(b·O); analytic kernels: their cost at b × b inputs;
* the result: N1·N2·U² numbers (N·U² for a diagonal batch axis), held twice while it is
  assembled, on the device or in host memory with ``store_on_device=False``.

Time: costs quadratic in N are those of the unbatched call (about half for symmetric Grams,
T(T+1)/2 of T² blocks), plus one compilation per distinct block shape (at most four).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_int

__all__ = ["batch", "is_kernel"]

#: record fields joined like nngp (x1 blocks along axis 0, x2 blocks along axis 1)
PAIR_FIELDS = ("nngp", "ntk")
#: record fields of the x1 rows / x2 columns alone
ROW_FIELDS = ("cov1", "mask1")
COLUMN_FIELDS = ("cov2", "mask2")
#: fields exchanged by the mirror K(x1, x2) -> K(x2, x1)
SWAPPED = (("cov1", "cov2"), ("mask1", "mask2"), ("shape1", "shape2"))


# ---------------------------------------------------------------------------------------
# Kernel records, recognised by their fields
# ---------------------------------------------------------------------------------------

def is_kernel(obj: Any) -> bool:
    """A `widenets.stax.Kernel` (or another class with its contract): fields nngp, ntk, cov1,
    cov2 and a ``replace(**changes)`` method."""
    return (
        not isinstance(obj, (jax.Array, np.ndarray))
        and all(hasattr(obj, name) for name in ("nngp", "ntk", "cov1", "cov2"))
        and callable(getattr(obj, "replace", None))
    )


def _is_namedtuple(obj: Any) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields") and hasattr(obj, "_replace")


def _is_record(obj: Any) -> bool:
    return is_kernel(obj) or _is_namedtuple(obj)


def _field_names(rec: Any) -> tuple[str, ...]:
    if _is_namedtuple(rec):
        return tuple(rec._fields)
    if dataclasses.is_dataclass(rec):
        return tuple(f.name for f in dataclasses.fields(rec))
    known = PAIR_FIELDS + ROW_FIELDS + COLUMN_FIELDS + ("shape1", "shape2", "x1_is_x2")
    return tuple(n for n in known if hasattr(rec, n))


def _rebuild(rec: Any, changes: dict) -> Any:
    return rec._replace(**changes) if _is_namedtuple(rec) else rec.replace(**changes)


def _is_array(v: Any) -> bool:
    return isinstance(v, (jax.Array, np.ndarray, np.generic))


def _set_batch(rec: Any, name: str, n: int) -> tuple | None:
    """``rec.<name>`` (shape1 or shape2) with its batch entry set to ``n``; None if absent."""
    shape = getattr(rec, name, None)
    if not isinstance(shape, tuple) or not shape:
        return None
    axis = getattr(rec, "batch_axis", 0)
    axis = axis % len(shape) if isinstance(axis, int) else 0
    return shape[:axis] + (n,) + shape[axis + 1:]


# ---------------------------------------------------------------------------------------
# Mirroring a block: K(x1, x2) -> K(x2, x1)
# ---------------------------------------------------------------------------------------

def _swap_pairs(arr: Any, diagonal_spatial: bool | None) -> Any:
    """(N1, N2, S, S', …) -> (N2, N1, S', S, …); None when the layout is unknown."""
    if arr.ndim == 2 or (diagonal_spatial is True and arr.ndim >= 2):
        return arr.swapaxes(0, 1)
    if diagonal_spatial is False and arr.ndim % 2 == 0:
        perm = tuple(a + 1 - 2 * (a % 2) for a in range(arr.ndim))
        return arr.transpose(perm)
    return None


def _swap_record(rec: Any) -> Any:
    names = _field_names(rec)
    if any((a in names) != (b in names) for a, b in SWAPPED):
        return None  # e.g. get=('nngp', 'cov1'): the mirror's cov1 is not in the block
    diagonal_spatial = getattr(rec, "diagonal_spatial", None)
    changes: dict[str, Any] = {}
    for name in names:
        value = getattr(rec, name)
        if _is_array(value) and value.ndim >= 2 and name not in ROW_FIELDS + COLUMN_FIELDS:
            swapped = _swap_pairs(value, diagonal_spatial)
            if swapped is None:
                return None
            changes[name] = swapped
    for a, b in SWAPPED:
        if a in names:
            changes[a], changes[b] = getattr(rec, b), getattr(rec, a)
    if "x1_is_x2" in names:
        changes["x1_is_x2"] = False
    return _rebuild(rec, changes)


def _default_swap(block: Any) -> Any:
    """Mirror of a block whose layout is readable from the result itself, else None."""
    leaves, treedef = jax.tree.flatten(block, is_leaf=_is_record)
    out = []
    for leaf in leaves:
        if _is_record(leaf):
            leaf = _swap_record(leaf)
        elif _is_array(leaf) and leaf.ndim >= 2:
            leaf = _swap_pairs(leaf, None)
        else:
            leaf = None
        if leaf is None:
            return None
        out.append(leaf)
    return jax.tree.unflatten(treedef, out)


# ---------------------------------------------------------------------------------------
# Assembly of a grid of blocks
# ---------------------------------------------------------------------------------------

def _join_pairs(grid: list[list[Any]], concat: Callable) -> Any:
    for row in grid:
        for v in row:
            if not _is_array(v) or v.ndim < 2:
                raise ValueError(
                    "`kernel_fn` must return arrays with leading (N1, N2) axes to be batched, got "
                    f"{type(v).__name__} of shape {np.shape(v)}."
                )
    return concat([concat(row, axis=1) for row in grid], axis=0)


def _join_record(grid: list[list[Any]], n1: int, n2: int, x1_is_x2: bool, concat: Callable) -> Any:
    first = grid[0][0]
    if getattr(first, "diagonal_batch", True) is False:
        raise NotImplementedError(
            "`batch` of a Kernel with `diagonal_batch=False` is not implemented (neither in "
            "neural-tangents): a block holds only its own rows of the (N1, N1) cov1. Use "
            "diagonal_batch=True, or batch_size=0."
        )
    changes: dict[str, Any] = {}
    for name in _field_names(first):
        value = getattr(first, name)
        if name in ROW_FIELDS + COLUMN_FIELDS:
            if value is None:  # absent (no masks), or a Gram storing cov2=None (NT's convention)
                continue
            line = [row[0] for row in grid] if name in ROW_FIELDS else grid[0]
            changes[name] = concat([getattr(r, name) for r in line], axis=0)
        elif name in ("shape1", "shape2"):
            shape = _set_batch(first, name, n1 if name == "shape1" else n2)
            if shape is not None:
                changes[name] = shape
        elif name == "x1_is_x2":
            changes[name] = x1_is_x2
        elif _is_array(value) and value.ndim >= 2 and (name in PAIR_FIELDS or _is_namedtuple(first)):
            changes[name] = _join_pairs([[getattr(r, name) for r in row] for row in grid], concat)
    return _rebuild(first, changes)


def _assemble(grid: list[list[Any]], n1: int, n2: int, x1_is_x2: bool, concat: Callable) -> Any:
    """One result from a grid of block results (module docstring), leaf by leaf."""
    flat = [[jax.tree.flatten(b, is_leaf=_is_record) for b in row] for row in grid]
    treedef = flat[0][0][1]
    if any(t != treedef for row in flat for _, t in row):
        raise ValueError("`kernel_fn` returned results of different structures for different blocks.")
    out = []
    for i in range(len(flat[0][0][0])):
        leaves = [[f[0][i] for f in row] for row in flat]
        first = leaves[0][0]
        if _is_record(first):
            out.append(_join_record(leaves, n1, n2, x1_is_x2, concat))
        elif _is_array(first):
            out.append(_join_pairs(leaves, concat))
        else:  # a Python value (e.g. a count): must agree across blocks
            if any(v != first for row in leaves for v in row):
                raise ValueError(
                    f"`kernel_fn` returned a non-array value that differs across blocks: {first!r}."
                )
            out.append(first)
    return jax.tree.unflatten(treedef, out)


def _assemble_diagonal(blocks: list[Any], concat: Callable) -> Any:
    return jax.tree.map(lambda *b: concat(b, axis=0), *blocks)


# ---------------------------------------------------------------------------------------
# Slicing inputs, kernels and keyword arguments
# ---------------------------------------------------------------------------------------

def _ranges(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def _rows(x: Any, name: str) -> int:
    sizes = {jnp.shape(v)[0] if jnp.ndim(v) else None for v in jax.tree_util.tree_leaves(x)}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            f"`{name}` must hold arrays sharing one leading batch axis, got leading sizes {sizes}."
        )
    return sizes.pop()


def _take(x: Any, r: tuple[int, int]) -> Any:
    return jax.tree.map(lambda v: v[r[0]:r[1]], x)


def _slice_kernel(k: Any, r1: tuple[int, int], r2: tuple[int, int], x1_is_x2: bool) -> Any:
    """The block (x1[r1], x2[r2]) of an input Kernel (module docstring)."""
    if getattr(k, "diagonal_batch", True) is False:
        raise NotImplementedError(
            "`batch` of a Kernel with `diagonal_batch=False` is not implemented (neither in "
            "neural-tangents); use batch_size=0."
        )
    i, j = slice(*r1), slice(*r2)
    changes: dict[str, Any] = {}
    for name in PAIR_FIELDS:
        v = getattr(k, name)
        if v is not None and jnp.ndim(v) >= 2:
            changes[name] = v[i, j]
    for one, two in (("cov1", "cov2"), ("mask1", "mask2")):
        v1 = getattr(k, one, None)
        v2 = getattr(k, two, None)
        v2 = v1 if v2 is None else v2
        if v1 is not None:
            changes[one], changes[two] = v1[i], v2[j]
    for name, r in (("shape1", r1), ("shape2", r2)):
        shape = _set_batch(k, name, r[1] - r[0])
        if shape is not None:
            changes[name] = shape
    if hasattr(k, "x1_is_x2"):
        changes["x1_is_x2"] = x1_is_x2
    return k.replace(**changes)


def _kernel_rows(k: Any) -> tuple[int, int, bool]:
    """(N1, N2, x1_is_x2) of an input Kernel or list of Kernels (the first one's)."""
    first = jax.tree.leaves(k, is_leaf=is_kernel)[0]
    shape = jnp.shape(first.nngp)
    if len(shape) < 2:
        raise ValueError(f"the input Kernel's `nngp` must have shape (N1, N2, ...), got {shape}.")
    return shape[0], shape[1], bool(getattr(first, "x1_is_x2", False)) and shape[0] == shape[1]


def _is_kernel_input(x: Any) -> bool:
    if is_kernel(x):
        return True
    return isinstance(x, (list, tuple)) and bool(x) and all(map(_is_kernel_input, x))


def _pair_kwargs(kwargs: dict, n1: int, n2: int) -> dict:
    """Keyword arguments given as (x1 value, x2 value) pairs of per-example arrays: cut into
    blocks with the inputs, as neural-tangents does."""
    pairs = {}
    for name, v in kwargs.items():
        if isinstance(v, tuple) and len(v) == 2 and all(
            jax.tree.leaves(p) and all(_is_array(a) and a.ndim for a in jax.tree.leaves(p)) for p in v
        ):
            if _rows(v[0], name) == n1 and _rows(v[1], name) == n2:
                pairs[name] = v
    return pairs


# ---------------------------------------------------------------------------------------
# jit with static non-array arguments
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# batch
# ---------------------------------------------------------------------------------------


def check_batching_options(batch_size: Any, device_count: Any, store_on_device: Any, what: str) -> int:
    """Validate neural-tangents' batching arguments (shared by `batch` and
    `monte_carlo_kernel_fn`): ``batch_size`` ≥ 0 (returned as an int), ``device_count`` in
    {-1, 0, 1} (more devices: NotImplementedError naming ``what``), ``store_on_device`` a bool."""
    batch_size = check_int("batch_size", batch_size, minimum=0)
    device_count = check_int("device_count", device_count, minimum=-1)
    if device_count > 1:
        raise NotImplementedError(
            f"`device_count={device_count}`: multi-device {what} is not implemented; use -1, 0 or 1."
        )
    if not isinstance(store_on_device, bool):
        raise TypeError(f"`store_on_device` must be a bool, got {store_on_device!r}.")
    return batch_size


def batch(
    kernel_fn: Callable, batch_size: int = 0, device_count: int = -1, store_on_device: bool = True
) -> Callable:
    """``kernel_fn`` computed in blocks of ``batch_size`` inputs (module docstring).

    Args:
      kernel_fn: ``kernel_fn(x1, x2, *args, **kwargs)`` returning a pytree of kernel arrays
        (leading axes (N1, N2)) and/or `Kernel` records, e.g. `empirical_ntk_fn(...)`,
        `empirical_kernel_fn(...)` or a `widenets.stax` ``kernel_fn`` with any ``get``
        (None gives a `Kernel`). Array-valued arguments (``params``) are traced; the others
        (``get``) are static and must be hashable.
      batch_size: rows per block (≥ 0); 0 means no blocking (one jitted call). Unlike
        neural-tangents, N1 and N2 need not be multiples of it.
      device_count: accepted for neural-tangents compatibility; -1, 0 and 1 all compute on
        the default device. Multi-device parallelism is not implemented: values > 1 raise
        `NotImplementedError`.
      store_on_device: keep the assembled kernel on the device (True), or move each block
        to host memory and assemble numpy arrays there (False), for kernels larger than the
        device memory.

    Returns:
      ``batched(x1_or_kernel, x2=None, *args, **kwargs)`` with ``kernel_fn``'s results (up to
      rounding: blocks change the grouping of examples, never a sum within one kernel
      entry; mirrored blocks of a Gram are exact transposes). Not meant to be wrapped in
      `jax.jit` (that would fuse the blocks again).

    Example:
      >>> _, _, kernel_fn = stax.serial(stax.Dense(512), stax.Relu(), stax.Dense(1))
      >>> k = batch(kernel_fn, batch_size=256)(x_train)          # a Kernel, as kernel_fn(x)
      >>> ntk_fn = batch(empirical_ntk_fn(apply_fn, vmap_axes=0), batch_size=256)
      >>> theta = ntk_fn(x_train, None, params)   # memory O(256 · O · P), not O(N · O · P)
    """
    if not callable(kernel_fn):
        raise TypeError(f"`kernel_fn` must be callable, got {type(kernel_fn).__name__}.")
    batch_size = check_batching_options(batch_size, device_count, store_on_device, "batching")
    diagonal_batch = bool(getattr(kernel_fn, "diagonal_batch", False))
    swap = getattr(kernel_fn, "swap_inputs", None) or _default_swap
    concat = jnp.concatenate if store_on_device else np.concatenate
    cache: dict = {}

    def place(out: Any) -> Any:
        return out if store_on_device else jax.device_get(out)

    def batched_fn(x1: Any, x2: Any = None, *args: Any, **kwargs: Any) -> Any:
        jitted = _jit(kernel_fn, args, kwargs, cache)
        if _is_kernel_input(x1):
            if x2 is not None:
                raise ValueError(f"`x2` must be None when `x1` is a Kernel, got {type(x2).__name__}.")
            n1, n2, symmetric = _kernel_rows(x1)

            def call(r1, r2, on_diagonal):
                block = jax.tree.map(
                    lambda k: _slice_kernel(k, r1, r2, on_diagonal), x1, is_leaf=is_kernel
                )
                return place(jitted(block, None, *args, **kwargs))

            x1_is_x2 = symmetric
        else:
            n1 = _rows(x1, "x1")
            n2 = n1 if x2 is None else _rows(x2, "x2")
            symmetric = x2_none = x2 is None
            pairs = _pair_kwargs(kwargs, n1, n2)
            if pairs:
                symmetric = False  # the x1 and x2 values of the pairs may differ

            def call(r1, r2, on_diagonal):
                kw = dict(kwargs)
                kw.update({k: (_take(v[0], r1), _take(v[1], r2)) for k, v in pairs.items()})
                b = None if on_diagonal else _take(x1 if x2 is None else x2, r2)
                return place(jitted(_take(x1, r1), b, *args, **kw))

            x1_is_x2 = x2_none
        size = batch_size or max(n1, n2)
        whole = (0, n1), (0, n2)
        if n1 <= size and n2 <= size:
            return call(*whole, symmetric)
        if diagonal_batch:
            if n1 != n2:
                raise ValueError(
                    f"`x2` must have as many rows as `x1` ({n1}) for a diagonal batch axis, got {n2}."
                )
            blocks = [call(r, r, symmetric) for r in _ranges(n1, size)]
            return _assemble_diagonal(blocks, concat)
        rows1, rows2 = _ranges(n1, size), _ranges(n2, size)
        grid: list[list[Any]] = [[None] * len(rows2) for _ in rows1]
        for i, r1 in enumerate(rows1):
            for j, r2 in enumerate(rows2):
                mirrored = swap(grid[j][i]) if symmetric and j < i else None
                grid[i][j] = mirrored if mirrored is not None else call(r1, r2, symmetric and i == j)
        return _assemble(grid, n1, n2, x1_is_x2, concat)

    return batched_fn
