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
into B_j.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_float, check_int
from ._dual import Dual
from ._util import broadcast, horner


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


def _polynomial_dual(coef: tuple[float, ...], name: str, fn, dfn) -> Dual:
    tables = _hermite_tables(coef)
    n = len(tables) - 1

    def products(q11, q22):
        return [horner(row, q11) * horner(row, q22) for row in tables]

    def t(q11, q22, q12):
        q11, q22, q12 = broadcast(q11, q22, q12)
        prod = products(q11, q22)
        out = prod[n]
        for j in range(n - 1, -1, -1):
            out = out * q12 + prod[j]
        return out

    def tdot(q11, q22, q12):
        q11, q22, q12 = broadcast(q11, q22, q12)
        if n == 0:
            return jnp.zeros_like(q12)
        prod = products(q11, q22)
        out = float(n) * prod[n]
        for j in range(n - 1, 0, -1):
            out = out * q12 + float(j) * prod[j]
        return out

    return Dual(
        name=name,
        fn=fn,
        nngp=t,
        ntk=tdot,
        variance=lambda q: t(q, q, q),
        derivative=dfn,
    )


def polynomial(coef: Sequence[float]) -> Dual:
    """φ(x) = coef[0] + coef[1]·x + … + coef[n]·xⁿ (numpy.polynomial order).

    T and Tdot by Hermite expansion and Mehler's formula (module docstring): exact
    polynomials in (q11, q22, q12). Degrees above ~80 lose float64 range in the coefficients.
    """
    if isinstance(coef, (str, bytes)) or not isinstance(coef, (Sequence, np.ndarray, jax.Array)):
        raise TypeError(f"`coef` must be a sequence of real numbers, got {coef!r}.")
    if np.ndim(coef) != 1 or len(coef) == 0:
        raise ValueError(f"`coef` must be a non-empty 1-D sequence, got {coef!r}.")
    coef = tuple(check_float(f"coef[{k}]", c) for k, c in enumerate(coef))
    dcoef = tuple(k * c for k, c in enumerate(coef))[1:] or (0.0,)
    return _polynomial_dual(
        coef,
        name=f"Polynomial({', '.join(f'{c:g}' for c in coef)})",
        fn=lambda x: horner(coef, x),
        dfn=lambda x: horner(dcoef, x),
    )


def monomial(degree: int) -> Dual:
    """φ(x) = x^d, d ≥ 0 (neural-tangents `Monomial`): `polynomial` with coef = e_d, e.g.

        d = 2:  T = 2 q12² + q11 q22,          Tdot = 4 q12,
        d = 3:  T = 6 q12³ + 9 q12 q11 q22,    Tdot = 18 q12² + 9 q11 q22  (= d² T_{d−1}).
    """
    degree = check_int("degree", degree, minimum=0)
    coef = (0.0,) * degree + (1.0,)

    def dfn(x):
        if degree == 0:
            return jnp.zeros_like(x)
        return float(degree) * x ** (degree - 1)

    return _polynomial_dual(
        coef,
        name=f"Monomial({degree})",
        fn=lambda x: x**degree,
        dfn=dfn,
    )
