"""Piecewise-linear activations and the sign: ABRelu and its special cases, Identity, Sign.

Notation (THEORY.md §1): (u, v) centred Gaussian with Var u = q11, Var v = q22,
Cov(u, v) = q12; P = q11 q22; θ = angle between u and v (cos θ = q12/√P).

Convention at zero variance: `correlation` sets cos θ = 0 when q11 q22 = 0. For the maps
below that is exactly the value obtained with φ'(0) (or φ(0) for Sign) equal to the mean of
the one-sided limits: ABRelu's Tdot gives ((a + b)/2)² there, Sign's T gives 0 = sign(0).
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from .._validation import check_float
from ._dual import Dual, correlation
from ._fastmath import arctan2
from ._util import angle_parts, broadcast, float_dtype, renamed


def abrelu(a: float, b: float) -> Dual:
    """φ(x) = a·min(x, 0) + b·max(x, 0).

    With c = (a − b)²/(2π) (Cho & Saul 2009 for a = 0; Tsuchida, Roosta & Gallagher 2018,
    arXiv:1711.09090; neural-tangents `ABRelu`):

        T    = c·√(P − q12²) + ((a² + b²)/2 − c·θ)·q12,
        Tdot = (a² + b²)/2 − c·θ,
        E[φ(u)²] = (a² + b²)/2 · q.

    θ = arccos(cos θ) as in `angle_parts` (cos θ snapped to ±1 within 4 ulp). At zero variance
    Tdot = ((a + b)/2)², i.e. φ'(0) = (a + b)/2.
    """
    a = check_float("a", a)
    b = check_float("b", b)
    c = (a - b) ** 2 / (2 * math.pi)
    mean_sq = (a * a + b * b) / 2

    def tdot(q11, q22, q12):
        _, _, _, theta = angle_parts(q11, q22, q12)
        return mean_sq - c * theta

    def t(q11, q22, q12):
        sqrt_prod, _, sin, theta = angle_parts(q11, q22, q12)
        return c * sqrt_prod * sin + (mean_sq - c * theta) * q12

    return Dual(
        name=f"ABRelu({a:g}, {b:g})",
        fn=lambda x: a * jnp.minimum(x, 0) + b * jnp.maximum(x, 0),
        nngp=t,
        ntk=tdot,
        variance=lambda q: mean_sq * q,
        derivative=lambda x: jnp.where(x > 0, b, a).astype(jnp.result_type(x)),
    )


def relu() -> Dual:
    """φ(x) = max(x, 0) = `abrelu(0, 1)` (Cho & Saul 2009, arc-cosine kernel of order 1).

    T = (√(P − q12²) + (π − θ) q12)/(2π), Tdot = (π − θ)/(2π).
    """
    return renamed(abrelu(0.0, 1.0), "Relu")


def leaky_relu(alpha: float) -> Dual:
    """φ(x) = x for x > 0, α·x otherwise = `abrelu(alpha, 1)` (Maas et al. 2013)."""
    alpha = check_float("alpha", alpha)
    return renamed(abrelu(alpha, 1.0), f"LeakyRelu({alpha:g})")


def abs_() -> Dual:
    """φ(x) = |x| = `abrelu(-1, 1)`: T = (2/π)(√(P − q12²) + (π/2 − θ) q12), Tdot = 1 − 2θ/π."""
    return renamed(abrelu(-1.0, 1.0), "Abs")


def identity() -> Dual:
    """φ(x) = x: T = q12, Tdot = 1, E[φ(u)²] = q."""

    def t(q11, q22, q12):
        return broadcast(q11, q22, q12)[2]

    def tdot(q11, q22, q12):
        return jnp.ones_like(broadcast(q11, q22, q12)[2])

    return Dual(
        name="Identity",
        fn=lambda x: x,
        nngp=t,
        ntk=tdot,
        variance=lambda q: q,
        derivative=jnp.ones_like,
    )


def sign() -> Dual:
    """φ(x) = sign(x).

    T = (2/π)·arcsin(cos θ) (Grothendieck's identity / Sheppard 1899), computed as
    (2/π)·arctan2(cos θ, sin θ); T = 0 where a variance is 0 (sign(0) = 0).
    E[φ(u)²] = 1 if q > 0 else 0.

    Tdot ≡ 0: φ' = 0 almost everywhere, and, as in neural-tangents' `Sign`, the NTK uses that
    a.e. derivative (the distributional derivative 2δ would give (2/π)/√(P − q12²)). So a Sign
    layer contributes to the NNGP but passes no NTK from the layers below it.
    """

    def t(q11, q22, q12):
        _, cos, sin = correlation(q11, q22, q12)
        return (2 / math.pi) * arctan2(cos, sin)

    def tdot(q11, q22, q12):
        return jnp.zeros_like(broadcast(q11, q22, q12)[2])

    def var(q):
        q = jnp.asarray(q, dtype=float_dtype(q))
        return jnp.where(q > 0, jnp.ones_like(q), jnp.zeros_like(q))

    return Dual(
        name="Sign",
        fn=jnp.sign,
        nngp=t,
        ntk=tdot,
        variance=var,
        derivative=jnp.zeros_like,
    )
