"""Piecewise-linear activations and the sign: ABRelu and its special cases, Identity, Sign.

Notation: (u, v) centred Gaussian with Var u = q11, Var v = q22, Cov(u, v) = q12;
P = q11 q22; θ = angle between u and v (cos θ = q12/√P); z ~ N(0, q).

Convention at zero variance: `correlation` sets cos θ = 0 when q11 q22 = 0. For the maps
below that is exactly the value obtained with φ'(0) (or φ(0) for Sign) equal to the mean of
the one-sided limits: ABRelu's Tdot gives ((a + b)/2)² there, Sign's T gives 0 = sign(0).
"""
from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from ._dual import Array, Dual, correlation
from ._fastmath import arctan2
from ._util import angle_parts, as_float, broadcast, cast, float_dtype, fmt, set_hypers

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class _PiecewiseLinear(Dual):
    """φ(x) = a·min(x, 0) + b·max(x, 0) for the slopes ``(a, b)`` of `_slopes`.

    With c = (a − b)²/(2π) (Cho & Saul 2009 for a = 0; Tsuchida, Roosta & Gallagher 2018,
    arXiv:1711.09090; neural-tangents `ABRelu`):

        T    = c·√(P − q12²) + ((a² + b²)/2 − c·θ)·q12,
        Tdot = (a² + b²)/2 − c·θ,
        E[φ(z)²] = (a² + b²)/2 · q,      E[φ(z)] = (b − a)·√(q/(2π)).

    θ = arccos(cos θ) as in `angle_parts` (cos θ snapped to ±1 within 4 ulp). At zero variance
    Tdot = ((a + b)/2)², i.e. φ'(0) = (a + b)/2.
    """

    def _slopes(self) -> tuple[Any, Any]:
        raise NotImplementedError

    def _constants(self, dtype: Any) -> tuple[Any, Any]:
        a, b = cast(dtype, *self._slopes())
        return (a - b) ** 2 / (2 * math.pi), (a * a + b * b) / 2

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        c, mean_sq = self._constants(float_dtype(q11, q22, q12))
        _, _, _, theta = angle_parts(q11, q22, q12)
        return mean_sq - c * theta

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        c, mean_sq = self._constants(float_dtype(q11, q22, q12))
        sqrt_prod, _, sin, theta = angle_parts(q11, q22, q12)
        return c * sqrt_prod * sin + (mean_sq - c * theta) * q12

    def nngp_diag(self, q: Any) -> Array:
        _, mean_sq = self._constants(float_dtype(q))
        return mean_sq * q

    def mean(self, q: Any) -> Array:
        q = as_float(q)
        a, b = cast(q.dtype, *self._slopes())
        return (b - a) * (jnp.sqrt(jnp.maximum(q, 0)) * _INV_SQRT_2PI)

    def fn(self, x: Any) -> Array:
        a, b = cast(float_dtype(x), *self._slopes())
        return a * jnp.minimum(x, 0) + b * jnp.maximum(x, 0)

    def dfn(self, x: Any) -> Array:
        a, b = cast(float_dtype(x), *self._slopes())
        return jnp.where(x > 0, b, a).astype(jnp.result_type(x))


class ABRelu(_PiecewiseLinear):
    """φ(x) = a·min(x, 0) + b·max(x, 0); ``a``, ``b`` traceable (see `abrelu`)."""

    a: float
    b: float

    def __post_init__(self) -> None:
        set_hypers(self, a={}, b={})

    def _slopes(self) -> tuple[Any, Any]:
        return self.a, self.b

    @property
    def name(self) -> str:
        return f"ABRelu({fmt(self.a)}, {fmt(self.b)})"


class Relu(_PiecewiseLinear):
    """φ(x) = max(x, 0) = ABRelu(0, 1) (see `relu`)."""

    def _slopes(self) -> tuple[Any, Any]:
        return 0.0, 1.0


class LeakyRelu(_PiecewiseLinear):
    """φ(x) = x for x > 0, α·x otherwise = ABRelu(α, 1); ``alpha`` traceable (see `leaky_relu`)."""

    alpha: float

    def __post_init__(self) -> None:
        set_hypers(self, alpha={})

    def _slopes(self) -> tuple[Any, Any]:
        return self.alpha, 1.0

    @property
    def name(self) -> str:
        return f"LeakyRelu({fmt(self.alpha)})"


