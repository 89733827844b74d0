"""Duals of arbitrary activations: by quadrature (`numerical`, `tanh`) or from a user T
(`from_nngp_fn`). Their callables and quadrature sizes are static (pytree metadata)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .._struct import static
from .._validation import check_int
from ._dual import Array, Dual
from ._quadrature import gaussian_expectation, gaussian_expectation_2d
from ._util import as_float, broadcast, check_callable


def _elementwise_grad(fn: Callable[[Array], Array]) -> Callable[[Array], Array]:
    return jnp.vectorize(jax.grad(fn))


def _check_label(label: Any) -> None:
    if label is not None and not isinstance(label, str):
        raise TypeError(f"`name` must be a string, got {label!r}.")


class _Quadrature(Dual):
    """T, Tdot, E[φ²] (and E[φ]) of `fn`/`dfn` by Gauss–Hermite rules with ``self.deg`` nodes
    (``deg`` is a static field of each subclass)."""

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        fn = self.fn
        return gaussian_expectation_2d(lambda u, v: fn(u) * fn(v), q11, q22, q12, deg=self.deg)

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        dfn = self.dfn
        return gaussian_expectation_2d(lambda u, v: dfn(u) * dfn(v), q11, q22, q12, deg=self.deg)

    def nngp_diag(self, q: Any) -> Array:
        fn = self.fn
        return gaussian_expectation(lambda u: fn(u) * fn(u), q, deg=self.deg)

    def mean(self, q: Any) -> Array:
        """E[φ(u)] by the 1-D rule with the same ``deg`` (so that T(q11, q22, 0) equals
        mean(q11)·mean(q22) node by node)."""
        return gaussian_expectation(self.fn, q, deg=self.deg)


class Numerical(_Quadrature):
    """Any activation ``phi`` by quadrature (see `numerical`).

    Fields (all static): ``phi`` (φ), ``deg`` (nodes per dimension), ``dphi`` (φ' or
    ``None`` for autodiff), ``label`` (display name or ``None``).
    """

    phi: Callable[[Array], Array] = static()
    deg: int = static(25)
    dphi: Callable[[Array], Array] | None = static(None)
    label: str | None = static(None)

    def __post_init__(self) -> None:
        check_callable("fn", self.phi)
        check_callable("dfn", self.dphi, optional=True)
        object.__setattr__(self, "deg", check_int("deg", self.deg, minimum=1))
        _check_label(self.label)

    @property
    def name(self) -> str:
        return self.label or f"Numerical({getattr(self.phi, '__name__', 'fn')}, deg={self.deg})"

    def fn(self, x: Any) -> Array:
        return self.phi(x)

    def dfn(self, x: Any) -> Array:
        if self.dphi is not None:
            return self.dphi(x)
        return _elementwise_grad(self.phi)(x)


def numerical(
    fn: Callable[[Array], Array],
    deg: int = 25,
    dfn: Callable[[Array], Array] | None = None,
    name: str | None = None,
) -> Numerical:
    """The dual of any activation by 2-D Gauss–Hermite quadrature (neural-tangents
    `ElementwiseNumerical`):

        T    ≈ Σ_ij w_i w_j φ(u_ij) φ(v_ij),    Tdot ≈ Σ_ij w_i w_j φ'(u_ij) φ'(v_ij),

    on the deg² nodes of `gaussian_expectation_2d` (u = √q11 z1,
    v = √q22 (ρ z1 + √(1 − ρ²) z2): no division, exact at zero variance and |ρ| = 1), and
    E[φ(u)²], E[φ(u)] by the 1-D rule with the same ``deg``. φ' is ``dfn`` if given, else
    elementwise ``jax.grad(fn)``.

    Accuracy: exact for polynomials of degree ≤ 2·deg − 1; geometric convergence in deg for
    functions analytic in a strip, but slow (algebraic) for kinks (ReLU-like φ) and for
    saturating φ at large variance (e.g. tanh with q ≫ 1 behaves like sign, error ~ 1/deg).

    Equal duals need the same ``fn`` object (callables compare by identity): build one and
    reuse it, rather than passing a fresh lambda each time, to hit jit caches.

    Args:
      fn: scalar activation φ, applied elementwise (must accept arrays).
      deg: nodes per dimension, ≥ 1.
      dfn: optional φ'.
      name: optional display name.
    """
    return Numerical(fn, deg, dfn, name)


def _dtanh(x: Array) -> Array:
    y = jnp.tanh(x)
    return 1 - y * y


class Tanh(_Quadrature):
    """φ(x) = tanh(x) by quadrature with ``deg`` (static) nodes (see `tanh`)."""

    deg: int = static(48)

    def __post_init__(self) -> None:
        object.__setattr__(self, "deg", check_int("deg", self.deg, minimum=1))

    def fn(self, x: Any) -> Array:
        return jnp.tanh(x)

    def dfn(self, x: Any) -> Array:
        return _dtanh(x)

    def mean(self, q: Any) -> Array:
        """E[tanh(u)] = 0 (tanh is odd)."""
        return jnp.zeros_like(as_float(q))


def tanh(deg: int = 48) -> Tanh:
    """φ(x) = tanh(x), φ' = 1 − tanh²(x): no closed form, so `numerical` quadrature.

    tanh is analytic in the strip |Im x| < π/2, so the rule converges, but only
    root-exponentially, and the more slowly the larger the variance (the poles sit at
    distance π/(2√q) in the standard-normal variable). Measured at deg = 48 against a
    200-node rule: |error| ≈ 3e-9 (T) and 5e-8 (Tdot) at q ≈ 1, ≈ 2e-4 and 1e-3 at q ≈ 4.
    For q ≫ 1, T converges like 1/deg (tanh(√q z) → sign z) and Tdot = E[sech² sech²] is
    not resolved at all once √q ≳ deg (its mass lies within |z| ≲ 1/√q, between nodes):
    raise ``deg``, or use `erf`-type activations, for large pre-activation variances.
    E[φ(u)] = 0 exactly (odd φ).
    """
    return Tanh(deg)


class FromNNGP(Dual):
    """A dual from a user T (see `from_nngp_fn`).

    Fields (all static): ``phi`` (φ or ``None`` for a kernel-only dual), ``nngp_fn`` (T),
    ``ntk_fn`` (Tdot or ``None`` for ∂T/∂q12 by autodiff), ``label`` (display name).
    """

    phi: Callable[[Array], Array] | None = static()
    nngp_fn: Callable[[Array, Array, Array], Array] = static()
    ntk_fn: Callable[[Array, Array, Array], Array] | None = static(None)
    label: str | None = static(None)

    def __post_init__(self) -> None:
        check_callable("fn", self.phi, optional=True)
        check_callable("nngp_fn", self.nngp_fn)
        check_callable("ntk_fn", self.ntk_fn, optional=True)
        _check_label(self.label)

    @property
    def name(self) -> str:
        return self.label or f"FromNngpFn({getattr(self.nngp_fn, '__name__', 'nngp_fn')})"

    @property
    def has_fn(self) -> bool:
        return self.phi is not None

    def fn(self, x: Any) -> Array:
        if self.phi is None:
            raise ValueError(f"{self.name}: no activation `fn` was given (a kernel-only dual).")
        return self.phi(x)

    def nngp(self, q11: Any, q22: Any, q12: Any) -> Array:
        q11, q22, q12 = broadcast(q11, q22, q12)
        return jnp.asarray(self.nngp_fn(q11, q22, q12), dtype=q12.dtype)

    def ntk(self, q11: Any, q22: Any, q12: Any) -> Array:
        q11, q22, q12 = broadcast(q11, q22, q12)
        if self.ntk_fn is not None:
            return jnp.asarray(self.ntk_fn(q11, q22, q12), dtype=q12.dtype)
        nngp_fn = self.nngp_fn
        _, slope = jax.jvp(lambda c: nngp_fn(q11, q22, c), (q12,), (jnp.ones_like(q12),))
        return jnp.asarray(slope, dtype=q12.dtype)


def from_nngp_fn(
    fn: Callable[[Array], Array] | None,
    nngp_fn: Callable[[Array, Array, Array], Array],
    ntk_fn: Callable[[Array, Array, Array], Array] | None = None,
    name: str | None = None,
) -> FromNNGP:
    """A dual from a user-supplied T(q11, q22, q12) = E[φ(u)φ(v)] (widenets argument order).

    Tdot = ``ntk_fn`` if given, else ∂T/∂q12 by forward-mode autodiff (Price's theorem:
    E[φ'(u)φ'(v)] = ∂T/∂q12 when φ is absolutely continuous). ``nngp_fn`` must broadcast
    elementwise over its three arguments (it is called on arrays of one broadcast shape;
    wrap scalar-only code in ``jnp.vectorize``). Outputs are cast to the inputs' dtype.
    E[φ(u)²] = T(q, q, q); E[φ(u)] by `MEAN_DEG`-point quadrature of ``fn`` (ValueError
    when ``fn`` is None, as for `fn` and `dfn`).

    Note: neural-tangents' ``Elementwise`` calls ``nngp_fn(cov12, var1, var2)``; the stax
    layer adapts that order, this function does not.
    """
    return FromNNGP(fn, nngp_fn, ntk_fn, name)
