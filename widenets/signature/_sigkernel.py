"""The signature kernel k(x, y) = ⟨S(x), S(y)⟩ by its Goursat PDE (validated inputs only).

Salvi, Cass, Foster, Lyons, Yang 2021, "The signature kernel is the solution of a Goursat PDE"
(arXiv:2006.14794), Thm 2.5: for paths of bounded variation

    k(s, t) = 1 + ∫₀ˢ∫₀ᵗ k(u, v) ⟨dx_u, dy_v⟩,   i.e.   ∂²k/∂s∂t = ⟨ẋ_s, ẏ_t⟩ k,  k(0, ·) = k(·, 0) = 1,

and k(S, T) = Σ_n ⟨S^n(x), S^n(y)⟩ with S^0 = 1. Solved by `_goursat.solve`.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from widenets.signature import _goursat
from widenets.signature._static import StaticKernel

Array = jax.Array


def prepare(x: Array, kern: StaticKernel, lam: int) -> tuple[tuple[Array, ...], float]:
    """Refined segment data of a path ``(..., L, d)``: ((k, ..., 2^λ(L−1)), g factor)."""
    return kern.refine(kern.segments(x), lam)


def sig_kernel(
    x: Array, y: Array, kern: StaticKernel, lam: tuple[int, int], scheme: str, full_grid: bool
) -> Array:
    """k(x, y) for validated, same-rank paths; see `widenets.signature.theory.signature_kernel`."""
    sx, fx = prepare(x, kern, lam[0])
    sy, fy = prepare(y, kern, lam[1])
    swap = sx[0].shape[-1] > sy[0].shape[-1]
    if swap:
        sx, sy = sy, sx
    out = _goursat.solve(
        sx,
        sy,
        kern.increment,
        scale=fx * fy,
        boundary=jnp.ones((), x.dtype),
        scheme=scheme,
        full_grid=full_grid,
    )
    return jnp.swapaxes(out, -1, -2) if (swap and full_grid) else out
