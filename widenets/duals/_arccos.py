"""Rectified monomials φ(x) = (x ≥ 0)·x^d and their arc-cosine kernels (Cho & Saul 2009).

Cho & Saul (NIPS 2009, "Kernel Methods for Deep Learning", eqs. 1–4) show that for u, v a
centred Gaussian pair (Var u = q11, Var v = q22, Cov = q12, R = √(q11 q22), θ their angle)

    E[Θ(u)u^d · Θ(v)v^d] = R^d · J_d(θ) / (2π),
    J_d(θ) = (−1)^d (sin θ)^{2d+1} (1/sin θ · ∂/∂θ)^d ((π − θ)/sin θ).

J_d is a polynomial in (π − θ, cos θ, sin θ) of the form
J_d = (π − θ)·p_d(cos θ) + sin θ·r_d(cos θ); `_arccos_polynomials` builds p_d, r_d exactly
(integer coefficients) by the recursion obtained from applying (1/sin θ)∂/∂θ to
(π − θ)·α(c)/s^{2n+1} + β(c)/s^{2n} with c = cos θ, s = sin θ, dc/dθ = −s, ds/dθ = c:

    α_{n+1} = −(1 − c²) α_n' − (2n + 1) c α_n,
    β_{n+1} = −α_n − (1 − c²) β_n' − 2n c β_n,      α_0 = 1, β_0 = 0,
    p_d = (−1)^d α_d,  r_d = (−1)^d β_d.

(J_0 = π − θ, J_1 = sin θ + (π − θ) cos θ, J_2 = 3 sin θ cos θ + (π − θ)(1 + 2 cos² θ).)
The tests compare these with J_d built by sympy from the definition above.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import jax.numpy as jnp

from .._struct import static
from .._validation import check_int
from ._dual import Array, Dual, correlation
from ._fastmath import arctan2
from ._util import as_float, broadcast, float_dtype, horner


def _pderiv(p: list[int]) -> list[int]:
    return [k * p[k] for k in range(1, len(p))] or [0]


def _padd(*ps: list[int]) -> list[int]:
    out = [0] * max(len(p) for p in ps)
    for p in ps:
        for k, v in enumerate(p):
            out[k] += v
    return out


def _pmul_c(p: list[int], scale: int) -> list[int]:
    """scale · c · p(c)."""
    return [0] + [scale * v for v in p]


def _pmul_one_minus_c2(p: list[int], scale: int) -> list[int]:
    """scale · (1 − c²) · p(c)."""
    return _padd([scale * v for v in p], [0, 0] + [-scale * v for v in p])


@functools.lru_cache(maxsize=None)
def _arccos_polynomials(degree: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Integer coefficients (lowest order first) of p_d and r_d in J_d = (π−θ) p_d + sin θ r_d."""
    alpha, beta = [1], [0]
    for n in range(degree):
        alpha, beta = (
            _padd(_pmul_one_minus_c2(_pderiv(alpha), -1), _pmul_c(alpha, -(2 * n + 1))),
            _padd([-v for v in alpha], _pmul_one_minus_c2(_pderiv(beta), -1), _pmul_c(beta, -2 * n)),
        )
    sgn = -1 if degree % 2 else 1
    return tuple(sgn * v for v in alpha), tuple(sgn * v for v in beta)


