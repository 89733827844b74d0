"""Sigmoidal and GELU activations: Erf, SigmoidLike, Gelu (closed forms).

Notation: (u, v) centred Gaussian, Var u = q11, Var v = q22, Cov = q12; z ~ N(0, q).
"""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.scipy.special import erf as _erf
from jax.scipy.special import ndtr as _ndtr

from .._struct import static
from ._dual import Array, Dual
from ._fastmath import arctan, arctan2
from ._util import as_float, cast, det, float_dtype, fmt, set_hypers

SIGMOID_LIKE_SCALE = 2.4020563531719796
"""neural-tangents' `Sigmoid_like` constant: 0.5·erf(x/2.40205…) + 0.5 approximates the
logistic sigmoid 1/(1 + e^{−x})."""

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class _ErfBase(Dual):
    """φ(x) = a·erf(b x) + c for the parameters ``(a, b, c)`` of `_abc` (see `erf`)."""

    def _abc(self) -> tuple[Any, Any, Any]:
        raise NotImplementedError

    def _squares(self, dtype: Any) -> tuple[Any, Any, Any]:
        a, b, c = cast(dtype, *self._abc())
        return a * a, b * b, c * c

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        # √D ≥ 1, so arctan2(2 b² q12, √D) = arctan(2 b² q12 / √D)
        a2, b2, c2 = self._squares(float_dtype(q11, q22, q12))
        big_d = 1 + 2 * b2 * (q11 + q22) + 4 * (b2 * b2) * det(q11, q22, q12)
        return a2 * (2 / math.pi) * arctan(2 * b2 * q12 / jnp.sqrt(big_d)) + c2

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        a2, b2, _ = self._squares(float_dtype(q11, q22, q12))
        big_d = 1 + 2 * b2 * (q11 + q22) + 4 * (b2 * b2) * det(q11, q22, q12)
        return a2 * b2 * (4 / math.pi) / jnp.sqrt(big_d)

    def nngp_diag(self, q: Any) -> Array:
        a2, b2, c2 = self._squares(float_dtype(q))
        return a2 * (2 / math.pi) * arctan2(2 * b2 * q, jnp.sqrt(1 + 4 * b2 * q)) + c2

    def mean(self, q: Any) -> Array:
        """E[φ(u)] = c (erf is odd)."""
        q = as_float(q)
        _, _, c = cast(q.dtype, *self._abc())
        return jnp.zeros_like(q) + c

    def fn(self, x: Any) -> Array:
        a, b, c = cast(float_dtype(x), *self._abc())
        return a * _erf(b * x) + c

    def dfn(self, x: Any) -> Array:
        a, b, _ = cast(float_dtype(x), *self._abc())
        return (a * b * 2 / math.sqrt(math.pi)) * jnp.exp(-(b * b) * x * x)


class Erf(_ErfBase):
    """φ(x) = a·erf(b x) + c; ``a, b, c`` traceable (see `erf`)."""

    a: float = 1.0
    b: float = 1.0
    c: float = 0.0

    def __post_init__(self) -> None:
        set_hypers(self, a={}, b={}, c={})

    def _abc(self) -> tuple[Any, Any, Any]:
        return self.a, self.b, self.c

    @property
    def name(self) -> str:
        return f"Erf({fmt(self.a)}, {fmt(self.b)}, {fmt(self.c)})"


class SigmoidLike(_ErfBase):
    """φ(x) = 0.5·erf(x / 2.4020563531719796) + 0.5 (see `sigmoid_like`)."""

    def _abc(self) -> tuple[Any, Any, Any]:
        return 0.5, 1 / SIGMOID_LIKE_SCALE, 0.5


