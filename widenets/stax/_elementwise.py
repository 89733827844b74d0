"""Activation layers: one generic layer, `Activation`, holding a `widenets.duals.Dual`.

On a Gaussian input kernel an activation φ maps every entry (every pair of examples and of
positions, with q1, q2 the variances of the two positions; Jacot et al. 2018; Lee et al.
2018; Novak et al. 2019, arXiv:1810.05148)

    nngp' = T(q1, q2, nngp),   ntk' = Tdot(q1, q2, nngp) · ntk,   cov' = E[φ(u)²] on the diagonal.

The maths of T and Tdot lives in `widenets.duals`; this module names the layers the way
neural-tangents does (`Relu`, `Erf`, ...) and adds the Gaussian-input check.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import jax

from .. import duals
from ._kernel import Kernel, cov_variances, nngp_variances
from ._layer import Layer, check_input_shape


class Activation(Layer):
    """The layer of an elementwise activation given by its dual (see the module docstring).

    Example:
      >>> from widenets import stax, duals
      >>> relu = stax.Activation(duals.relu())   # the same layer as stax.Relu()
    """

    dual: duals.Dual

    def __post_init__(self):
        if not isinstance(self.dual, duals.Dual):
            raise TypeError(f"Activation: `dual` must be a widenets.duals.Dual, got {type(self.dual).__name__}.")

    def init(self, key, input_shape):
        return self.output_shape(input_shape), ()

    def output_shape(self, input_shape):
        return check_input_shape(self.dual.name, input_shape)

    def apply(self, params, inputs, **kwargs):
        if not self.dual.has_fn:
            raise ValueError(f"{self.dual.name}: no finite activation `fn` was given, so apply_fn is unavailable.")
        return self.dual.fn(inputs)

    def rule(self, k: Kernel) -> Kernel:
        if not k.is_gaussian:
            raise ValueError(
                f"{self.dual.name}: the input to an activation must be Gaussian, i.e. the activation "
                "must follow an affine layer such as Dense or Conv (or a FanInSum of affine branches)."
            )
        dual = self.dual
        q1, q2 = nngp_variances(k)

        def self_map(cov):
            if k.diagonal_spatial or k.spatial_ndim == 0:
                return dual.nngp_diag(cov)
            qa, qb = cov_variances(cov, False)
            return dual.nngp(qa, qb, cov)

        cov1 = self_map(k.cov1)
        return k.replace(
            nngp=dual.nngp(q1, q2, k.nngp),
            ntk=dual.ntk(q1, q2, k.nngp) * k.ntk,
            cov1=cov1,
            cov2=cov1 if k.x1_is_x2 else self_map(k.cov2),
            is_gaussian=False,
            is_input=False,
        )


def activation(dual: duals.Dual) -> Activation:
    """The stax layer of an elementwise activation given by its dual."""
    return Activation(dual)


def _accept_do_stabilize(do_stabilize: bool) -> None:
    # neural-tangents rescales deep ReLU kernels when do_stabilize=True; the result is
    # mathematically identical, and widenets' formulas do not need it.
    if not isinstance(do_stabilize, bool):
        raise TypeError(f"`do_stabilize` must be a bool, got {do_stabilize!r}.")


def ABRelu(a: float, b: float, do_stabilize: bool = False) -> Activation:
    """φ(x) = a·min(x, 0) + b·max(x, 0); see `widenets.duals.abrelu`."""
    _accept_do_stabilize(do_stabilize)
    return activation(duals.abrelu(a, b))


def Relu(do_stabilize: bool = False) -> Activation:
    """φ(x) = max(x, 0)."""
    _accept_do_stabilize(do_stabilize)
    return activation(duals.relu())


def LeakyRelu(alpha: float, do_stabilize: bool = False) -> Activation:
    """φ(x) = x for x > 0, alpha·x otherwise."""
    _accept_do_stabilize(do_stabilize)
    return activation(duals.leaky_relu(alpha))


def Abs(do_stabilize: bool = False) -> Activation:
    """φ(x) = |x|."""
    _accept_do_stabilize(do_stabilize)
    return activation(duals.abs_())


def Erf(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Activation:
    """φ(x) = a·erf(b·x) + c."""
    return activation(duals.erf(a, b, c))


def Sigmoid_like() -> Activation:
    """φ(x) = 0.5·erf(x / 2.4020563531719796) + 0.5, an erf fit to the logistic sigmoid."""
    return activation(duals.sigmoid_like())


def Gelu(approximate: bool = False) -> Activation:
    """φ(x) = x·Φ(x). ``approximate=True`` uses the tanh form in `apply_fn` only; the kernel is
    always that of the exact GELU (as in neural-tangents)."""
    if not isinstance(approximate, bool):
        raise TypeError(f"`approximate` must be a bool, got {approximate!r}.")
    return activation(duals.gelu(approximate=approximate))


def Sin(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Activation:
    """φ(x) = a·sin(b·x + c)."""
    return activation(duals.sin(a, b, c))


def Cos(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> Activation:
    """φ(x) = a·cos(b·x + c)."""
    return activation(duals.cos(a, b, c))


def Rbf(gamma: float = 1.0) -> Activation:
    """φ(x) = √2·sin(√(2γ)·x + π/4), whose NNGP is exp(−γ(q11 + q22 − 2 q12))."""
    return activation(duals.rbf(gamma))


def Exp(a: float = 1.0, b: float = 1.0) -> Activation:
    """φ(x) = a·exp(b·x)."""
    return activation(duals.exp(a, b))


def Gaussian(a: float = 1.0, b: float = -1.0) -> Activation:
    """φ(x) = a·exp(b·x²)."""
    return activation(duals.gaussian(a, b))


def Sign() -> Activation:
    """φ(x) = sign(x). Its NTK factor is 0 (the a.e. derivative), as in neural-tangents."""
    return activation(duals.sign())


def Monomial(degree: int) -> Activation:
    """φ(x) = x**degree."""
    return activation(duals.monomial(degree))


def RectifiedMonomial(degree: int) -> Activation:
    """φ(x) = (x ≥ 0)·x**degree (arc-cosine kernel of order `degree`)."""
    return activation(duals.rectified_monomial(degree))


def Polynomial(coef: Sequence[float]) -> Activation:
    """φ(x) = coef[0] + coef[1]·x + … + coef[n]·xⁿ."""
    return activation(duals.polynomial(coef))


def Snake(a: float = 1.0) -> Activation:
    """φ(x) = x + sin²(a·x)/a (Ziyin et al. 2020). Not in neural-tangents."""
    return activation(duals.snake(a))


def Elementwise(
    fn: Callable | None = None,
    nngp_fn: Callable | None = None,
    d_nngp_fn: Callable | None = None,
) -> Activation:
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
        return activation(duals.from_nngp_fn(fn, _no_kernel, _no_kernel,
                                             name=f"Elementwise({getattr(fn, '__name__', 'fn')})"))
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


def ElementwiseNumerical(fn: Callable, deg: int, df: Callable | None = None) -> Activation:
    """An activation whose dual is computed by ``deg``-point Gauss–Hermite quadrature (2-D)."""
    if not callable(fn):
        raise TypeError(f"ElementwiseNumerical: `fn` must be callable, got {fn!r}.")
    return activation(duals.numerical(fn, deg=deg, dfn=df))
