"""Periodic activations: Sin, Cos, Rbf (random Fourier features) and Snake (closed forms).

Notation: (u, v) centred Gaussian, Var u = q11, Var v = q22, Cov = q12, and
m = (q11 + q22)/2. All expectations follow from E[e^{i(αu + βv)}] =
exp(−(α² q11 + β² q22 + 2αβ q12)/2). Every exponential below is written with a
non-positive exponent (|q12| ≤ m for a covariance), and differences of exponentials with
``expm1``, so the maps neither overflow for large variances nor cancel for small ones.
"""
from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from ._dual import Array, Dual
from ._util import as_float, broadcast, cast, even_exp, float_dtype, fmt, odd_exp, pcos, psin, psqrt, set_hypers


class _Sinusoid(Dual):
    """φ(x) = a·sin(b x + c) for the ``(a, b, c)`` of `_abc` (see `sin`)."""

    a: float = 1.0
    b: float = 1.0
    c: float = 0.0

    def __post_init__(self) -> None:
        set_hypers(self, a={}, b={}, c={})

    @property
    def name(self) -> str:
        return f"{type(self).__name__}({fmt(self.a)}, {fmt(self.b)}, {fmt(self.c)})"

    def _abc(self, dtype: Any) -> tuple[Any, Any, Any]:
        raise NotImplementedError

    def _weights(self, dtype: Any) -> tuple[Any, Any, Any, Any]:
        """(a², b², sin² c, cos² c) for the phase c of `_abc`."""
        a, b, c = self._abc(dtype)
        return a * a, b * b, psin(c) ** 2, pcos(c) ** 2

    def _parts(self, b2: Any, q11: Any, q22: Any, q12: Any) -> tuple[Array, Array]:
        q11, q22, q12 = broadcast(q11, q22, q12)
        m = (q11 + q22) / 2
        return even_exp(q12, m, b2), odd_exp(q12, m, b2)

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        a2, b2, sin2, cos2 = self._weights(float_dtype(q11, q22, q12))
        even, odd = self._parts(b2, q11, q22, q12)
        return a2 * (sin2 * even + cos2 * odd)

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        a2, b2, sin2, cos2 = self._weights(float_dtype(q11, q22, q12))
        even, odd = self._parts(b2, q11, q22, q12)
        return (a2 * b2) * (cos2 * even + sin2 * odd)

    def nngp_diag(self, q: Any) -> Array:
        a2, b2, sin2, cos2 = self._weights(float_dtype(q))
        return a2 * (sin2 * (1 + jnp.exp(-2 * b2 * q)) / 2 + cos2 * (-jnp.expm1(-2 * b2 * q)) / 2)

    def mean(self, q: Any) -> Array:
        """E[a sin(b u + c)] = a·sin c·exp(−b² q/2) (imaginary part of E[e^{i(bu + c)}])."""
        q = jnp.maximum(as_float(q), 0)
        a, b, c = self._abc(q.dtype)
        return (a * psin(c)) * jnp.exp(-(b * b) * q / 2)

    def fn(self, x: Any) -> Array:
        a, b, c = self._abc(float_dtype(x))
        return a * jnp.sin(b * x + c)

    def dfn(self, x: Any) -> Array:
        a, b, c = self._abc(float_dtype(x))
        return (a * b) * jnp.cos(b * x + c)


class Sin(_Sinusoid):
    """φ(x) = a·sin(b x + c); ``a, b, c`` traceable (see `sin`)."""

    def _abc(self, dtype: Any) -> tuple[Any, Any, Any]:
        return cast(dtype, self.a, self.b, self.c)


class Cos(_Sinusoid):
    """φ(x) = a·cos(b x + c) = a·sin(b x + c + π/2); ``a, b, c`` traceable (see `cos`)."""

    def _abc(self, dtype: Any) -> tuple[Any, Any, Any]:
        a, b, c = cast(dtype, self.a, self.b, self.c)
        return a, b, c + math.pi / 2


