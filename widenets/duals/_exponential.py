"""Exponential activations: Exp and Gaussian (closed forms, neural-tangents `Exp`, `Gaussian`).

Notation: (u, v) centred Gaussian, Var u = q11, Var v = q22, Cov = q12.
"""
from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ._dual import Array, Dual
from ._util import as_float, broadcast, cast, det, float_dtype, fmt, set_hypers


class Exp(Dual):
    """φ(x) = a·exp(b x); ``a, b`` traceable (see `exp`)."""

    a: float = 1.0
    b: float = 1.0

    def __post_init__(self) -> None:
        set_hypers(self, a={}, b={})

    @property
    def name(self) -> str:
        return f"Exp({fmt(self.a)}, {fmt(self.b)})"

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        q11, q22, q12 = broadcast(q11, q22, q12)
        a, b = cast(q12.dtype, self.a, self.b)
        return (a * a) * jnp.exp((b * b) * ((q11 + q22) / 2 + q12))

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        (b,) = cast(float_dtype(q11, q22, q12), self.b)
        return (b * b) * self.nngp(q11, q22, q12)

    def nngp_diag(self, q: Any) -> Array:
        a, b = cast(float_dtype(q), self.a, self.b)
        return (a * a) * jnp.exp(2 * (b * b) * q)

    def mean(self, q: Any) -> Array:
        """E[a e^{b u}] = a·exp(b² q/2) (the Gaussian moment generating function)."""
        q = jnp.maximum(as_float(q), 0)
        a, b = cast(q.dtype, self.a, self.b)
        return a * jnp.exp((b * b) * q / 2)

    def fn(self, x: Any) -> Array:
        a, b = cast(float_dtype(x), self.a, self.b)
        return a * jnp.exp(b * x)

    def dfn(self, x: Any) -> Array:
        a, b = cast(float_dtype(x), self.a, self.b)
        return (a * b) * jnp.exp(b * x)


def exp(a: float = 1.0, b: float = 1.0) -> Exp:
    """φ(x) = a·exp(b x). From the Gaussian moment generating function E[e^{b(u+v)}]:

        T    = a²·exp(b² ((q11 + q22)/2 + q12)),
        Tdot = b²·T,        E[φ(u)²] = a²·exp(2 b² q),        E[φ(u)] = a·exp(b² q/2).

    T grows like e^{2b²q}: it overflows (to inf) once 2b²q exceeds ~88 in float32 and ~709
    in float64, as the true value does. ``a, b`` may be traced.
    """
    return Exp(a, b)


class Gaussian(Dual):
    """φ(x) = a·exp(b x²); ``a, b`` traceable (see `gaussian`)."""

    a: float = 1.0
    b: float = -1.0

    def __post_init__(self) -> None:
        set_hypers(self, a={}, b={})

    @property
    def name(self) -> str:
        return f"Gaussian({fmt(self.a)}, {fmt(self.b)})"

    def _parts(self, q11: Any, q22: Any, q12: Any) -> tuple[Any, Array, Array, Array]:
        q11, q22, q12 = broadcast(q11, q22, q12)
        a, b = cast(q12.dtype, self.a, self.b)
        d2 = 1 - 2 * b * (q11 + q22) + 4 * (b * b) * det(q11, q22, q12)
        # for b > 0 divergent unless I − 2bΣ ≻ 0; for b ≤ 0 always finite (no branch on b,
        # which may be traced)
        ok = ((1 - 2 * b * q11 > 0) & (1 - 2 * b * q22 > 0) & (d2 > 0)) | (b <= 0)
        return a * a, q12, jnp.where(ok, d2, 1), ok

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        a2, _, d2, ok = self._parts(q11, q22, q12)
        return jnp.where(ok, a2 / jnp.sqrt(d2), jnp.inf)

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        a2, q12, d2, ok = self._parts(q11, q22, q12)
        (b,) = cast(q12.dtype, self.b)
        finite = (4 * a2 * b * b) * (q12 / jnp.sqrt(d2)) / d2
        return jnp.where(ok, finite, jnp.where(q12 >= 0, jnp.inf, -jnp.inf))

    def nngp_diag(self, q: Any) -> Array:
        a, b = cast(float_dtype(q), self.a, self.b)
        d2 = 1 - 4 * b * q
        return jnp.where(d2 > 0, (a * a) / jnp.sqrt(jnp.where(d2 > 0, d2, 1)), jnp.inf)

    def mean(self, q: Any) -> Array:
        """E[a e^{b u²}] = a/√(1 − 2bq) where 1 − 2bq > 0, else ±inf (divergent; 0 if a = 0)."""
        q = jnp.maximum(as_float(q), 0)
        a, b = cast(q.dtype, self.a, self.b)
        d = 1 - 2 * b * q
        divergent = jnp.where(a > 0, jnp.inf, jnp.where(a < 0, -jnp.inf, 0.0))
        return jnp.where(d > 0, a / jnp.sqrt(jnp.where(d > 0, d, 1)), divergent).astype(q.dtype)

    def fn(self, x: Any) -> Array:
        a, b = cast(float_dtype(x), self.a, self.b)
        return a * jnp.exp(b * x * x)

    def dfn(self, x: Any) -> Array:
        a, b = cast(float_dtype(x), self.a, self.b)
        return (2 * a * b) * x * jnp.exp(b * x * x)


def gaussian(a: float = 1.0, b: float = -1.0) -> Gaussian:
    """φ(x) = a·exp(b x²). With d_i = 1 − 2b q_ii and
    D² = d1 d2 − 4b² q12² = 1 − 2b (q11 + q22) + 4b² (q11 q22 − q12²):

        T    = a² / D,
        Tdot = E[4a²b² u v e^{b(u² + v²)}] = 4a²b²·q12 / D³,
        E[φ(u)²] = a² / √(1 − 4 b q),        E[φ(u)] = a / √(1 − 2 b q).

    (Gaussian integral of exp(b(u² + v²)); neural-tangents `Gaussian`.) For b ≤ 0 (the
    default b = −1 is a bump) this is finite everywhere. For b > 0 the expectation diverges
    unless I − 2bΣ is positive definite (d1 > 0 and D² > 0); there T = +inf and
    Tdot = ±inf (sign of q12). D² is assembled from the non-negative determinant so that it
    keeps relative precision for nearly collinear inputs; Tdot = 4a²b²·(q12/D)/D² avoids
    overflowing D³ for large variances. ``a, b`` may be traced.
    """
    return Gaussian(a, b)
