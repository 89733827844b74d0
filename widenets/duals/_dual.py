"""The `Dual` record: an activation together with its Gaussian dual maps.

For an activation φ and a centred bivariate Gaussian (u, v) with
Var u = q11, Var v = q22, Cov(u, v) = q12, the *dual activation* is

    T(q11, q22, q12)    = E[φ(u) φ(v)]          (drives the NNGP)
    Tdot(q11, q22, q12) = E[φ'(u) φ'(v)]        (drives the NTK)

(Cho & Saul 2009; Daniely et al. 2016; Jacot et al. 2018). By Price's theorem
Tdot = ∂T/∂q12 whenever φ is absolutely continuous, which `from_nngp_fn` uses to get
Tdot by autodiff. Every module of widenets that needs such Gaussian expectations
(stax kernels, finite-width corrections, signature kernels, spectra) takes them from a
`Dual`, so each formula lives in exactly one place.

All maps broadcast over their three arguments and keep the dtype of `q12`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

Array = jax.Array
PairMap = Callable[[Array, Array, Array], Array]


@dataclasses.dataclass(frozen=True)
class Dual:
    """An elementwise activation with its NNGP and NTK dual maps.

    Attributes:
      name: human-readable name, e.g. ``"ABRelu(0, 1)"``.
      fn: the activation φ applied elementwise, or ``None`` when only the kernel is known.
      nngp: ``T(q11, q22, q12) = E[φ(u)φ(v)]``.
      ntk: ``Tdot(q11, q22, q12) = E[φ'(u)φ'(v)]``.
      variance: optional closed form of ``T(q, q, q) = E[φ(u)²]``; more accurate on the
        diagonal than evaluating ``nngp`` at correlation one. ``None`` means use ``nngp``.
      derivative: optional φ'; ``None`` means elementwise ``jax.grad(fn)``.
    """

    name: str
    fn: Callable[[Array], Array] | None
    nngp: PairMap
    ntk: PairMap
    variance: Callable[[Array], Array] | None = None
    derivative: Callable[[Array], Array] | None = None

    def nngp_diag(self, q: Array) -> Array:
        """``E[φ(u)²]`` for ``u ~ N(0, q)``."""
        if self.variance is not None:
            return self.variance(q)
        return self.nngp(q, q, q)

    def dfn(self, x: Array) -> Array:
        """φ'(x), elementwise (closed form if given, else autodiff)."""
        if self.derivative is not None:
            return self.derivative(x)
        if self.fn is None:
            raise ValueError(f"{self.name}: no activation `fn` given, so no derivative either.")
        grad = jax.grad(lambda t: self.fn(t))
        flat = jnp.ravel(x)
        return jax.vmap(grad)(flat).reshape(jnp.shape(x))

    def __repr__(self) -> str:  # keep reprs short in error messages and reports
        return f"Dual({self.name})"


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
