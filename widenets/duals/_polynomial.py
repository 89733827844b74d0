"""Polynomial activations: Monomial and Polynomial, by Hermite expansion and Mehler's formula.

For φ(x) = Σ_k c_k x^k and u = √q·z, z ~ N(0, 1), expand in probabilists' Hermite
polynomials, z^k = Σ_j h_{k,j} He_j(z) with h_{k,j} = k! / (j! ((k−j)/2)! 2^{(k−j)/2}) for
k − j even (0 otherwise):

    φ(√q z) = Σ_j q^{j/2} B_j(q) He_j(z),    B_j(q) = Σ_i c_{j+2i} h_{j+2i,j} q^i.

Mehler's formula E[He_j(z1) He_l(z2)] = δ_jl j! ρ^j, with q12 = ρ√(q11 q22), then gives

    T    = Σ_j j! · q12^j · B_j(q11) B_j(q22),
    Tdot = ∂T/∂q12 = Σ_j j · j! · q12^{j−1} · B_j(q11) B_j(q22)   (= E[φ'(u)φ'(v)], Price),

polynomials in (q11, q22, q12) with no division or square root: exact at zero variance and
at |cos θ| = 1. (Monomial(2): T = 2q12² + q11 q22; Monomial(3): T = 6q12³ + 9 q12 q11 q22.)
Coefficients are computed exactly (integers) and stored as Python floats with √(j!) folded
into B_j. The mean is the j = 0 term, E[φ(u)] = B_0(q) = Σ_i c_{2i} (2i − 1)!! q^i.

The coefficients are static (pytree metadata, not traced leaves): the Hermite tables are
exact rational transforms of them computed once per coefficient tuple, the length of the
tuple is structural anyway, and static coefficients keep the dual hashable.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._struct import static
from .._validation import check_float, check_int
from ._dual import Array, Dual
from ._util import as_float, broadcast, horner


@functools.lru_cache(maxsize=256)
def _hermite_tables(coef: tuple[float, ...]) -> tuple[tuple[float, ...], ...]:
    """√(j!)·B_j's coefficients (lowest power of q first), j = 0..n."""
    n = len(coef) - 1
    tables = []
    for j in range(n + 1):
        row = []
        for i in range((n - j) // 2 + 1):
            k = j + 2 * i
            h = Fraction(math.factorial(k), math.factorial(j) * math.factorial(i) * 2**i)
            row.append(Fraction(coef[k]) * h)
        try:
            tables.append(tuple(float(v) * math.sqrt(math.factorial(j)) for v in row))
        except OverflowError:
            raise ValueError(
                f"polynomial degree {n} is too large: its Hermite coefficients overflow float64."
            ) from None
    return tuple(tables)


class _PolynomialBase(Dual):
    """T, Tdot, E[φ²], E[φ] of φ(x) = Σ_k c_k x^k from the Hermite tables of `_coef`."""

    def _coef(self) -> tuple[float, ...]:
        raise NotImplementedError

    def _products(self, q11: Array, q22: Array) -> list[Array]:
        return [horner(row, q11) * horner(row, q22) for row in _hermite_tables(self._coef())]

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        q11, q22, q12 = broadcast(q11, q22, q12)
        prod = self._products(q11, q22)
        n = len(prod) - 1
        out = prod[n]
        for j in range(n - 1, -1, -1):
            out = out * q12 + prod[j]
        return out

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        q11, q22, q12 = broadcast(q11, q22, q12)
        n = len(self._coef()) - 1
        if n == 0:
            return jnp.zeros_like(q12)
        prod = self._products(q11, q22)
        out = float(n) * prod[n]
        for j in range(n - 1, 0, -1):
            out = out * q12 + float(j) * prod[j]
        return out

    def mean(self, q: Any) -> Array:
        """E[φ(u)] = B_0(q) = Σ_i c_{2i}·(2i − 1)!!·q^i (Isserlis: E[u^{2i}] = (2i − 1)!! q^i)."""
        return horner(_hermite_tables(self._coef())[0], as_float(q))


class Polynomial(_PolynomialBase):
    """φ(x) = coef[0] + coef[1]·x + … + coef[n]·xⁿ; ``coef`` a static tuple (see `polynomial`)."""

    coef: tuple[float, ...] = static()

    def __post_init__(self) -> None:
        coef = self.coef
        if isinstance(coef, (str, bytes)) or not isinstance(coef, (Sequence, np.ndarray, jax.Array)):
            raise TypeError(f"`coef` must be a sequence of real numbers, got {coef!r}.")
        if np.ndim(coef) != 1 or len(coef) == 0:
            raise ValueError(f"`coef` must be a non-empty 1-D sequence, got {coef!r}.")
        coef = tuple(check_float(f"coef[{k}]", c) for k, c in enumerate(coef))
        object.__setattr__(self, "coef", coef)
        _hermite_tables(coef)  # raises now if the coefficients overflow

    def _coef(self) -> tuple[float, ...]:
        return self.coef

    @property
    def name(self) -> str:
        return f"Polynomial({', '.join(f'{c:g}' for c in self.coef)})"

    def fn(self, x: Any) -> Array:
        return horner(self.coef, x)

    def dfn(self, x: Any) -> Array:
        dcoef = tuple(k * c for k, c in enumerate(self.coef))[1:] or (0.0,)
        return horner(dcoef, x)


class Monomial(_PolynomialBase):
    """φ(x) = x^d; ``degree`` static (see `monomial`)."""

    degree: int = static()

    def __post_init__(self) -> None:
        degree = check_int("degree", self.degree, minimum=0)
        object.__setattr__(self, "degree", degree)
        _hermite_tables(self._coef())

    def _coef(self) -> tuple[float, ...]:
        return (0.0,) * self.degree + (1.0,)

    @property
    def name(self) -> str:
        return f"Monomial({self.degree})"

    def fn(self, x: Any) -> Array:
        return x**self.degree

    def dfn(self, x: Any) -> Array:
        if self.degree == 0:
            return jnp.zeros_like(x)
        return float(self.degree) * x ** (self.degree - 1)


def polynomial(coef: Sequence[float]) -> Polynomial:
    """φ(x) = coef[0] + coef[1]·x + … + coef[n]·xⁿ (numpy.polynomial order).

    T and Tdot by Hermite expansion and Mehler's formula (module docstring): exact
    polynomials in (q11, q22, q12); E[φ(u)] = Σ_k coef[k]·E[u^k]. Degrees above ~80 lose
    float64 range in the coefficients. The coefficients are static (not traced).
    """
    return Polynomial(coef)


def monomial(degree: int) -> Monomial:
    """φ(x) = x^d, d ≥ 0 (neural-tangents `Monomial`): `polynomial` with coef = e_d, e.g.

        d = 2:  T = 2 q12² + q11 q22,          Tdot = 4 q12,
        d = 3:  T = 6 q12³ + 9 q12 q11 q22,    Tdot = 18 q12² + 9 q11 q22  (= d² T_{d−1}),

    and E[φ(u)] = (d − 1)!!·q^{d/2} for even d, 0 for odd d.
    """
    return Monomial(degree)
