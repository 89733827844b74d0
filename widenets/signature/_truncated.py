"""Truncated signatures of piecewise-linear paths (Chen's identity) and their kernel.

For a path x: [0, T] → ℝ^d, the level-n signature is the iterated integral
S^n(x) = ∫_{0<u1<…<un<T} dx_{u1} ⊗ … ⊗ dx_{un} ∈ (ℝ^d)^{⊗n}, stored flattened as ``(..., d^n)``
(row-major: index (i1, …, in) ↦ i1 d^{n−1} + … + in). For one linear segment with increment Δ,
S(x) = exp(Δ) = Σ_n Δ^{⊗n}/n!, and Chen's identity S(x * y) = S(x) ⊗ S(y) multiplies the
segments in the truncated tensor algebra: (a ⊗ b)^n = Σ_{k=0}^n a^k ⊗ b^{n−k}
(Lyons, Caruana, Lévy 2007, "Differential equations driven by rough paths", §2.2).
"""
from __future__ import annotations


import jax
import jax.numpy as jnp
from jax import lax

Array = jax.Array


def _outer(a: Array, b: Array) -> Array:
    """Flattened tensor product of ``(..., p)`` and ``(..., q)`` → ``(..., p q)``."""
    return (a[..., :, None] * b[..., None, :]).reshape(a.shape[:-1] + (a.shape[-1] * b.shape[-1],))


def segment_exp(delta: Array, depth: int) -> list[Array]:
    """Levels 1..depth of exp(Δ): Δ^{⊗n}/n!, each ``(..., d^n)``."""
    levels = [delta]
    for n in range(2, depth + 1):
        levels.append(_outer(levels[-1], delta) / jnp.asarray(n, delta.dtype))
    return levels


def chen_product(a: list[Array], b: list[Array]) -> list[Array]:
    """Truncated tensor product of two group-like elements (levels 1..N, implicit level 0 = 1)."""
    depth = len(a)
    out = []
    for n in range(1, depth + 1):
        term = a[n - 1] + b[n - 1]
        for k in range(1, n):
            term = term + _outer(a[k - 1], b[n - k - 1])
        out.append(term)
    return out


def signature(x: Array, depth: int) -> list[Array]:
    """Levels 1..depth of the signature of the piecewise-linear path ``(..., L, d)``."""
    deltas = jnp.moveaxis(x[..., 1:, :] - x[..., :-1, :], -2, 0)  # (L−1, ..., d)
    init = segment_exp(deltas[0], depth)

    def step(sig, delta):
        return chen_product(sig, segment_exp(delta, depth)), None

    sig, _ = lax.scan(step, init, deltas[1:])
    return list(sig)


def signature_kernel_truncated(x: Array, y: Array, depth: int) -> Array:
    """1 + Σ_{n ≤ depth} ⟨S^n(x), S^n(y)⟩ (leading dimensions broadcast)."""
    sx, sy = signature(x, depth), signature(y, depth)
    total = jnp.ones(jnp.broadcast_shapes(x.shape[:-2], y.shape[:-2]), x.dtype)
    for a, b in zip(sx, sy):
        total = total + jnp.sum(a * b, axis=-1)
    return total


