"""Periodic activations: Sin, Cos, Rbf (random Fourier features) and Snake (closed forms).

Notation (THEORY.md §1): (u, v) centred Gaussian, Var u = q11, Var v = q22, Cov = q12, and
m = (q11 + q22)/2. All expectations follow from E[e^{i(αu + βv)}] =
exp(−(α² q11 + β² q22 + 2αβ q12)/2). Every exponential below is written with a
non-positive exponent (|q12| ≤ m for a covariance), and differences of exponentials with
``expm1``, so the maps neither overflow for large variances nor cancel for small ones.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from .._validation import check_float
from ._dual import Dual
from ._util import broadcast, even_exp, odd_exp


def sin(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Dual:
    """φ(x) = a·sin(b x + c) (neural-tangents `Sin`; THEORY.md §1).

    With s± = exp(b²(−m ± q12)), E = (s₊ + s₋)/2 = e^{−b² m} cosh(b² q12) and
    O = (s₊ − s₋)/2 = e^{−b² m} sinh(b² q12):

        T    = (a²/2)(s₊ − s₋ cos 2c)    = a²·(sin²c·E + cos²c·O),
        Tdot = (a²b²/2)(s₊ + s₋ cos 2c)  = a²b²·(cos²c·E + sin²c·O),
        E[φ(u)²] = (a²/2)(1 − e^{−2b² q} cos 2c).

    The E/O form has no cancellation (e.g. for c = 0, T = a² e^{−b² m} sinh(b² q12) keeps
    its relative precision for tiny q12).
    """
    a, b, c = (check_float(n, v) for n, v in (("a", a), ("b", b), ("c", c)))
    return _sinusoid(a, b, c, name=f"Sin({a:g}, {b:g}, {c:g})")


def cos(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Dual:
    """φ(x) = a·cos(b x + c) = `sin(a, b, c + π/2)`."""
    a, b, c = (check_float(n, v) for n, v in (("a", a), ("b", b), ("c", c)))
    return _sinusoid(a, b, c + math.pi / 2, name=f"Cos({a:g}, {b:g}, {c:g})")


def _sinusoid(a: float, b: float, c: float, name: str) -> Dual:
    a2, b2 = a * a, b * b
    sin2, cos2 = math.sin(c) ** 2, math.cos(c) ** 2

    def parts(q11, q22, q12):
        q11, q22, q12 = broadcast(q11, q22, q12)
        m = (q11 + q22) / 2
        return even_exp(q12, m, b2), odd_exp(q12, m, b2)

    def t(q11, q22, q12):
        even, odd = parts(q11, q22, q12)
        return a2 * (sin2 * even + cos2 * odd)

    def tdot(q11, q22, q12):
        even, odd = parts(q11, q22, q12)
        return (a2 * b2) * (cos2 * even + sin2 * odd)

    def var(q):
        return a2 * (sin2 * (1 + jnp.exp(-2 * b2 * q)) / 2 + cos2 * (-jnp.expm1(-2 * b2 * q)) / 2)

    return Dual(
        name=name,
        fn=lambda x: a * jnp.sin(b * x + c),
        nngp=t,
        ntk=tdot,
        variance=var,
        derivative=lambda x: (a * b) * jnp.cos(b * x + c),
    )


def rbf(gamma: float = 1.0) -> Dual:
    """φ(x) = √2·sin(√(2γ)·x + π/4) = `sin(√2, √(2γ), π/4)` (random Fourier features,
    Rahimi & Recht 2007; neural-tangents `Rbf`):

        T    = exp(−γ (q11 + q22 − 2 q12)) = exp(−γ E[(u − v)²]),
        Tdot = 2γ·T,        E[φ(u)²] = 1.
    """
    gamma = check_float("gamma", gamma, positive=True)
    b = math.sqrt(2 * gamma)

    def t(q11, q22, q12):
        q11, q22, q12 = broadcast(q11, q22, q12)
        return jnp.exp(-gamma * jnp.maximum(q11 + q22 - 2 * q12, 0))

    return Dual(
        name=f"Rbf({gamma:g})",
        fn=lambda x: math.sqrt(2) * jnp.sin(b * x + math.pi / 4),
        nngp=t,
        ntk=lambda q11, q22, q12: (2 * gamma) * t(q11, q22, q12),
        variance=lambda q: jnp.ones_like(q),
        derivative=lambda x: (math.sqrt(2) * b) * jnp.cos(b * x + math.pi / 4),
    )


def snake(a: float = 1.0) -> Dual:
    """φ(x) = x + sin²(a x)/a, the Snake activation (Ziyin, Hartwig & Ueda 2020,
    arXiv:2006.08195), a > 0. Not in neural-tangents.

    Writing sin²(ax) = (1 − cos 2ax)/2, the cross terms E[u cos 2av] vanish by symmetry and
    (THEORY.md §1; re-derived, checked against quadrature and Monte Carlo in the tests)

        T    = q12 + [1 − e^{−2a²q11} − e^{−2a²q22} + e^{−2a²(q11+q22)} cosh(4a² q12)]/(4a²)
             = q12 + [(1 − e^{−2a²q11})(1 − e^{−2a²q22}) + 2 H²]/(4a²),
               H = e^{−a²(q11+q22)} sinh(2a² q12),
        Tdot = E[(1 + sin 2au)(1 + sin 2av)] = 1 + e^{−2a²(q11+q22)} sinh(4a² q12) = ∂T/∂q12,
        E[φ(u)²] = q + [(1 − e^{−2a²q})² + (1 − e^{−4a²q})²/2]/(4a²).

    The second form of T is a sum of non-negative terms computed with ``expm1``.
    """
    a = check_float("a", a, positive=True)
    a2 = a * a

    def t(q11, q22, q12):
        q11, q22, q12 = broadcast(q11, q22, q12)
        h = odd_exp(q12, (q11 + q22) / 2, 2 * a2)
        bracket = jnp.expm1(-2 * a2 * q11) * jnp.expm1(-2 * a2 * q22) + 2 * h * h
        return q12 + bracket / (4 * a2)

    def tdot(q11, q22, q12):
        q11, q22, q12 = broadcast(q11, q22, q12)
        return 1 + odd_exp(q12, (q11 + q22) / 2, 4 * a2)

    def var(q):
        return q + (jnp.expm1(-2 * a2 * q) ** 2 + jnp.expm1(-4 * a2 * q) ** 2 / 2) / (4 * a2)

    return Dual(
        name=f"Snake({a:g})",
        fn=lambda x: x + jnp.sin(a * x) ** 2 / a,
        nngp=t,
        ntk=tdot,
        variance=var,
        derivative=lambda x: 1 + jnp.sin(2 * a * x),
    )


