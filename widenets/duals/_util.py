"""Small helpers shared by the dual-activation modules (private)."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_hyper, is_concrete
from ._dual import correlation
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


def set_hypers(obj: Any, **checks: dict[str, bool]) -> None:
    """Validate float fields of a frozen value in ``__post_init__`` with `check_hyper`
    (concrete values become Python floats; tracers pass through), e.g.
    ``set_hypers(self, a={}, gamma={"positive": True})``."""
    for name, kwargs in checks.items():
        object.__setattr__(obj, name, check_hyper(name, getattr(obj, name), **kwargs))


def cast(dtype: Any, *params: Any) -> tuple[Any, ...]:
    """Parameters ready to combine with arrays of ``dtype``.

    Python scalars (the concrete case) are returned unchanged, so the arithmetic on them is
    done in Python double precision and the result is weakly typed (it takes the arrays'
    dtype); traced or array parameters are cast to ``dtype``, so a float64 parameter does
    not promote a float32 kernel.
    """
    return tuple(p if isinstance(p, (int, float)) else jnp.asarray(p, dtype) for p in params)


def _scalar_or_jnp(scalar_fn: Callable[[float], float], array_fn: Callable[[Any], Any]):
    def f(x: Any) -> Any:
        return scalar_fn(x) if isinstance(x, (int, float)) else array_fn(x)

    return f


# math.* on Python-float parameters (the concrete case, unchanged numerics), jnp.* on tracers
psqrt = _scalar_or_jnp(math.sqrt, jnp.sqrt)
psin = _scalar_or_jnp(math.sin, jnp.sin)
pcos = _scalar_or_jnp(math.cos, jnp.cos)


def fmt(value: Any) -> str:
    """A parameter for a display name: ``f"{v:g}"`` when concrete, else ``traced``/``array(shape)``."""
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if not is_concrete(value):
        return "traced"
    if np.ndim(value) == 0:
        return f"{float(value):g}"
    return f"array{tuple(np.shape(value))}"


def as_float(q: Any) -> Array:
    """``q`` as an array of its floating dtype (the default float for ints and Python scalars)."""
    return jnp.asarray(q, dtype=float_dtype(q))
