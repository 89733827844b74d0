"""Small helpers shared by the dual-activation modules (private)."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from ._dual import Dual, correlation
from ._fastmath import arccos

Array = jax.Array


def float_dtype(*args: Any) -> Any:
    """The floating dtype the result of a dual map should have: that of its inputs."""
    dtype = jnp.result_type(*args)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    return dtype


def broadcast(q11: Any, q22: Any, q12: Any) -> tuple[Array, Array, Array]:
    """The three arguments as arrays of one floating dtype and one broadcast shape."""
    dtype = float_dtype(q11, q22, q12)
    arrays = [jnp.asarray(q, dtype=dtype) for q in (q11, q22, q12)]
    return tuple(jnp.broadcast_arrays(*arrays))  # type: ignore[return-value]


def angle_parts(q11: Array, q22: Array, q12: Array) -> tuple[Array, Array, Array, Array]:
    """``(sqrt(q11 q22), cos θ, sin θ, θ)``, with ``θ = arccos(cos θ)`` in [0, π].

    Same guards as `correlation` (θ = π/2 where a variance is 0). sin θ is itself computed
    from the rounded cos θ, so arctan2(sin θ, cos θ) would carry no more information than
    arccos(cos θ); the latter is cheaper (`_fastmath.arccos`: a polynomial in float32 with
    |error| ≤ 2e-8, the library arccos in float64).
    """
    sqrt_prod, cos, sin = correlation(q11, q22, q12)
    return sqrt_prod, cos, sin, arccos(cos)


def det(q11: Array, q22: Array, q12: Array) -> Array:
    """``max(q11 q22 − q12², 0)``, the determinant of the 2×2 covariance.

    Formed as ``(r − |q12|)(r + |q12|)`` with ``r = sqrt(q11 q22)``: a product of sums, which
    XLA cannot contract into a fused multiply-add (``a·b − c·c`` it does contract for float32
    on CPU, returning a rounding error instead of 0), and exactly 0 on the diagonal of a Gram
    matrix (q11 = q22 = q12 = q gives r = sqrt(fl(q²)) = q in IEEE arithmetic). Never
    negative. (Cheaper than going through `correlation`: one sqrt, no division.)
    """
    q11 = jnp.maximum(q11, 0)
    q22 = jnp.maximum(q22, 0)
    r = jnp.sqrt(q11 * q22)
    abs_c = jnp.abs(q12)
    return jnp.maximum(r - abs_c, 0) * (r + abs_c)


def odd_exp(x: Array, m: Array, k: float) -> Array:
    """``exp(−k m)·sinh(k x)`` without overflow or cancellation, for ``|x| ≤ m``.

    Written as ``sign(x)·exp(−k(m − |x|))·(−expm1(−2k|x|))/2``: both exponents are ≤ 0, and
    ``expm1`` keeps the relative precision for small ``k|x|``.
    """
    ax = jnp.abs(x)
    return jnp.sign(x) * jnp.exp(-k * jnp.maximum(m - ax, 0)) * (-jnp.expm1(-2 * k * ax)) / 2


def even_exp(x: Array, m: Array, k: float) -> Array:
    """``exp(−k m)·cosh(k x)`` without overflow, for ``|x| ≤ m`` (no cancellation to avoid)."""
    ax = jnp.abs(x)
    return (jnp.exp(-k * jnp.maximum(m - ax, 0)) + jnp.exp(-k * (m + ax))) / 2


def horner(coefs: tuple[float, ...], x: Array) -> Array:
    """``Σ_k coefs[k] x^k`` by Horner's rule with Python-float coefficients (keeps x's dtype)."""
    out = jnp.zeros_like(x) + coefs[-1] if coefs else jnp.zeros_like(x)
    for c in reversed(coefs[:-1]):
        out = out * x + c
    return out


def check_callable(name: str, value: Any, *, optional: bool = False) -> Callable | None:
    """A callable (or ``None`` when ``optional``); raise `TypeError` naming the argument."""
    if value is None and optional:
        return None
    if not callable(value):
        raise TypeError(f"`{name}` must be callable, got {value!r} ({type(value).__name__}).")
    return value


def renamed(dual: Dual, name: str) -> Dual:
    """A copy of ``dual`` with another name."""
    return dataclasses.replace(dual, name=name)

