"""Exponential activations: Exp and Gaussian (closed forms, neural-tangents `Exp`, `Gaussian`).

Notation (THEORY.md §1): (u, v) centred Gaussian, Var u = q11, Var v = q22, Cov = q12.
"""
from __future__ import annotations

import jax.numpy as jnp

from .._validation import check_float
from ._dual import Dual
from ._util import broadcast, det


def exp(a: float = 1.0, b: float = 1.0) -> Dual:
    """φ(x) = a·exp(b x). From the Gaussian moment generating function E[e^{b(u+v)}]:

        T    = a²·exp(b² ((q11 + q22)/2 + q12)),
        Tdot = b²·T,        E[φ(u)²] = a²·exp(2 b² q).

    T grows like e^{2b²q}: it overflows (to inf) once 2b²q exceeds ~88 in float32 and ~709
    in float64, as the true value does.
    """
    a = check_float("a", a)
    b = check_float("b", b)
    a2, b2 = a * a, b * b

    def t(q11, q22, q12):
        q11, q22, q12 = broadcast(q11, q22, q12)
        return a2 * jnp.exp(b2 * ((q11 + q22) / 2 + q12))

    return Dual(
        name=f"Exp({a:g}, {b:g})",
        fn=lambda x: a * jnp.exp(b * x),
        nngp=t,
        ntk=lambda q11, q22, q12: b2 * t(q11, q22, q12),
        variance=lambda q: a2 * jnp.exp(2 * b2 * q),
        derivative=lambda x: (a * b) * jnp.exp(b * x),
    )


def gaussian(a: float = 1.0, b: float = -1.0) -> Dual:
    """φ(x) = a·exp(b x²). With d_i = 1 − 2b q_ii and
    D² = d1 d2 − 4b² q12² = 1 − 2b (q11 + q22) + 4b² (q11 q22 − q12²):

        T    = a² / D,
        Tdot = E[4a²b² u v e^{b(u² + v²)}] = 4a²b²·q12 / D³,
        E[φ(u)²] = a² / √(1 − 4 b q).

    (Gaussian integral of exp(b(u² + v²)); neural-tangents `Gaussian`.) For b ≤ 0 (the
    default b = −1 is a bump) this is finite everywhere. For b > 0 the expectation diverges
    unless I − 2bΣ is positive definite (d1 > 0 and D² > 0); there T = +inf and
    Tdot = ±inf (sign of q12). D² is assembled from the non-negative determinant so that it
    keeps relative precision for nearly collinear inputs; Tdot = 4a²b²·(q12/D)/D² avoids
    overflowing D³ for large variances.
    """
    a = check_float("a", a)
    b = check_float("b", b)
    a2 = a * a

    def parts(q11, q22, q12):
        q11, q22, q12 = broadcast(q11, q22, q12)
        d2 = 1 - 2 * b * (q11 + q22) + 4 * (b * b) * det(q11, q22, q12)
        if b > 0:  # divergent unless I − 2bΣ ≻ 0
            ok = (1 - 2 * b * q11 > 0) & (1 - 2 * b * q22 > 0) & (d2 > 0)
        else:
            ok = jnp.ones(d2.shape, dtype=bool)
        return q12, jnp.where(ok, d2, 1), ok

    def t(q11, q22, q12):
        _, d2, ok = parts(q11, q22, q12)
        return jnp.where(ok, a2 / jnp.sqrt(d2), jnp.inf)

    def tdot(q11, q22, q12):
        q12, d2, ok = parts(q11, q22, q12)
        finite = (4 * a2 * b * b) * (q12 / jnp.sqrt(d2)) / d2
        return jnp.where(ok, finite, jnp.where(q12 >= 0, jnp.inf, -jnp.inf))

    def var(q):
        d2 = 1 - 4 * b * q
        return jnp.where(d2 > 0, a2 / jnp.sqrt(jnp.where(d2 > 0, d2, 1)), jnp.inf)

    return Dual(
        name=f"Gaussian({a:g}, {b:g})",
        fn=lambda x: a * jnp.exp(b * x * x),
        nngp=t,
        ntk=tdot,
        variance=var,
        derivative=lambda x: (2 * a * b) * x * jnp.exp(b * x * x),
    )
