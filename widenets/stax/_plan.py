"""How a kernel is evaluated: the `KernelPlan`, and the tiled evaluation it describes.

Every layer rule maps the kernel entries of each pair of examples (i, j) on its own, so a
kernel matrix can be computed in independent tiles of rows and columns (`_kernel.py`):

* **Symmetric Gram** (``x2 is None``): a T × T tiling of the examples, of which only the
  tiles (a, b) with a ≤ b are computed — T(T + 1)/2 of T² — and the others mirrored;
  diagonal tiles are themselves symmetric Grams. Every Gram is then symmetrised exactly by
  `symmetrize`, a separate computation on the materialised result (called by the front end). Diagonal tiles read their variances off their own diagonal (as every
  symmetric Gram does, see `nngp_variances`).
* **Cross kernel** (``x2`` given): a T1 × T2 tiling; for fully connected networks each tile is
  a block of rows against all of x2 (``ROW_BLOCK`` rows), which on CPU is faster than one
  whole-matrix program (intermediates stay in cache and buffers are reused).

Tiles run one after another in a `jax.lax.map` inside one compiled program, so the working
memory is bounded by the tile: about ``c · t1 · t2 · E`` numbers, where E is the number of
kernel entries per pair of examples (1 for fully connected networks, Π S for a diagonal
spatial covariance, Π S² for a full one), c ≈ the number of intermediates a layer keeps
alive (≲ 10), and t1 · t2 · E ≤ ``TILE_BUDGET`` (2²² entries: 32 MiB per float64 array).
The result itself takes N1 · N2 · E numbers per requested field, plus as much again while
tiles are assembled. Small problems (fewer than two tiles) are evaluated directly.

The plan is decided from shapes alone, while the computation is traced, so it costs nothing
per call; `plan_kernel` returns it for inspection.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp

from ._kernel import Kernel, input_kernel, swap_pairs, take_spatial_diagonal

#: kernel entries per tile and per array (bounds the working memory, see the module docstring)
TILE_BUDGET = 2**22
#: largest tile side of a symmetric Gram
SYM_TILE = 256
#: rows per tile of a cross kernel
ROW_BLOCK = 128
DATA_FIELDS = ("nngp", "ntk", "cov1", "cov2")


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    """The static part of one kernel evaluation (hashable: it keys the compiled program).

    Attributes:
      fields: the kernel arrays to compute, among ``DATA_FIELDS``.
      form: the spatial form of the input kernel ('flat', 'diagonal' or 'full'), or a tuple
        of them for networks with several inputs.
      axes: ``(batch_axis, channel_axis)`` of the inputs, or a tuple of them.
      diagonal_spatial: return only the spatial diagonal of the output kernels.
    """

    fields: tuple[str, ...]
    form: Any
    axes: Any
    diagonal_spatial: bool


@dataclasses.dataclass(frozen=True)
class KernelPlan:
    """How a kernel evaluation is carried out (see the module docstring).

    Attributes:
      path: 'direct', 'symmetric_tiles' or 'cross_tiles'.
      tile1, tile2: tile sides (rows of x1, rows of x2); the whole batch on the direct path.
      n_tiles: the number of tiles computed.
      entries_per_pair: kernel entries per pair of examples E (largest of input and output).
      options: the `EvalOptions` it was made for.
    """

    path: str
    tile1: int
    tile2: int
    n_tiles: int
    entries_per_pair: int
    options: EvalOptions


def _leaves(x: Any) -> list:
    return jax.tree_util.tree_leaves(x)


def _per_leaf(fn, x1, x2, form, axes):
    """Apply ``fn(x1_leaf, x2_leaf, form, axes)`` over the (possibly nested list) inputs."""
    if isinstance(x1, (list, tuple)):
        n = len(x1)
        forms = form if isinstance(form, tuple) else (form,) * n
        axess = axes if isinstance(axes, tuple) and not isinstance(axes[0], int) else (axes,) * n
        x2s = [None] * n if x2 is None else x2
        return [_per_leaf(fn, a, b, f, ax) for a, b, f, ax in zip(x1, x2s, forms, axess)]
    return fn(x1, x2, form, axes)


def inputs_to_kernel(x1: Any, x2: Any, options: EvalOptions) -> Any:
    """The input kernel (or list of them) of the raw inputs."""
    return _per_leaf(lambda a, b, f, ax: input_kernel(a, b, f, *ax), x1, x2, options.form, options.axes)


def _batch_axis_of(options: EvalOptions) -> int:
    axes = options.axes
    while not isinstance(axes[0], int):
        axes = axes[0]
    return axes[0]


def _rows(x: Any) -> int:
    return _leaves(x)[0].shape[0]


def _kernel_leaves(out: Any) -> list[Kernel]:
    return jax.tree_util.tree_leaves(out, is_leaf=lambda o: isinstance(o, Kernel))


def _entries_per_pair(layer: Any, x1: Any, options: EvalOptions) -> int:
    def one(a):
        return jax.tree.map(lambda v: v[:1], a)

    def run(a):
        return layer.transform(inputs_to_kernel(a, None, options))

    k_in = jax.eval_shape(lambda a: inputs_to_kernel(a, None, options), one(x1))
    k_out = jax.eval_shape(run, one(x1))
    sizes = [math.prod(k.nngp.shape[2:]) for k in _kernel_leaves(k_in) + _kernel_leaves(k_out)]
    return max(sizes + [1])


def plan_kernel(layer: Any, x1: Any, x2: Any, options: EvalOptions) -> KernelPlan:
    """The `KernelPlan` for evaluating ``layer``'s kernel on (x1, x2) (shapes only)."""
    n1 = _rows(x1)
    e = _entries_per_pair(layer, x1, options)
    side = max(1, math.isqrt(TILE_BUDGET // e))
    if x2 is None:
        t = min(SYM_TILE, side)
        if n1 < 2 * t or _batch_axis_of(options) != 0:
            return KernelPlan("direct", n1, n1, 1, e, options)
        n_t = -(-n1 // t)
        return KernelPlan("symmetric_tiles", t, t, n_t * (n_t + 1) // 2, e, options)
    n2 = _rows(x2)
    t1 = min(ROW_BLOCK, side, n1)
    t2 = min(n2, max(t1, TILE_BUDGET // (t1 * e)))
    n_t1, n_t2 = -(-n1 // t1), -(-n2 // t2)
    if (n_t2 == 1 and n1 < 2 * t1) or _batch_axis_of(options) != 0:
        return KernelPlan("direct", n1, n2, 1, e, options)
    return KernelPlan("cross_tiles", t1, t2, n_t1 * n_t2, e, options)


# ---------------------------------------------------------------------------------------
# Evaluation (traced)
# ---------------------------------------------------------------------------------------

def _select(out: Any, options: EvalOptions) -> Any:
    """Keep the requested arrays (others None) and the requested spatial form."""
    def one(k: Kernel) -> Kernel:
        if options.diagonal_spatial:
            k = take_spatial_diagonal(k)
        return k.replace(**{f: (getattr(k, f) if f in options.fields else None) for f in DATA_FIELDS})

    return jax.tree.map(one, out, is_leaf=lambda o: isinstance(o, Kernel))


def _symmetrize(k: Kernel) -> Kernel:
    """(K + Kᵀ)/2 for nngp and ntk of a symmetric Gram (spatial pairs swapped too)."""
    def sym(m):
        return None if m is None else (m + swap_pairs(m, k.diagonal_spatial)) / 2

    return k.replace(nngp=sym(k.nngp), ntk=sym(k.ntk), cov2=k.cov1)


@jax.jit
def symmetrize(out: Any) -> Any:
    """`_symmetrize` every `Kernel` of a Gram's result, as a computation of its own.

    Run on the materialised result of `evaluate_jit` (a separate XLA program), the mirror
    is exact: fused with the layer maps, XLA would recompute K[i, j] and K[j, i] inline and
    may round them differently (e.g. contracting a final scaling into the average as an FMA;
    `jax.lax.optimization_barrier` does not stop that on XLA:CPU). Exactly symmetric inputs
    are returned unchanged ((a + a)/2 = a in floating point).
    """
    return jax.tree.map(_symmetrize, out, is_leaf=lambda o: isinstance(o, Kernel))


def _pad_rows(x: Any, size: int) -> Any:
    """Pad every leaf's rows to ``size`` by repeating its last row (no degenerate inputs)."""
    def pad(v):
        extra = size - v.shape[0]
        return v if extra == 0 else jnp.concatenate([v, jnp.repeat(v[-1:], extra, axis=0)])

    return jax.tree.map(pad, x)


def _tile(x: Any, t: int, n_tiles: int) -> Any:
    return jax.tree.map(lambda v: v.reshape((n_tiles, t) + v.shape[1:]), _pad_rows(x, n_tiles * t))


def _index(x: Any, a: Any) -> Any:
    return jax.tree.map(lambda v: v[a], x)


def evaluate(layer: Any, x1: Any, x2: Any, options: EvalOptions) -> Any:
    """``layer``'s kernel of (x1, x2) following its `plan_kernel` (traced under jit)."""
    plan = plan_kernel(layer, x1, x2, options)

    def run(a: Any, b: Any) -> Any:
        return _select(layer.transform(inputs_to_kernel(a, b, options)), options)

    if plan.path == "direct":
        return run(x1, x2)  # a Gram is made exactly symmetric afterwards (`symmetrize`)
    if plan.path == "symmetric_tiles":
        return _symmetric_tiles(run, x1, plan)
    return _cross_tiles(run, x1, x2, plan)


def _assemble_grid(tiles: Any, n_t1: int, n_t2: int, n1: int, n2: int) -> Any:
    """(T1·T2, t1, t2, …) tiles in row-major grid order → (N1, N2, …)."""
    if tiles is None:
        return None
    _, t1, t2 = tiles.shape[:3]
    rest = tiles.shape[3:]
    grid = tiles.reshape((n_t1, n_t2, t1, t2) + rest)
    grid = jnp.moveaxis(grid, 2, 1)  # (T1, t1, T2, t2, ...)
    return grid.reshape((n_t1 * t1, n_t2 * t2) + rest)[:n1, :n2]


def _cross_tiles(run, x1: Any, x2: Any, plan: KernelPlan) -> Any:
    n1, n2 = _rows(x1), _rows(x2)
    t1, t2 = plan.tile1, plan.tile2
    n_t1, n_t2 = -(-n1 // t1), -(-n2 // t2)
    b1, b2 = _tile(x1, t1, n_t1), _tile(x2, t2, n_t2)
    rows = jnp.repeat(jnp.arange(n_t1), n_t2)
    cols = jnp.tile(jnp.arange(n_t2), n_t1)
    out = jax.lax.map(lambda ab: run(_index(b1, ab[0]), _index(b2, ab[1])), (rows, cols))

    def assemble(k: Kernel) -> Kernel:
        def cov(c, first: bool):
            if c is None:
                return None
            t = t1 if first else t2
            c = c.reshape((n_t1, n_t2, t) + c.shape[2:])
            c = c[:, 0] if first else c[0]
            return c.reshape((-1,) + c.shape[2:])[: n1 if first else n2]

        return k.replace(
            nngp=_assemble_grid(k.nngp, n_t1, n_t2, n1, n2),
            ntk=_assemble_grid(k.ntk, n_t1, n_t2, n1, n2),
            cov1=cov(k.cov1, True),
            cov2=cov(k.cov2, False),
            shape1=(n1,) + k.shape1[1:],
            shape2=(n2,) + k.shape2[1:],
        )

    return jax.tree.map(assemble, out, is_leaf=lambda o: isinstance(o, Kernel))


def _symmetric_tiles(run, x: Any, plan: KernelPlan) -> Any:
    n, t = _rows(x), plan.tile1
    n_t = -(-n // t)
    blocks = _tile(x, t, n_t)
    diag = jax.lax.map(lambda xa: run(xa, None), blocks)  # mirrored exactly by `symmetrize`
    pairs = [(a, b) for a in range(n_t) for b in range(a + 1, n_t)]
    rows = jnp.array([a for a, _ in pairs], dtype=jnp.int32)
    cols = jnp.array([b for _, b in pairs], dtype=jnp.int32)
    off = jax.lax.map(lambda ab: run(_index(blocks, ab[0]), _index(blocks, ab[1])), (rows, cols))
    eye = jnp.arange(n_t)

    def assemble(on: Kernel, across: Kernel) -> Kernel:
        def mat(d, o):
            if d is None:
                return None
            full = jnp.zeros((n_t, n_t) + d.shape[1:], d.dtype)
            full = full.at[eye, eye].set(d)
            full = full.at[rows, cols].set(o)
            mirrored = jax.vmap(lambda m: swap_pairs(m, on.diagonal_spatial))(o)
            full = full.at[cols, rows].set(mirrored)
            grid = jnp.moveaxis(full, 2, 1)
            return grid.reshape((n_t * t, n_t * t) + d.shape[3:])[:n, :n]

        cov = None if on.cov1 is None else on.cov1.reshape((-1,) + on.cov1.shape[2:])[:n]
        return on.replace(
            nngp=mat(on.nngp, across.nngp), ntk=mat(on.ntk, across.ntk), cov1=cov, cov2=cov,
            shape1=(n,) + on.shape1[1:], shape2=(n,) + on.shape2[1:],
        )

    return jax.tree.map(assemble, diag, off, is_leaf=lambda o: isinstance(o, Kernel))


evaluate_jit = jax.jit(evaluate, static_argnames="options")