@functools.lru_cache(maxsize=None)
def _float_polynomials(degree: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """p_d, r_d as Python floats; ValueError once the integer coefficients overflow float64."""
    p, r = _arccos_polynomials(degree)
    try:
        return tuple(float(v) for v in p), tuple(float(v) for v in r)
    except OverflowError:
        raise ValueError(f"`degree` = {degree} is too large: J_d's coefficients overflow float64.") from None


def _arccos_kernel(degree: int, q11: Any, q22: Any, q12: Any) -> Array:
    """R^d J_d(θ)/(2π), with θ = π/2 where a variance is 0."""
    p, r = _float_polynomials(degree)
    sqrt_prod, cos, sin = correlation(q11, q22, q12)
    pi_minus_theta = arctan2(sin, -cos)  # accurate near θ = π, π/2 at zero variance
    j = pi_minus_theta * horner(p, cos) + sin * horner(r, cos)
    return sqrt_prod**degree * j / (2 * math.pi)


def _double_factorial(n: int) -> int:
    return math.prod(range(n, 0, -2))


class RectifiedMonomial(Dual):
    """φ(x) = (x ≥ 0)·x^d, the arc-cosine kernel of order d (see `rectified_monomial`).

    ``degree`` is static (pytree metadata).
    """

    degree: int = static()

    def __post_init__(self) -> None:
        degree = check_int("degree", self.degree, minimum=0)
        object.__setattr__(self, "degree", degree)
        _float_polynomials(degree)  # raises now if the coefficients overflow
        try:
            float(_double_factorial(2 * degree - 1))
        except OverflowError:
            raise ValueError(f"`degree` = {degree} is too large: (2d − 1)!! overflows float64.") from None

    @property
    def name(self) -> str:
        return f"RectifiedMonomial({self.degree})"

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        return _arccos_kernel(self.degree, q11, q22, q12)

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        if self.degree == 0:
            return jnp.zeros_like(broadcast(q11, q22, q12)[2])
        return float(self.degree * self.degree) * _arccos_kernel(self.degree - 1, q11, q22, q12)

    def nngp_diag(self, q: Any) -> Array:
        degree = self.degree
        if degree == 0:
            q = jnp.asarray(q, dtype=float_dtype(q))
            return jnp.where(q > 0, 0.5, 0.25).astype(q.dtype)
        return (float(_double_factorial(2 * degree - 1)) / 2) * q**degree

    def mean(self, q: Any) -> Array:
        """E[φ(u)] = q^{d/2}·E[z^d; z > 0] = q^{d/2}·2^{d/2−1}Γ((d+1)/2)/√π, i.e.
        (d − 1)!!/2·q^{d/2} for even d and (d − 1)!!/√(2π)·q^{d/2} for odd d (1/2 for d = 0,
        also at q = 0, where φ(0) = Θ(0) = 1/2)."""
        degree = self.degree
        q = jnp.maximum(as_float(q), 0)
        half_moment = float(_double_factorial(degree - 1)) / (2 if degree % 2 == 0 else math.sqrt(2 * math.pi))
        power = q ** (degree // 2)
        if degree % 2:
            power = power * jnp.sqrt(q)
        return half_moment * power

    def fn(self, x: Any) -> Array:
        degree = self.degree
        if degree == 0:
            return jnp.heaviside(x, 0.5)
        return jnp.where(x > 0, x**degree, 0.0).astype(jnp.result_type(x))

    def dfn(self, x: Any) -> Array:
        degree = self.degree
        if degree == 0:
            return jnp.zeros_like(x)
        if degree == 1:
            return jnp.heaviside(x, 0.5)
        return float(degree) * jnp.where(x > 0, x ** (degree - 1), 0.0).astype(jnp.result_type(x))


def rectified_monomial(degree: int) -> RectifiedMonomial:
    """φ(x) = (x ≥ 0)·x^d: the arc-cosine kernel of order d (Cho & Saul 2009).

        T    = (q11 q22)^{d/2} · J_d(θ) / (2π)    (J_d in the module docstring),
        Tdot = d² · T_{d−1}                       (φ' = d·(x ≥ 0)·x^{d−1}),
        E[φ(u)²] = (2d − 1)!!/2 · q^d,
        E[φ(u)] = q^{d/2}·2^{d/2−1}·Γ((d + 1)/2)/√π.

    d = 1 is `relu`. For d = 0, φ is the Heaviside step; its a.e. derivative is 0 and, as
    for `sign` (neural-tangents convention), Tdot ≡ 0.

    Zero variance: as everywhere in `widenets.duals` the cosine is taken as 0 there, which for
    d = 0 is the value with Θ(0) = 1/2 (T = Θ(0)·E[Θ(v)] = 1/4, and Θ(0)² = 1/4 if both
    variances are 0); `fn` therefore uses Θ(0) = 1/2 (for d ≥ 1, φ(0) = 0 and the choice
    does not matter). No division: T is finite at θ = 0, θ = π and zero variance.

    Precision: J_d(θ) vanishes like (π − θ)^{2d+1} as θ → π while its two terms do not, so
    near anti-collinear inputs T keeps its absolute accuracy (~eps·(q11 q22)^{d/2}) but loses
    relative accuracy (~eps/(π − θ)²).
    """
    return RectifiedMonomial(degree)
