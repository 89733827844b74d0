"""Static kernels κ on path points and the cell increments of the signature-kernel PDE.

For paths x, y sampled at x_0..x_{L-1}, y_0..y_{L'-1} the Goursat PDE of Salvi et al. 2021
(arXiv:2006.14794, Thm 2.5 and §3.1) is discretised on the grid of sample pairs, with the cell
increment

    g_ij = κ(x_{i+1}, y_{j+1}) − κ(x_i, y_{j+1}) − κ(x_{i+1}, y_j) + κ(x_i, y_j),

which for the linear kernel κ(a, b) = ⟨a, b⟩ is ⟨Δx_i, Δy_j⟩ (computed in that form, free of
cancellation). A static kernel here is a pair of pure functions: ``segments(x)`` maps a path
``(..., L, d)`` to per-segment data (feature axis first, segment axis last, length L−1), and
``increment(sx, sy)`` maps aligned segment data to g. Dyadic refinement (splitting every segment
into 2^λ) is `refine`: for the linear kernel this is exact (each sub-segment has increment
Δx/2^λ); for a general κ the cell value is divided by 2^λ per path, as in the papers' solvers.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from widenets._validation import check_float

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class StaticKernel:
    """A static kernel κ with its cell increments.

    Attributes:
      name: e.g. ``"linear"``.
      segments: path ``(..., L, d)`` → segment data, a tuple of arrays ``(k, ..., L−1)``
        (feature axis *first*, so that the solvers' inner loops sum over it with contiguous
        vector operations).
      increment: ``(sx, sy)`` aligned segment data → ``g`` (``(..., M)``, axis 0 summed).
      linear: True when increments are exact under refinement (refine by scaling the data).
      kappa: κ(a, b) on points ``(..., d)`` (feature axis last), for reference and tests.
    """

    name: str
    segments: Callable[[Array], tuple[Array, ...]]
    increment: Callable[[tuple[Array, ...], tuple[Array, ...]], Array]
    linear: bool
    kappa: Callable[[Array, Array], Array]

    def __repr__(self) -> str:
        return f"StaticKernel({self.name})"

    def refine(self, seg: tuple[Array, ...], lam: int) -> tuple[tuple[Array, ...], float]:
        """Split every segment into ``2^lam``; returns (refined data, factor to multiply g by)."""
        if lam == 0:
            return seg, 1.0
        n = 2**lam
        rep = tuple(jnp.repeat(s, n, axis=-1) for s in seg)
        if self.linear:
            return tuple(r / n for r in rep), 1.0
        return rep, 1.0 / n


def linear_static_kernel() -> StaticKernel:
    """κ(a, b) = ⟨a, b⟩: the signature kernel proper; g_ij = ⟨Δx_i, Δy_j⟩."""

    def segments(x: Array) -> tuple[Array, ...]:
        return (jnp.moveaxis(x[..., 1:, :] - x[..., :-1, :], -1, 0),)

    def increment(sx: tuple[Array, ...], sy: tuple[Array, ...]) -> Array:
        return _feature_sum(sx[0] * sy[0])

    return StaticKernel("linear", segments, increment, True, lambda a, b: jnp.sum(a * b, axis=-1))


def rbf_static_kernel(sigma: float) -> StaticKernel:
    """κ(a, b) = exp(−|a − b|² / (2σ²)); g_ij from the four corner values of each cell."""
    sigma = check_float("sigma", sigma, positive=True)
    inv = 1.0 / (2.0 * sigma**2)

    def kappa(a: Array, b: Array) -> Array:
        return jnp.exp(-jnp.sum((a - b) ** 2, axis=-1) * jnp.asarray(inv, a.dtype))

    def segments(x: Array) -> tuple[Array, ...]:
        xt = jnp.moveaxis(x, -1, 0)
        return (xt[..., :-1], xt[..., 1:])

    def k0(a: Array, b: Array) -> Array:  # feature axis first
        return jnp.exp(-_feature_sum((a - b) ** 2) * jnp.asarray(inv, a.dtype))

    def increment(sx: tuple[Array, ...], sy: tuple[Array, ...]) -> Array:
        (xa, xb), (ya, yb) = sx, sy
        return (k0(xb, yb) - k0(xa, yb)) - (k0(xb, ya) - k0(xa, ya))

    return StaticKernel(f"rbf(sigma={sigma})", segments, increment, False, kappa)


def _feature_sum(a: Array) -> Array:
    """Sum over the leading feature axis as a chain of adds (vectorises over the cell axis)."""
    out = a[0]
    for k in range(1, a.shape[0]):
        out = out + a[k]
    return out


def check_static_kernel(value: Any) -> StaticKernel:
    if value is None:
        return linear_static_kernel()
    if not isinstance(value, StaticKernel):
        raise TypeError(
            "`static_kernel` must come from linear_static_kernel() or rbf_static_kernel(sigma), "
            f"got {value!r}."
        )
    return value
