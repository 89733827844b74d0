"""Taylor expansions of a network in its parameters: `linearize` and `taylor_expand`.

For f(θ, x) expanded about θ₀, with δ = θ − θ₀ and Dᵏf(θ₀)[δ]ᵏ the k-th directional
derivative d^k/dt^k f(θ₀ + tδ, x) at t = 0,

    f_lin(θ, x)  = f(θ₀, x) + J(θ₀, x) δ                         (degree 1),
    f_tayl(θ, x) = Σ_{k=0}^{d} Dᵏf(θ₀)[δ]ᵏ / k!                  (degree d),

so f_tayl − f = O(|δ|^{d+1}) for smooth f, f_lin is exactly affine in θ, and the NTK of
f_lin at any θ is the empirical NTK of f at θ₀ (Lee et al. 2019, arXiv:1902.06720: the
linearised network trains as a kernel machine with that kernel). Same names, signatures
and outputs (pytrees allowed) as neural-tangents 0.6.5's ``nt.linearize`` and
``nt.taylor_expand``.

Cost: f_lin is one `jax.jvp`, about 3 forward passes and no Jacobian; memory that of one
forward pass with tangents. f_tayl evaluates Dᵏf(θ₀)[δ]ᵏ for k = 0..d, each by k nested
`jax.jvp`s that double the primal/tangent values per level: about 2^{d+1} forward-pass
equivalents in time, 2^d in memory.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from .._validation import check_int

__all__ = ["linearize", "taylor_expand"]


def _delta(p: Any, params: Any) -> Any:
    """δ = p − params, leaf by leaf; a clear error for a mismatched pytree or shape."""
    if jax.tree.structure(p) != jax.tree.structure(params):
        raise ValueError(
            "`p` must have the structure of the expansion point `params`: got "
            f"{jax.tree.structure(p)} and {jax.tree.structure(params)}."
        )
    for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(params)):
        if jax.numpy.shape(a) != jax.numpy.shape(b):
            raise ValueError(
                f"`p` must have the leaf shapes of `params`: got {jax.numpy.shape(a)} where "
                f"`params` has {jax.numpy.shape(b)}."
            )
    return jax.tree.map(lambda a, b: a - b, p, params)


def linearize(f: Callable, params: Any) -> Callable:
    """The first-order Taylor expansion of ``f`` in its parameters about ``params``.

    Args:
      f: ``f(params, *args, **kwargs)``, returning any pytree of arrays.
      params: the expansion point θ₀, a pytree of float arrays.

    Returns:
      ``f_lin(p, *args, **kwargs) = f(θ₀, *args, **kwargs) + J(θ₀) (p − θ₀)``, computed
      with one `jax.jvp` (no Jacobian is formed); ``p`` must have θ₀'s structure and shapes.

    Example:
      >>> f_lin = linearize(apply_fn, params0)
      >>> mse = jnp.mean((apply_fn(params, x) - f_lin(params, x)) ** 2)
    """
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")

    def f_lin(p: Any, *args: Any, **kwargs: Any) -> Any:
        out, tangent = jax.jvp(lambda q: f(q, *args, **kwargs), (params,), (_delta(p, params),))
        return jax.tree.map(lambda a, b: a + b, out, tangent)

    return f_lin


def taylor_expand(f: Callable, params: Any, degree: int) -> Callable:
    """The degree-``degree`` Taylor polynomial of ``f`` in its parameters about ``params``.

    Args:
      f: ``f(params, *args, **kwargs)``, returning any pytree of arrays.
      params: the expansion point θ₀, a pytree of float arrays.
      degree: d ≥ 0; 0 gives the constant f(θ₀), 1 equals `linearize`.

    Returns:
      ``f_tayl(p, *args, **kwargs) = Σ_{k ≤ d} Dᵏf(θ₀)[p − θ₀]ᵏ / k!`` (module docstring),
      by d nested `jax.jvp`s along δ = p − θ₀, in Horner form
      f + (Df + (D²f + (D³f + …)/3)/2)/1.
    """
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")
    degree = check_int("degree", degree, minimum=0)

    def f_tayl(p: Any, *args: Any, **kwargs: Any) -> Any:
        delta = _delta(p, params)

        def expand(g: Callable, k: int) -> Any:
            """Σ_{j ≥ k} D^{j−k} g[δ] · k!/j!, for g = D^k f[δ]^k as a function of θ."""
            if k == degree:
                return g(params)

            def dg(q):
                return jax.jvp(g, (q,), (delta,))[1]

            higher = expand(dg, k + 1)
            return jax.tree.map(lambda a, b: a + b / (k + 1), g(params), higher)

        return expand(lambda q: f(q, *args, **kwargs), 0)

    return f_tayl
