"""Inverse trigonometric functions that are fast in float32 and exact in float64.

Kernel evaluation spends most of its time in arccos/arcsin over N1×N2 matrices (ReLU, Erf,
Sign, arc-cosine kernels); XLA's CPU implementations of these are not vectorised and cost
~10 ns per entry. In float32 we instead use the minimax approximation of Abramowitz & Stegun
(1964), eq. 4.4.46, for 0 ≤ x ≤ 1:

    arccos(x) = sqrt(1 − x)·(a0 + a1 x + … + a7 x⁷) + ε(x),   |ε(x)| ≤ 2·10⁻⁸,

which is below float32 resolution (an ulp of π/2 is 1.2·10⁻⁷), and arccos(−x) = π − arccos(x).
In float64 the library functions are used, so float64 results keep full precision.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

# Abramowitz & Stegun, Handbook of Mathematical Functions, 4.4.46.
_AS_4_4_46 = (
    1.5707963050,
    -0.2145988016,
    0.0889789874,
    -0.0501743046,
    0.0308918810,
    -0.0170881256,
    0.0066700901,
    -0.0012624911,
)


def _is_float32(x: jax.Array) -> bool:
    return jnp.result_type(x) in (jnp.float32, jnp.float16, jnp.bfloat16)


def _arccos_poly(x: jax.Array) -> jax.Array:
    """A&S 4.4.46 on |x|, reflected for x < 0. Input must lie in [-1, 1]."""
    ax = jnp.abs(x)
    poly = _AS_4_4_46[-1]
    for coefficient in _AS_4_4_46[-2::-1]:
        poly = poly * ax + coefficient
    acos_abs = jnp.sqrt(jnp.maximum(1 - ax, 0)) * poly
    return jnp.where(x < 0, math.pi - acos_abs, acos_abs)


def arccos(x: jax.Array) -> jax.Array:
    """arccos on [-1, 1]: polynomial in float32 (|error| ≤ 2e-8), `jnp.arccos` otherwise."""
    return _arccos_poly(x) if _is_float32(x) else jnp.arccos(x)


# Maclaurin coefficients of arcsin, (2n)! / (4ⁿ (n!)² (2n + 1)), n = 0..10: for |x| ≤ 1/2 the
# truncation error is below 3e-9 relative, so small arguments keep their relative precision.
_ARCSIN_SERIES = tuple(
    math.factorial(2 * n) / (4**n * math.factorial(n) ** 2 * (2 * n + 1)) for n in range(11)
)


def arcsin(x: jax.Array) -> jax.Array:
    """arcsin on [-1, 1]; in float32 a series for |x| ≤ 1/2 and π/2 − arccos(x) beyond."""
    if not _is_float32(x):
        return jnp.arcsin(x)
    x2 = x * x
    series = _ARCSIN_SERIES[-1]
    for coefficient in _ARCSIN_SERIES[-2::-1]:
        series = series * x2 + coefficient
    small = x * series
    ax = jnp.abs(x)
    large = jnp.sign(x) * (math.pi / 2 - _arccos_poly(ax))
    return jnp.where(ax <= 0.5, small, large)


# Cephes `atanf` (S. L. Moshier, Cephes Math Library 2.x): after reducing |t| to
# [0, tan(π/8)], atan(t) = t + t·z·P(z) with z = t² and this cubic P; relative error ≈ 2e-7.
_ATANF_P = (-3.33329491539e-1, 1.99777106478e-1, -1.38776856032e-1, 8.05374449538e-2)
_TAN_PI_8 = 0.4142135623730950
_TAN_3PI_8 = 2.414213562373095


def _atan_poly(t: jax.Array) -> jax.Array:
    """atan(t) for t ≥ 0 in float32 (Cephes range reduction and polynomial)."""
    big = t > _TAN_3PI_8
    mid = (t > _TAN_PI_8) & ~big
    safe_t = jnp.where(big, t, 1)
    reduced = jnp.where(big, -1 / safe_t, jnp.where(mid, (t - 1) / (t + 1), t))
    offset = jnp.where(big, math.pi / 2, jnp.where(mid, math.pi / 4, 0.0))
    z = reduced * reduced
    poly = _ATANF_P[-1]
    for coefficient in _ATANF_P[-2::-1]:
        poly = poly * z + coefficient
    return offset + reduced + reduced * z * poly


def arctan(t: jax.Array) -> jax.Array:
    """arctan(t); vectorised polynomial in float32 (relative error ≈ 2e-7), `jnp.arctan`
    otherwise. Cheaper than `arctan2` when the quadrant is known."""
    if not _is_float32(t):
        return jnp.arctan(t)
    return jnp.sign(t) * _atan_poly(jnp.abs(t))


def arctan2(y: jax.Array, x: jax.Array) -> jax.Array:
    """arctan2(y, x); vectorised polynomial in float32, `jnp.arctan2` otherwise.

    Float32 path: θ = atan(|y|/|x|) folded into the right quadrant; arctan2(0, 0) = 0.
    """
    if not _is_float32(y):
        return jnp.arctan2(y, x)
    ay, ax = jnp.abs(y), jnp.abs(x)
    swap = ay > ax
    num = jnp.where(swap, ax, ay)
    den = jnp.where(swap, ay, ax)
    t = jnp.where(den > 0, num / jnp.where(den > 0, den, 1), 0)
    a = _atan_poly(t)  # in [0, π/4]
    a = jnp.where(swap, math.pi / 2 - a, a)
    a = jnp.where(x < 0, math.pi - a, a)
    return jnp.where(y < 0, -a, a)
