"""Sigmoidal and GELU activations: Erf, SigmoidLike, Gelu (closed forms).

Notation (THEORY.md §1): (u, v) centred Gaussian, Var u = q11, Var v = q22, Cov = q12.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy.special import erf as _erf
from jax.scipy.special import ndtr as _ndtr

from .._validation import check_float
from ._dual import Dual
from ._fastmath import arctan, arctan2
from ._util import det, renamed

SIGMOID_LIKE_SCALE = 2.4020563531719796
"""neural-tangents' `Sigmoid_like` constant: 0.5·erf(x/2.40205…) + 0.5 approximates the
logistic sigmoid 1/(1 + e^{−x})."""

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def erf(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Dual:
    """φ(x) = a·erf(b x) + c (Williams 1997, "Computing with infinite networks").

    With q → b² q and D = (1 + 2q11)(1 + 2q22) − 4q12² = 1 + 2(q11 + q22) + 4(q11 q22 − q12²):

        T    = a²·(2/π)·arcsin(2 q12 / √((1 + 2q11)(1 + 2q22))) + c²
             = a²·(2/π)·arctan2(2 q12, √D) + c²,
        Tdot = a² b²·(4/π) / √D,
        E[φ(u)²] = a²·(2/π)·arctan2(2q, √(1 + 4q)) + c².

    D is assembled from the non-negative determinant q11 q22 − q12² so that it keeps its
    relative precision when the inputs are large and nearly collinear (D ≥ 1 always).
    """
    a, b, c = (check_float(n, v) for n, v in (("a", a), ("b", b), ("c", c)))
    a2, b2, c2 = a * a, b * b, c * c

    def big_d(q11, q22, q12):
        return 1 + 2 * b2 * (q11 + q22) + 4 * (b2 * b2) * det(q11, q22, q12)

    def t(q11, q22, q12):  # √D ≥ 1, so arctan2(2 b² q12, √D) = arctan(2 b² q12 / √D)
        return a2 * (2 / math.pi) * arctan(2 * b2 * q12 / jnp.sqrt(big_d(q11, q22, q12))) + c2

    def tdot(q11, q22, q12):
        return a2 * b2 * (4 / math.pi) / jnp.sqrt(big_d(q11, q22, q12))

    def var(q):
        return a2 * (2 / math.pi) * arctan2(2 * b2 * q, jnp.sqrt(1 + 4 * b2 * q)) + c2

    return Dual(
        name=f"Erf({a:g}, {b:g}, {c:g})",
        fn=lambda x: a * _erf(b * x) + c,
        nngp=t,
        ntk=tdot,
        variance=var,
        derivative=lambda x: (a * b * 2 / math.sqrt(math.pi)) * jnp.exp(-b2 * x * x),
    )


def sigmoid_like() -> Dual:
    """φ(x) = 0.5·erf(x / 2.4020563531719796) + 0.5 = `erf(0.5, 1/2.40205…, 0.5)`.

    neural-tangents' `Sigmoid_like`: an erf fit to the logistic sigmoid.
    """
    return renamed(erf(0.5, 1 / SIGMOID_LIKE_SCALE, 0.5), "SigmoidLike")


def gelu() -> Dual:
    """φ(x) = x·Φ(x), the exact (erf) GELU (Hendrycks & Gimpel 2016).

    Closed form (cf. Tsuchida, Pearce et al. 2021, arXiv:2002.08517; derived here by Gaussian
    integration by parts on E[u v 1{g1 ≤ u} 1{g2 ≤ v}], g1, g2 ~ N(0, 1) independent, and
    checked against 2-D quadrature in the tests). With s = (1 + q11)(1 + q22),
    Δ = √(s − q12²) = √(1 + q11 + q22 + q11 q22 − q12²), ρ = q12/√s, r_i = q_ii/(1 + q_ii):

        T    = q12/4 + q12·arcsin(ρ)/(2π) + (q11 q22 Δ² + q12²)/(2π s Δ)
             = [q12·arctan2(Δ, −q12) + r1 r2 Δ + ρ²/Δ] / (2π),
        Tdot = ∂T/∂q12 = E[(Φ(u) + u ϕ(u))(Φ(v) + v ϕ(v))]
             = 1/4 + arcsin(ρ)/(2π) + q12·((3 + q11 + q22) Δ² + q12²)/(2π s Δ³)
             = [arctan2(Δ, −q12) + (q12/Δ)(1/(1+q11) + 1/(1+q22) + 1/s + ρ²/Δ²)] / (2π),
        E[φ(u)²] = q/4 + q·arcsin(q/(1+q))/(2π) + q²/(π (1 + q) √(1 + 2q)).

    The second forms use 1/4 + arcsin(ρ)/(2π) = arctan2(Δ, −q12)/(2π) (no cancellation for
    q12 < 0) and only bounded ratios (no overflow of s Δ for variances up to ~1e12 in float32).
    """

    def parts(q11, q22, q12):
        s1, s2 = 1 + q11, 1 + q22
        delta = jnp.sqrt(1 + q11 + q22 + det(q11, q22, q12))
        rho2 = (q12 / s1) * (q12 / s2)
        return s1, s2, delta, rho2

    def t(q11, q22, q12):
        s1, s2, delta, rho2 = parts(q11, q22, q12)
        main = q12 * arctan2(delta, -q12) + (q11 / s1) * (q22 / s2) * delta + rho2 / delta
        return main / (2 * math.pi)

    def tdot(q11, q22, q12):
        s1, s2, delta, rho2 = parts(q11, q22, q12)
        rational = (q12 / delta) * (1 / s1 + 1 / s2 + 1 / (s1 * s2) + rho2 / (delta * delta))
        return (arctan2(delta, -q12) + rational) / (2 * math.pi)

    def var(q):
        return (
            q / 4
            + q * arctan2(q, jnp.sqrt(1 + 2 * q)) / (2 * math.pi)
            + (q / (1 + q)) * q / (math.pi * jnp.sqrt(1 + 2 * q))
        )

    return Dual(
        name="Gelu",
        fn=lambda x: x * _ndtr(x),
        nngp=t,
        ntk=tdot,
        variance=var,
        derivative=lambda x: _ndtr(x) + x * _INV_SQRT_2PI * jnp.exp(-x * x / 2),
    )
