"""NTK-vector products without the NTK: `empirical_ntk_vp_fn`.

For f(θ, x) with Jacobians J1 = ∂f(θ, x1)/∂θ and J2 = ∂f(θ, x2)/∂θ, the (untraced) empirical
NTK is Θ = J1 J2ᵀ, an (N1·O) × (N2·O) matrix (O outputs per example; Jacot et al. 2018,
arXiv:1806.07572). Its product with a cotangent v of f(θ, x2)'s shape factors as

    Θ v = J1 (J2ᵀ v) = jvp(f(·, x1), θ; vjp(f(·, x2), θ)(v)),

one reverse pass at x2 and one forward pass at x1 (Novak et al. 2022, arXiv:2206.08720,
§L): time about that of (N1 + N2) forward passes, memory that of one VJP, and Θ itself is
never formed. Unlike the kernel functions there is no ``trace_axes`` normalisation: this is
the full NTK applied to v. The name, arguments and semantics are neural-tangents 0.6.5's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from ._axes import check_f
from ._empirical_ntk import split_kwargs

__all__ = ["empirical_ntk_vp_fn"]


def empirical_ntk_vp_fn(
    f: Callable, x1: Any, x2: Any, params: Any, **apply_fn_kwargs: Any
) -> Callable[[Any], Any]:
    """The map v ↦ Θ(x1, x2) v of the empirical NTK of ``f`` at ``params`` (module docstring).

    Args:
      f: ``f(params, x, **kwargs)``; outputs may be any pytree of arrays.
      x1: first batch of inputs.
      x2: second batch; None means x2 = x1.
      params: the parameters θ (a pytree) at which Θ is taken.
      **apply_fn_kwargs: passed to ``f``; a 2-tuple value ``(a, b)`` gives ``a`` for the x1
        call and ``b`` for the x2 call (neural-tangents' rule).

    Returns:
      ``ntk_vp_fn(cotangents)``: ``cotangents`` has the structure and shapes of
      ``f(params, x2)``; the result those of ``f(params, x1)``. Pure JAX, so it can be
      jitted, vmapped over cotangents, or handed to an iterative solver.

    Example:
      >>> ntk_vp = empirical_ntk_vp_fn(apply_fn, x1, x2, params)
      >>> v = jax.random.normal(key, apply_fn(params, x2).shape)
      >>> theta_v = ntk_vp(v)           # shape of apply_fn(params, x1)
    """
    check_f(f)
    if x1 is None:
        raise ValueError("`x1` must be an array (or pytree of arrays), got None.")
    kw1, kw2 = split_kwargs(apply_fn_kwargs)
    if x2 is None:
        x2, kw2 = x1, kw1

    def f1(p: Any) -> Any:
        return f(p, x1, **kw1)

    def f2(p: Any) -> Any:
        return f(p, x2, **kw2)

    def ntk_vp_fn(cotangents: Any) -> Any:
        out2, pullback = jax.vjp(f2, params)
        if jax.tree.structure(cotangents) != jax.tree.structure(out2) or any(
            jax.numpy.shape(c) != jax.numpy.shape(o)
            for c, o in zip(jax.tree.leaves(cotangents), jax.tree.leaves(out2))
        ):
            raise ValueError(
                "`cotangents` must have the structure and shapes of f(params, x2): got "
                f"{jax.tree.map(jax.numpy.shape, cotangents)}, expected "
                f"{jax.tree.map(jax.numpy.shape, out2)}."
            )
        cotangents = jax.tree.map(lambda c, o: jax.numpy.asarray(c, o.dtype), cotangents, out2)
        (tangent,) = pullback(cotangents)
        return jax.jvp(f1, (params,), (tangent,))[1]

    return ntk_vp_fn