def erf(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Erf:
    """φ(x) = a·erf(b x) + c (Williams 1997, "Computing with infinite networks").

    With q → b² q and D = (1 + 2q11)(1 + 2q22) − 4q12² = 1 + 2(q11 + q22) + 4(q11 q22 − q12²):

        T    = a²·(2/π)·arcsin(2 q12 / √((1 + 2q11)(1 + 2q22))) + c²
             = a²·(2/π)·arctan2(2 q12, √D) + c²,
        Tdot = a² b²·(4/π) / √D,
        E[φ(u)²] = a²·(2/π)·arctan2(2q, √(1 + 4q)) + c²,      E[φ(u)] = c.

    D is assembled from the non-negative determinant q11 q22 − q12² so that it keeps its
    relative precision when the inputs are large and nearly collinear (D ≥ 1 always).
    ``a, b, c`` may be traced.
    """
    return Erf(a, b, c)


def sigmoid_like() -> SigmoidLike:
    """φ(x) = 0.5·erf(x / 2.4020563531719796) + 0.5 = `erf(0.5, 1/2.40205…, 0.5)`.

    neural-tangents' `Sigmoid_like`: an erf fit to the logistic sigmoid. E[φ(u)] = 1/2.
    """
    return SigmoidLike()


class Gelu(Dual):
    """φ(x) = x·Φ(x) (see `gelu`); ``approximate`` (static) switches `fn` to the tanh form."""

    approximate: bool = static(False)

    def __post_init__(self) -> None:
        if not isinstance(self.approximate, bool):
            raise TypeError(f"`approximate` must be a bool, got {self.approximate!r}.")

    @property
    def name(self) -> str:
        return "Gelu(approximate=True)" if self.approximate else "Gelu"

    @staticmethod
    def _parts(q11: Any, q22: Any, q12: Any) -> tuple[Array, Array, Array, Array]:
        s1, s2 = 1 + q11, 1 + q22
        delta = jnp.sqrt(1 + q11 + q22 + det(q11, q22, q12))
        rho2 = (q12 / s1) * (q12 / s2)
        return s1, s2, delta, rho2

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        s1, s2, delta, rho2 = self._parts(q11, q22, q12)
        main = q12 * arctan2(delta, -q12) + (q11 / s1) * (q22 / s2) * delta + rho2 / delta
        return main / (2 * math.pi)

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        s1, s2, delta, rho2 = self._parts(q11, q22, q12)
        rational = (q12 / delta) * (1 / s1 + 1 / s2 + 1 / (s1 * s2) + rho2 / (delta * delta))
        return (arctan2(delta, -q12) + rational) / (2 * math.pi)

    def nngp_diag(self, q: Any) -> Array:
        return (
            q / 4
            + q * arctan2(q, jnp.sqrt(1 + 2 * q)) / (2 * math.pi)
            + (q / (1 + q)) * q / (math.pi * jnp.sqrt(1 + 2 * q))
        )

    def mean(self, q: Any) -> Array:
        """E[u Φ(u)] = q·E[ϕ(u)] = q/√(2π(1 + q)) (Stein's lemma; the exact GELU, also when
        ``approximate``: the kernel maps are those of the exact GELU)."""
        q = jnp.maximum(as_float(q), 0)
        return q * _INV_SQRT_2PI / jnp.sqrt(1 + q)

    def fn(self, x: Any) -> Array:
        if self.approximate:
            return jax.nn.gelu(x, approximate=True)
        return x * _ndtr(x)

    def dfn(self, x: Any) -> Array:
        if self.approximate:
            return super().dfn(x)
        return _ndtr(x) + x * _INV_SQRT_2PI * jnp.exp(-x * x / 2)


def gelu(approximate: bool = False) -> Gelu:
    """φ(x) = x·Φ(x), the exact (erf) GELU (Hendrycks & Gimpel 2016, arXiv:1606.08415).

    Closed form (cf. Tsuchida, Pearce et al. 2021, arXiv:2002.08517; derived here by Gaussian
    integration by parts on E[u v 1{g1 ≤ u} 1{g2 ≤ v}], g1, g2 ~ N(0, 1) independent, and
    checked against 2-D quadrature in the tests). With s = (1 + q11)(1 + q22),
    Δ = √(s − q12²) = √(1 + q11 + q22 + q11 q22 − q12²), ρ = q12/√s, r_i = q_ii/(1 + q_ii):

        T    = q12/4 + q12·arcsin(ρ)/(2π) + (q11 q22 Δ² + q12²)/(2π s Δ)
             = [q12·arctan2(Δ, −q12) + r1 r2 Δ + ρ²/Δ] / (2π),
        Tdot = ∂T/∂q12 = E[(Φ(u) + u ϕ(u))(Φ(v) + v ϕ(v))]
             = 1/4 + arcsin(ρ)/(2π) + q12·((3 + q11 + q22) Δ² + q12²)/(2π s Δ³)
             = [arctan2(Δ, −q12) + (q12/Δ)(1/(1+q11) + 1/(1+q22) + 1/s + ρ²/Δ²)] / (2π),
        E[φ(u)²] = q/4 + q·arcsin(q/(1+q))/(2π) + q²/(π (1 + q) √(1 + 2q)),
        E[φ(u)]  = q/√(2π(1 + q)).

    The second forms use 1/4 + arcsin(ρ)/(2π) = arctan2(Δ, −q12)/(2π) (no cancellation for
    q12 < 0) and only bounded ratios (no overflow of s Δ for variances up to ~1e12 in float32).

    ``approximate=True`` changes only `fn` (and `dfn`) to the tanh form
    0.5·x·(1 + tanh(√(2/π)(x + 0.044715 x³))) (`jax.nn.gelu`); the kernel maps and the mean
    stay those of the exact GELU, as in neural-tangents.
    """
    return Gelu(approximate)