class Abs(_PiecewiseLinear):
    """φ(x) = |x| = ABRelu(−1, 1) (see `abs_`)."""

    def _slopes(self) -> tuple[Any, Any]:
        return -1.0, 1.0


def abrelu(a: float, b: float) -> ABRelu:
    """φ(x) = a·min(x, 0) + b·max(x, 0).

    With c = (a − b)²/(2π) (Cho & Saul 2009 for a = 0; Tsuchida, Roosta & Gallagher 2018,
    arXiv:1711.09090; neural-tangents `ABRelu`):

        T    = c·√(P − q12²) + ((a² + b²)/2 − c·θ)·q12,
        Tdot = (a² + b²)/2 − c·θ,
        E[φ(u)²] = (a² + b²)/2 · q,      E[φ(u)] = (b − a)·√(q/(2π)).

    θ = arccos(cos θ) as in `angle_parts` (cos θ snapped to ±1 within 4 ulp). At zero variance
    Tdot = ((a + b)/2)², i.e. φ'(0) = (a + b)/2. ``a`` and ``b`` may be traced (`jax.grad`,
    `jax.vmap`).
    """
    return ABRelu(a, b)


def relu() -> Relu:
    """φ(x) = max(x, 0) = `abrelu(0, 1)` (Cho & Saul 2009, arc-cosine kernel of order 1).

    T = (√(P − q12²) + (π − θ) q12)/(2π), Tdot = (π − θ)/(2π), E[φ(u)] = √(q/(2π)).
    """
    return Relu()


def leaky_relu(alpha: float) -> LeakyRelu:
    """φ(x) = x for x > 0, α·x otherwise = `abrelu(alpha, 1)` (Maas et al. 2013)."""
    return LeakyRelu(alpha)


def abs_() -> Abs:
    """φ(x) = |x| = `abrelu(-1, 1)`: T = (2/π)(√(P − q12²) + (π/2 − θ) q12), Tdot = 1 − 2θ/π,
    E[φ(u)] = √(2q/π)."""
    return Abs()


class Identity(Dual):
    """φ(x) = x: T = q12, Tdot = 1, E[φ(u)²] = q, E[φ(u)] = 0."""

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        return broadcast(q11, q22, q12)[2]

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        return jnp.ones_like(broadcast(q11, q22, q12)[2])

    def nngp_diag(self, q: Any) -> Array:
        return q

    def mean(self, q: Any) -> Array:
        return jnp.zeros_like(as_float(q))

    def fn(self, x: Any) -> Array:
        return x

    def dfn(self, x: Any) -> Array:
        return jnp.ones_like(x)


def identity() -> Identity:
    """φ(x) = x: T = q12, Tdot = 1, E[φ(u)²] = q."""
    return Identity()


class Sign(Dual):
    """φ(x) = sign(x) (see `sign`)."""

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        _, cos, sin = correlation(q11, q22, q12)
        return (2 / math.pi) * arctan2(cos, sin)

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        return jnp.zeros_like(broadcast(q11, q22, q12)[2])

    def nngp_diag(self, q: Any) -> Array:
        q = jnp.asarray(q, dtype=float_dtype(q))
        return jnp.where(q > 0, jnp.ones_like(q), jnp.zeros_like(q))

    def mean(self, q: Any) -> Array:
        return jnp.zeros_like(as_float(q))

    def fn(self, x: Any) -> Array:
        return jnp.sign(x)

    def dfn(self, x: Any) -> Array:
        return jnp.zeros_like(x)


def sign() -> Sign:
    """φ(x) = sign(x).

    T = (2/π)·arcsin(cos θ) (Grothendieck's identity / Sheppard 1899), computed as
    (2/π)·arctan2(cos θ, sin θ); T = 0 where a variance is 0 (sign(0) = 0).
    E[φ(u)²] = 1 if q > 0 else 0; E[φ(u)] = 0.

    Tdot ≡ 0: φ' = 0 almost everywhere, and, as in neural-tangents' `Sign`, the NTK uses that
    a.e. derivative (the distributional derivative 2δ would give (2/π)/√(P − q12²)). So a Sign
    layer contributes to the NNGP but passes no NTK from the layers below it.
    """
    return Sign()