def sin(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Sin:
    """φ(x) = a·sin(b x + c) (neural-tangents `Sin`).

    With s± = exp(b²(−m ± q12)), E = (s₊ + s₋)/2 = e^{−b² m} cosh(b² q12) and
    O = (s₊ − s₋)/2 = e^{−b² m} sinh(b² q12):

        T    = (a²/2)(s₊ − s₋ cos 2c)    = a²·(sin²c·E + cos²c·O),
        Tdot = (a²b²/2)(s₊ + s₋ cos 2c)  = a²b²·(cos²c·E + sin²c·O),
        E[φ(u)²] = (a²/2)(1 − e^{−2b² q} cos 2c),      E[φ(u)] = a·sin c·e^{−b² q/2}.

    The E/O form has no cancellation (e.g. for c = 0, T = a² e^{−b² m} sinh(b² q12) keeps
    its relative precision for tiny q12). ``a, b, c`` may be traced.
    """
    return Sin(a, b, c)


def cos(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Cos:
    """φ(x) = a·cos(b x + c) = `sin(a, b, c + π/2)`; E[φ(u)] = a·cos c·e^{−b² q/2}."""
    return Cos(a, b, c)


class Rbf(Dual):
    """φ(x) = √2·sin(√(2γ)·x + π/4); ``gamma`` traceable (see `rbf`)."""

    gamma: float = 1.0

    def __post_init__(self) -> None:
        set_hypers(self, gamma={"positive": True})

    @property
    def name(self) -> str:
        return f"Rbf({fmt(self.gamma)})"

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        q11, q22, q12 = broadcast(q11, q22, q12)
        (gamma,) = cast(q12.dtype, self.gamma)
        return jnp.exp(-gamma * jnp.maximum(q11 + q22 - 2 * q12, 0))

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        (gamma,) = cast(float_dtype(q11, q22, q12), self.gamma)
        return (2 * gamma) * self.nngp(q11, q22, q12)

    def nngp_diag(self, q: Any) -> Array:
        return jnp.ones_like(q)

    def mean(self, q: Any) -> Array:
        """E[φ(u)] = √2·sin(π/4)·e^{−γ q} = e^{−γ q}."""
        q = jnp.maximum(as_float(q), 0)
        (gamma,) = cast(q.dtype, self.gamma)
        return jnp.exp(-gamma * q)

    def fn(self, x: Any) -> Array:
        (gamma,) = cast(float_dtype(x), self.gamma)
        return math.sqrt(2) * jnp.sin(psqrt(2 * gamma) * x + math.pi / 4)

    def dfn(self, x: Any) -> Array:
        (gamma,) = cast(float_dtype(x), self.gamma)
        b = psqrt(2 * gamma)
        return (math.sqrt(2) * b) * jnp.cos(b * x + math.pi / 4)


def rbf(gamma: float = 1.0) -> Rbf:
    """φ(x) = √2·sin(√(2γ)·x + π/4) = `sin(√2, √(2γ), π/4)` (random Fourier features,
    Rahimi & Recht 2007; neural-tangents `Rbf`):

        T    = exp(−γ (q11 + q22 − 2 q12)) = exp(−γ E[(u − v)²]),
        Tdot = 2γ·T,        E[φ(u)²] = 1,        E[φ(u)] = e^{−γ q}.
    """
    return Rbf(gamma)


class Snake(Dual):
    """φ(x) = x + sin²(a x)/a, a > 0; ``a`` traceable (see `snake`)."""

    a: float = 1.0

    def __post_init__(self) -> None:
        set_hypers(self, a={"positive": True})

    @property
    def name(self) -> str:
        return f"Snake({fmt(self.a)})"

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        q11, q22, q12 = broadcast(q11, q22, q12)
        (a,) = cast(q12.dtype, self.a)
        a2 = a * a
        h = odd_exp(q12, (q11 + q22) / 2, 2 * a2)
        bracket = jnp.expm1(-2 * a2 * q11) * jnp.expm1(-2 * a2 * q22) + 2 * h * h
        return q12 + bracket / (4 * a2)

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        q11, q22, q12 = broadcast(q11, q22, q12)
        (a,) = cast(q12.dtype, self.a)
        return 1 + odd_exp(q12, (q11 + q22) / 2, 4 * (a * a))

    def nngp_diag(self, q: Any) -> Array:
        (a,) = cast(float_dtype(q), self.a)
        a2 = a * a
        return q + (jnp.expm1(-2 * a2 * q) ** 2 + jnp.expm1(-4 * a2 * q) ** 2 / 2) / (4 * a2)

    def mean(self, q: Any) -> Array:
        """E[u] + E[sin²(a u)]/a = (1 − E[cos 2au])/(2a) = (1 − e^{−2a² q})/(2a)."""
        q = jnp.maximum(as_float(q), 0)
        (a,) = cast(q.dtype, self.a)
        return -jnp.expm1(-2 * (a * a) * q) / (2 * a)

    def fn(self, x: Any) -> Array:
        (a,) = cast(float_dtype(x), self.a)
        return x + jnp.sin(a * x) ** 2 / a

    def dfn(self, x: Any) -> Array:
        (a,) = cast(float_dtype(x), self.a)
        return 1 + jnp.sin(2 * a * x)


def snake(a: float = 1.0) -> Snake:
    """φ(x) = x + sin²(a x)/a, the Snake activation (Ziyin, Hartwig & Ueda 2020,
    arXiv:2006.08195), a > 0. Not in neural-tangents.

    Writing sin²(ax) = (1 − cos 2ax)/2, the cross terms E[u cos 2av] vanish by symmetry and
    (re-derived, checked against quadrature and Monte Carlo in the tests)

        T    = q12 + [1 − e^{−2a²q11} − e^{−2a²q22} + e^{−2a²(q11+q22)} cosh(4a² q12)]/(4a²)
             = q12 + [(1 − e^{−2a²q11})(1 − e^{−2a²q22}) + 2 H²]/(4a²),
               H = e^{−a²(q11+q22)} sinh(2a² q12),
        Tdot = E[(1 + sin 2au)(1 + sin 2av)] = 1 + e^{−2a²(q11+q22)} sinh(4a² q12) = ∂T/∂q12,
        E[φ(u)²] = q + [(1 − e^{−2a²q})² + (1 − e^{−4a²q})²/2]/(4a²),
        E[φ(u)] = (1 − e^{−2a²q})/(2a).

    The second form of T is a sum of non-negative terms computed with ``expm1``.
    """
    return Snake(a)
