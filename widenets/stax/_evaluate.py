"""Evaluate a layer's kernel rule on inputs, block by block.

Every rule in widenets.stax acts entry-wise on (nngp[i, j], ntk[i, j], cov1[i], cov2[j]), so
the kernel matrix can be computed in independent blocks of rows and columns. We use that
twice:

* **Blocks of rows** (``x2`` given): a sequential ``lax.map`` over row blocks keeps every
  intermediate of the layer chain at ``ROW_BLOCK × N2`` entries instead of ``N1 × N2``. On
  CPU this is markedly faster than one whole-matrix program (the intermediates stay in cache
  and their buffers are reused), and it bounds the working memory.
* **Symmetric Gram** (``x2 is None``): only the tiles (a, b) with a ≤ b of a T × T tiling are
  computed, T(T+1)/2 of T² (53% at T = 16), then mirrored; diagonal tiles are computed as
  symmetric Grams themselves and symmetrised, so the result is exactly symmetric.

Rules that return several kernels (architectures ending in branches) are evaluated whole.
"""
from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from ._kernel import Kernel, input_kernel

Rule = Callable[[Kernel], Kernel]

#: rows per block when x2 is given; working memory is O(ROW_BLOCK · N2) per intermediate.
ROW_BLOCK = 128
#: tile side for symmetric Grams; working memory is O(SYM_TILE²) per intermediate.
SYM_TILE = 256


def evaluate(rule: Rule, x1: jax.Array, x2: jax.Array | None):
    """``rule(input_kernel(x1, x2))``, computed block-wise when that is possible and pays.

    Returns a `Kernel` (or whatever pytree of Kernels the rule returns). A Gram matrix
    (``x2 is None``) computed by the tiled path is exactly symmetric; one computed directly
    is not guaranteed to be (see `symmetrize`).
    """
    path = choose_path(rule, x1, x2)
    if path == "symmetric_tiles":
        return _symmetric_tiled(rule, x1, SYM_TILE)
    if path == "row_blocks":
        return _row_blocks(rule, x1, x2, ROW_BLOCK)
    return rule(input_kernel(x1, x2))


def choose_path(rule: Rule, x1: jax.Array, x2: jax.Array | None) -> str:
    """``"symmetric_tiles"``, ``"row_blocks"`` or ``"direct"`` (decided from shapes only).

    Blocks need at least two of them and a rule returning one `Kernel`; the rule is traced
    (abstractly) only when the sizes would allow blocks.
    """
    n1 = x1.shape[0]
    path = "symmetric_tiles" if x2 is None else "row_blocks"
    if n1 < 2 * (SYM_TILE if x2 is None else ROW_BLOCK):
        return "direct"
    single = isinstance(jax.eval_shape(lambda x: rule(input_kernel(x, None)), x1[:1]), Kernel)
    return path if single else "direct"


def _blocks(x: jax.Array, size: int) -> jax.Array:
    """Rows of ``x`` (flattened features), zero-padded to a multiple of ``size``, in blocks."""
    n = x.shape[0]
    n_blocks = -(-n // size)
    flat = jnp.pad(x.reshape(n, -1), ((0, n_blocks * size - n), (0, 0)))
    return flat.reshape(n_blocks, size, -1)


def _row_blocks(rule: Rule, x1: jax.Array, x2: jax.Array, size: int) -> Kernel:
    n1, feature_shape = x1.shape[0], tuple(x1.shape[1:])
    flat2 = x2.reshape(x2.shape[0], -1)

    def one_block(rows: jax.Array) -> Kernel:
        return rule(input_kernel(rows, flat2).replace(shape=feature_shape))

    out = jax.lax.map(one_block, _blocks(x1, size))

    def rows(values: jax.Array) -> jax.Array:
        return values.reshape((-1,) + values.shape[2:])[:n1]

    return out.replace(nngp=rows(out.nngp), ntk=rows(out.ntk), cov1=rows(out.cov1), cov2=out.cov2[0])


def _symmetric_tiled(rule: Rule, x: jax.Array, tile: int) -> Kernel:
    n, feature_shape = x.shape[0], tuple(x.shape[1:])
    blocks = _blocks(x, tile)
    n_tiles = blocks.shape[0]

    # Diagonal tiles are Grams of one block with itself (x1_is_x2, so layers read variances
    # off their diagonal); off-diagonal tiles (a < b) are cross kernels. Blocks hold flattened
    # rows; the caller's feature shape is kept for layers like Flatten.
    def diagonal_tile(xa: jax.Array) -> Kernel:
        return rule(input_kernel(xa, None).replace(shape=feature_shape))

    def off_diagonal_tile(ab: tuple[jax.Array, jax.Array]) -> Kernel:
        return rule(input_kernel(blocks[ab[0]], blocks[ab[1]]).replace(shape=feature_shape))

    diag = jax.lax.map(diagonal_tile, blocks)
    pairs = [(a, b) for a in range(n_tiles) for b in range(a + 1, n_tiles)]
    rows = jnp.array([a for a, _ in pairs])
    cols = jnp.array([b for _, b in pairs])
    off = jax.lax.map(off_diagonal_tile, (rows, cols))
    eye = jnp.arange(n_tiles)

    def assemble(on: jax.Array, across: jax.Array) -> jax.Array:
        full = jnp.zeros((n_tiles, n_tiles, tile, tile), on.dtype)
        # `on` is the output of a loop, hence materialised: its mirror is exact (see `symmetrize`)
        full = full.at[eye, eye].set((on + jnp.swapaxes(on, 1, 2)) / 2)
        full = full.at[cols, rows].set(jnp.swapaxes(across, 1, 2))
        full = full.at[rows, cols].set(across)
        return jnp.swapaxes(full, 1, 2).reshape(n_tiles * tile, n_tiles * tile)[:n, :n]

    cov = diag.cov1.reshape(-1)[:n]
    return diag.replace(
        nngp=assemble(diag.nngp, off.nngp), ntk=assemble(diag.ntk, off.ntk), cov1=cov, cov2=cov
    )


@jax.jit
def symmetrize(matrices):
    """(K + Kᵀ)/2 for each square matrix in a pytree (other leaves pass through).

    For Grams from the direct path, run as its own XLA computation on materialised kernels:
    fused with the layer maps, XLA would recompute K[i, j] and K[j, i] inline, and its
    vectorised and scalar code paths need not round identically (ulp-level asymmetries).
    """

    def sym(m):
        return (m + m.T) / 2 if m.ndim == 2 and m.shape[0] == m.shape[1] else m

    return jax.tree_util.tree_map(sym, matrices)
