"""The `Dual` value type: an activation together with its Gaussian dual maps.

For an activation φ and a centred bivariate Gaussian (u, v) with
Var u = q11, Var v = q22, Cov(u, v) = q12, the *dual activation* is

    T(q11, q22, q12)    = E[φ(u) φ(v)]          (drives the NNGP)
    Tdot(q11, q22, q12) = E[φ'(u) φ'(v)]        (drives the NTK)

(Cho & Saul 2009; Daniely et al. 2016, arXiv:1602.05897; Jacot et al. 2018,
arXiv:1806.07572). By Price's theorem Tdot = ∂T/∂q12 whenever φ is absolutely continuous,
which `from_nngp_fn` uses to get Tdot by autodiff. Every module of widenets that needs such
Gaussian expectations (stax kernels, finite-width corrections, signature kernels, spectra)
takes them from a `Dual`, so each formula lives in exactly one place.

A `Dual` is an immutable pytree value (`widenets._struct.Struct`): each activation family is
a subclass whose fields are its parameters. Float parameters (ABRelu's ``a, b``, Erf's
``a, b, c``, ...) are pytree leaves, so they may be traced — differentiated with `jax.grad`,
batched with `jax.vmap` — and integer or structural parameters (degrees, quadrature sizes,
callables) are static metadata. Equal parameters give equal (and, when concrete, equally
hashed) duals.

All maps broadcast over their arguments and keep the floating dtype of their inputs
(traced parameters are cast to it).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._struct import Struct

Array = jax.Array

MEAN_DEG = 64
"""Gauss–Hermite nodes of the default `Dual.mean` (a quadrature of ``fn``), used by duals
without a closed form for E[φ(u)]."""


def _short_repr(self: Dual) -> str:  # keep reprs short in error messages and reports
    return f"Dual({self.name})"


class Dual(Struct):
    """Base class of the dual activations: an elementwise φ with its NNGP and NTK maps.

    Subclasses implement `nngp`, `ntk` and `fn` (or set `has_fn` False), and may override
    `nngp_diag`, `mean` and `dfn` with closed forms. Build them with the factories
    (`relu`, `abrelu`, `erf`, `numerical`, ...) or the classes directly
    (``ABRelu(a=-0.4, b=1.3)``). The class itself is abstract.

    Methods (u, v a centred Gaussian pair, Var u = q11, Var v = q22, Cov = q12; z ~ N(0, q)):

    * ``nngp(q11, q22, q12)`` = T = E[φ(u)φ(v)];
    * ``ntk(q11, q22, q12)`` = Tdot = E[φ'(u)φ'(v)];
    * ``nngp_diag(q)`` = E[φ(z)²] (= T(q, q, q), closed form where one exists);
    * ``mean(q)`` = E[φ(z)] (closed form, or ``MEAN_DEG``-point Gauss–Hermite of ``fn``);
    * ``fn(x)`` = φ(x) and ``dfn(x)`` = φ'(x), elementwise; ``has_fn`` says whether φ is known;
    * ``name``: a short display name such as ``"ABRelu(-0.4, 1.3)"``.

    Example:
        >>> from widenets import duals
        >>> relu = duals.relu()
        >>> relu
        Dual(Relu)
        >>> float(relu.nngp(1.0, 1.0, 1.0)), float(relu.mean(2 * 3.141592653589793))
        (0.5, 1.0)
        >>> duals.abrelu(0.0, 1.0) == duals.abrelu(0, 1)
        True
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__repr__ = _short_repr  # the dataclass decorator installed a field-by-field repr

    def __post_init__(self) -> None:
        if type(self) is Dual:
            raise TypeError(
                "`Dual` is abstract: use a factory such as duals.relu(), duals.numerical(fn) or "
                "duals.from_nngp_fn(fn, nngp_fn), or a subclass."
            )

    # --- the maps --------------------------------------------------------------------------
    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        """T(q11, q22, q12) = E[φ(u)φ(v)]."""
        raise NotImplementedError(f"{type(self).__name__} does not define `nngp`.")

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        """Tdot(q11, q22, q12) = E[φ'(u)φ'(v)]."""
        raise NotImplementedError(f"{type(self).__name__} does not define `ntk`.")

    def nngp_diag(self, q: Any) -> Array:
        """E[φ(u)²] for u ~ N(0, q) (here: T(q, q, q))."""
        return self.nngp(q, q, q)

    def mean(self, q: Any) -> Array:
        """E[φ(u)] for u ~ N(0, q); here by `MEAN_DEG`-point Gauss–Hermite quadrature of `fn`.

        Raises:
          ValueError: when the dual has no activation `fn` (a kernel-only dual).
        """
        if not self.has_fn:
            raise ValueError(f"{self.name}: no activation `fn` given, so no mean E[φ(u)] either.")
        from ._quadrature import gaussian_expectation  # (_quadrature imports this module)

        return gaussian_expectation(self.fn, q, deg=MEAN_DEG)

    # --- the activation ----------------------------------------------------------------------
    @property
    def has_fn(self) -> bool:
        """Whether the activation φ itself is known (False for kernel-only duals)."""
        return True

    def fn(self, x: Any) -> Array:
        """φ(x), elementwise."""
        raise NotImplementedError(f"{type(self).__name__} does not define `fn`.")

    def dfn(self, x: Any) -> Array:
        """φ'(x), elementwise (closed form in subclasses that have one, else autodiff of `fn`)."""
        if not self.has_fn:
            raise ValueError(f"{self.name}: no activation `fn` given, so no derivative either.")
        grad = jax.grad(lambda t: self.fn(t))
        flat = jnp.ravel(x)
        return jax.vmap(grad)(flat).reshape(jnp.shape(x))

    @property
    def name(self) -> str:
        """Human-readable name, e.g. ``"ABRelu(0, 1)"``."""
        return type(self).__name__


