"""Activation layers: one generic layer built from a `widenets.duals.Dual`.

On a Gaussian input kernel (q11 = cov1[i], q22 = cov2[j], q12 = nngp[i, j]) an activation φ
maps, for the NNGP and the NTK (Jacot et al. 2018; Lee et al. 2018),

    nngp' = T(q11, q22, q12),   ntk' = Tdot(q11, q22, q12) · ntk,   cov' = E[φ(u)²].

The maths of T and Tdot lives in `widenets.duals`; this module only names the layers the way
neural-tangents does (`Relu`, `Erf`, ...) and adds the Gaussian-input check.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax

from .. import duals
from ._kernel import Kernel, pair_variances
from ._layer import Layer, check_input_shape, make_layer


def activation(dual: duals.Dual) -> Layer:
    """The stax layer of an elementwise activation given by its dual."""

    def init_fn(key, input_shape):
        return check_input_shape(dual.name, input_shape), ()

    def apply_fn(params: Any, inputs: jax.Array, **kwargs: Any) -> jax.Array:
        if dual.fn is None:
            raise ValueError(f"{dual.name}: no finite activation `fn` was given, so apply_fn is unavailable.")
        return dual.fn(inputs)

    def rule(k: Kernel) -> Kernel:
        if not k.is_gaussian:
            raise ValueError(
                f"{dual.name}: the input to an activation must be Gaussian, i.e. the activation "
                "must follow an affine layer such as Dense (or a FanInSum of affine branches)."
            )
        q11, q22 = pair_variances(k)
        cov1 = dual.nngp_diag(k.cov1)
        return k.replace(
            nngp=dual.nngp(q11, q22, k.nngp),
            ntk=dual.ntk(q11, q22, k.nngp) * k.ntk,
            cov1=cov1,
            cov2=cov1 if k.x1_is_x2 else dual.nngp_diag(k.cov2),
            is_gaussian=False,
        )

    return make_layer(dual.name, init_fn, apply_fn, rule)


def _accept_do_stabilize(do_stabilize: bool) -> None:
    # neural-tangents rescales deep ReLU kernels when do_stabilize=True; the result is
    # mathematically identical, and widenets' formulas do not need it.
    if not isinstance(do_stabilize, bool):
        raise TypeError(f"`do_stabilize` must be a bool, got {do_stabilize!r}.")


def ABRelu(a: float, b: float, do_stabilize: bool = False) -> Layer:
    """φ(x) = a·min(x, 0) + b·max(x, 0); see `widenets.duals.abrelu`."""
    _accept_do_stabilize(do_stabilize)
    return activation(duals.abrelu(a, b))


def Relu(do_stabilize: bool = False) -> Layer:
    """φ(x) = max(x, 0)."""
    _accept_do_stabilize(do_stabilize)
    return activation(duals.relu())


def LeakyRelu(alpha: float, do_stabilize: bool = False) -> Layer:
    """φ(x) = x for x > 0, alpha·x otherwise."""
    _accept_do_stabilize(do_stabilize)
    return activation(duals.leaky_relu(alpha))


def Abs(do_stabilize: bool = False) -> Layer:
    """φ(x) = |x|."""
    _accept_do_stabilize(do_stabilize)
    return activation(duals.abs_())


def Erf(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Layer:
    """φ(x) = a·erf(b·x) + c."""
    return activation(duals.erf(a, b, c))


def Sigmoid_like() -> Layer:
    """φ(x) = 0.5·erf(x / 2.4020563531719796) + 0.5, an erf fit to the logistic sigmoid."""
    return activation(duals.sigmoid_like())


def Gelu(approximate: bool = False) -> Layer:
    """φ(x) = x·Φ(x). ``approximate=True`` uses the tanh form in `apply_fn` only; the kernel is
    always that of the exact GELU (as in neural-tangents)."""
    if not isinstance(approximate, bool):
        raise TypeError(f"`approximate` must be a bool, got {approximate!r}.")
    dual = duals.gelu()
    if approximate:
        import dataclasses

        dual = dataclasses.replace(dual, fn=lambda x: jax.nn.gelu(x, approximate=True))
    return activation(dual)


def Sin(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Layer:
    """φ(x) = a·sin(b·x + c)."""
    return activation(duals.sin(a, b, c))


def Cos(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Layer:
    """φ(x) = a·cos(b·x + c)."""
    return activation(duals.cos(a, b, c))


def Rbf(gamma: float = 1.0) -> Layer:
    """φ(x) = √2·sin(√(2γ)·x + π/4), whose NNGP is exp(−γ(q11 + q22 − 2 q12))."""
    return activation(duals.rbf(gamma))


def Exp(a: float = 1.0, b: float = 1.0) -> Layer:
    """φ(x) = a·exp(b·x)."""
    return activation(duals.exp(a, b))


def Gaussian(a: float = 1.0, b: float = -1.0) -> Layer:
    """φ(x) = a·exp(b·x²)."""
    return activation(duals.gaussian(a, b))


def Sign() -> Layer:
    """φ(x) = sign(x). Its NTK factor is 0 (the a.e. derivative), as in neural-tangents."""
    return activation(duals.sign())


def Monomial(degree: int) -> Layer:
    """φ(x) = x**degree."""
    return activation(duals.monomial(degree))


def RectifiedMonomial(degree: int) -> Layer:
    """φ(x) = (x ≥ 0)·x**degree (arc-cosine kernel of order `degree`)."""
    return activation(duals.rectified_monomial(degree))


def Polynomial(coef: Sequence[float]) -> Layer:
    """φ(x) = coef[0] + coef[1]·x + … + coef[n]·xⁿ."""
    return activation(duals.polynomial(coef))


def Snake(a: float = 1.0) -> Layer:
    """φ(x) = x + sin²(a·x)/a (Ziyin et al. 2020). Not in neural-tangents."""
    return activation(duals.snake(a))


def Elementwise(
    fn: Callable | None = None,
    nngp_fn: Callable | None = None,
    d_nngp_fn: Callable | None = None,
) -> Layer:
    """An activation from its dual: ``nngp_fn(cov12, var1, var2) = E[fn(u) fn(v)]``.

    Argument order follows neural-tangents. The NTK factor E[fn'(u) fn'(v)] is
    ``d_nngp_fn`` if given, else ∂ nngp_fn / ∂ cov12 by autodiff (Price's theorem).
    """
    if fn is None and nngp_fn is None:
        raise ValueError("Elementwise: give `fn` (finite network) and/or `nngp_fn` (kernel).")
    for arg, f in (("fn", fn), ("nngp_fn", nngp_fn), ("d_nngp_fn", d_nngp_fn)):
        if f is not None and not callable(f):
            raise TypeError(f"Elementwise: `{arg}` must be callable, got {f!r}.")
    if nngp_fn is None:
        dual = duals.Dual(
            name=f"Elementwise({getattr(fn, '__name__', 'fn')})",
            fn=fn,
            nngp=_no_kernel,
            ntk=_no_kernel,
        )
        return activation(dual)
    def nt_order(f: Callable) -> Callable:
        # neural-tangents calls nngp_fn on scalars; vectorize so scalar-only code works too
        return jax.numpy.vectorize(lambda q11, q22, q12: f(q12, q11, q22))

    return activation(
        duals.from_nngp_fn(
            fn,
            nt_order(nngp_fn),
            None if d_nngp_fn is None else nt_order(d_nngp_fn),
            name=f"Elementwise({getattr(fn or nngp_fn, '__name__', 'fn')})",
        )
    )


def _no_kernel(*args):
    raise ValueError("Elementwise: no `nngp_fn` was given, so kernel_fn is unavailable.")


def ElementwiseNumerical(fn: Callable, deg: int, df: Callable | None = None) -> Layer:
    """An activation whose dual is computed by ``deg``-point Gauss–Hermite quadrature (2-D)."""
    if not callable(fn):
        raise TypeError(f"ElementwiseNumerical: `fn` must be callable, got {fn!r}.")
    return activation(duals.numerical(fn, deg=deg, dfn=df))
