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

    Guards the degenerate cases: the cosine is clipped to [-1, 1] and defined as 0 when
    either variance is zero (then every dual below reduces to its value at a zero input);
    sin θ = sqrt(max(1 - cos², 0)) so that its value is finite at |cos| = 1.
    """
    # sqrt(q11)·sqrt(q22) rather than sqrt(q11·q22): no overflow/underflow of the product
    sqrt_prod = jnp.sqrt(jnp.maximum(q11, 0)) * jnp.sqrt(jnp.maximum(q22, 0))
    tiny = jnp.finfo(jnp.result_type(q12)).tiny
    safe = jnp.where(sqrt_prod > tiny, sqrt_prod, 1)
    cos = jnp.where(sqrt_prod > tiny, q12 / safe, 0)
    cos = jnp.clip(cos, -1, 1)
    sin = jnp.sqrt(jnp.maximum(1 - cos * cos, 0))
    return sqrt_prod, cos, sin