def correlation(q11: Array, q22: Array, q12: Array) -> tuple[Array, Array, Array]:
    """Return ``(sqrt(q11 q22), cos θ, sin θ)`` with θ the angle between u and v.

    Guards the degenerate cases: the cosine is clipped to [-1, 1] and defined as 0 (so
    sin θ = 1, θ = π/2) when either variance is zero (then every dual reduces to its value at
    a zero input). Numerics:

    * sqrt(q11·q22) is computed from the rounded product, so that for the diagonal of a Gram
      matrix (q11 = q22 = q12 = q) it is exactly q (IEEE: sqrt(fl(q²)) = q) and cos θ is
      exactly 1; only where the product over- or underflows is sqrt(q11)·sqrt(q22) used;
    * |cos θ| within 4 ulp of 1 is snapped to 1 (below the cosine's rounding resolution);
    * sin θ = sqrt((1 − |cos θ|)(1 + |cos θ|)): exactly 0 at |cos θ| = 1, and a product of
      sums, which XLA cannot contract into a fused multiply-add (it does contract
      ``a·b − c·c`` for float32 on CPU, which then returns a rounding error instead of 0).
    """
    q11 = jnp.maximum(q11, 0)
    q22 = jnp.maximum(q22, 0)
    info = jnp.finfo(jnp.result_type(q11, q22, q12))
    prod = q11 * q22
    in_range = (prod >= info.tiny) & (prod <= info.max)
    sqrt_prod = jnp.where(in_range, jnp.sqrt(prod), jnp.sqrt(q11) * jnp.sqrt(q22))
    ok = sqrt_prod > info.tiny
    safe = jnp.where(ok, sqrt_prod, 1)
    cos = jnp.clip(jnp.where(ok, q12 / safe, 0), -1, 1)
    # Within 4 ulp of ±1 the cosine is below its own rounding resolution, and θ = arccos
    # would turn that rounding into an angle of √(8·ulp) (1e-8 in float64, 1e-3 in float32),
    # which later layers amplify again (e.g. collinear inputs: a non-PSD NTK). Snap to ±1.
    cos = jnp.where(jnp.abs(cos) >= 1 - 4 * info.eps, jnp.sign(cos), cos)
    abs_cos = jnp.abs(cos)
    sin = jnp.sqrt((1 - abs_cos) * (1 + abs_cos))
    return sqrt_prod, cos, sin
