"""Empirical (finite-width) kernels of one network: the NNGP sample and the NTK.

For a function ``f(params, x)`` with outputs ``f(x)`` of shape (N, *out) and any parameter
pytree θ (Jacot et al. 2018, arXiv:1806.07572):

    nngp(x1, x2)[i, j] = (1/S) Σ_{c ∈ traced} f_c(x1_i) f_c(x2_j),
    ntk(x1, x2)[i, j]  = (1/S) Σ_{c ∈ traced} Σ_{leaves θ_l} ⟨∂f_c(x1_i)/∂θ_l, ∂f_c(x2_j)/∂θ_l⟩,

where the traced output axes ``trace_axes`` (default: the channel axis ``-1``) are
contracted and S is the product of their sizes: the trace is a **mean** over output
channels, as in neural-tangents 0.6.5 (`_src/empirical.py` divides the contraction by
``utils.size_at(fx, trace_axes)``). A network with k i.i.d. output channels therefore has an
empirical kernel whose infinite-width limit is the per-channel kernel of `widenets.stax`,
whatever k is.

Output axes that are not traced are kept, once for x1 and once for x2, interleaved as in
neural-tangents: for ``f(x)`` of shape (N, k) and ``trace_axes=()`` the kernel has shape
(N1, N2, k, k). The batch axis 0 cannot be traced.

Only the Jacobian-contraction method is implemented: the Jacobians ∂f(x)/∂θ are built with
reverse-mode autodiff (`jax.jacrev`) over the whole batch and contracted leaf by leaf, which
is exact for any ``f`` (also when examples of a batch interact) and costs memory
O(N · |out| · |θ|). Faster methods (NTK-vector products, structured derivatives, vmap over
the batch) are meant to be added behind the ``implementation`` argument.
"""
from __future__ import annotations

import functools
import numbers
import operator
import string
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

Array = jax.Array
ApplyFn = Callable[..., Array]

#: names accepted by ``implementation``; only the first is implemented (neural-tangents'
#: ``NtkImplementation`` integer codes are accepted too: 1 = Jacobian contraction).
IMPLEMENTATIONS = ("jacobian_contraction", "ntk_vector_products", "structured_derivatives", "auto")
_NT_CODES = {1: "jacobian_contraction", 2: "ntk_vector_products", 3: "structured_derivatives", 0: "auto"}
KERNELS = ("nngp", "ntk")


def check_trace_axes(trace_axes: Any) -> tuple[int, ...]:
    """``trace_axes`` as a tuple of ints (an int means one axis). Range is checked later."""
    axes = (trace_axes,) if isinstance(trace_axes, numbers.Integral) else trace_axes
    if isinstance(trace_axes, bool) or not isinstance(axes, Sequence) or not all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes
    ):
        raise TypeError(f"`trace_axes` must be an int or a tuple of ints, got {trace_axes!r}.")
    return tuple(int(a) for a in axes)


def check_implementation(implementation: Any) -> str:
    """Canonical name of ``implementation``; only Jacobian contraction exists so far."""
    name = implementation
    if isinstance(implementation, numbers.Integral) and not isinstance(implementation, bool):
        name = _NT_CODES.get(int(implementation), implementation)
    if not isinstance(name, str) or name.lower() not in IMPLEMENTATIONS:
        raise ValueError(
            f"`implementation` must be one of {IMPLEMENTATIONS} (or neural-tangents' codes "
            f"0-3), got {implementation!r}."
        )
    name = name.lower()
    if name != "jacobian_contraction":
        raise NotImplementedError(
            f"`implementation={implementation!r}` is not implemented yet; use "
            "'jacobian_contraction' (neural-tangents code 1)."
        )
    return name


def check_get(get: Any) -> tuple[str, ...]:
    """``get`` ('nngp', 'ntk', a tuple of them, or None for both) as a tuple of names."""
    if get is None:
        return KERNELS
    names = (get,) if isinstance(get, str) else get
    if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"`get` must be None, 'nngp', 'ntk' or a tuple of them, got {get!r}.")
    if not names or any(n not in KERNELS for n in names):
        raise ValueError(f"`get` must name kernels among {KERNELS}, got {get!r}.")
    return tuple(dict.fromkeys(names))


def _canonical_axes(trace_axes: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    axes = []
    for a in trace_axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"`trace_axes` entry {a} is out of range for network outputs with {ndim} axes."
            )
        axes.append(a % ndim)
    if 0 in axes:
        raise ValueError("`trace_axes` cannot contain the batch axis 0 of the network outputs.")
    if len(set(axes)) != len(axes):
        raise ValueError(f"`trace_axes` has repeated axes: {trace_axes}.")
    return tuple(sorted(axes))


def _contraction(ndim: int, extra: int, traced: tuple[int, ...]) -> str:
    """einsum spec contracting two arrays of ``ndim`` output axes (+ ``extra`` parameter axes).

    Traced output axes and parameter axes are summed; the other output axes are kept in the
    order (a0, b0, a1, b1, ...) (x1's axis, x2's axis), matching neural-tangents.
    """
    letters = iter(string.ascii_letters)
    lhs, rhs, out = [], [], []
    for axis in range(ndim):
        a = next(letters)
        if axis in traced:
            lhs.append(a)
            rhs.append(a)
        else:
            b = next(letters)
            lhs.append(a)
            rhs.append(b)
            out += [a, b]
    params = [next(letters) for _ in range(extra)]
    return f"{''.join(lhs + params)},{''.join(rhs + params)}->{''.join(out)}"


def _size(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return functools.reduce(operator.mul, (shape[a] for a in axes), 1)


def _nngp(out1: Array, out2: Array, trace_axes: tuple[int, ...]) -> Array:
    traced = _canonical_axes(trace_axes, out1.ndim)
    spec = _contraction(out1.ndim, 0, traced)
    prod = jnp.einsum(spec, out1, out2, precision=jax.lax.Precision.HIGHEST)
    return prod / _size(out1.shape, traced)


def _ntk(jac1: Any, jac2: Any, out_ndim: int, out_shape: tuple[int, ...], trace_axes) -> Array:
    traced = _canonical_axes(trace_axes, out_ndim)

    def contract(j1: Array, j2: Array) -> Array:
        spec = _contraction(out_ndim, j1.ndim - out_ndim, traced)
        return jnp.einsum(spec, j1, j2, precision=jax.lax.Precision.HIGHEST)

    terms = jax.tree_util.tree_leaves(jax.tree_util.tree_map(contract, jac1, jac2))
    return functools.reduce(operator.add, terms) / _size(out_shape, traced)


def _check_outputs(out1: Array, out2: Array) -> None:
    if out1.ndim < 1 or out1.shape[1:] != out2.shape[1:]:
        raise ValueError(
            "`f` must return arrays with a leading batch axis and the same trailing shape for "
            f"x1 and x2, got {out1.shape} and {out2.shape}."
        )


def empirical_nngp_fn(f: ApplyFn, trace_axes: Any = (-1,)) -> Callable[..., Array]:
    """The NNGP sample of one network: ``nngp_fn(x1, x2, params) = f(x1)·f(x2)ᵀ / S``.

    Args:
      f: ``f(params, x) -> outputs`` with a leading batch axis.
      trace_axes: output axes averaged over (see the module docstring); default the last.

    Returns:
      ``nngp_fn(x1, x2, params, **apply_kwargs)``; ``x2=None`` means ``x2 = x1`` (one forward
      pass). Shape (N1, N2, *untraced output axes paired).
    """
    trace_axes = check_trace_axes(trace_axes)

    def nngp_fn(x1: Any, x2: Any, params: Any, **apply_kwargs: Any) -> Array:
        out1 = f(params, x1, **apply_kwargs)
        out2 = out1 if x2 is None else f(params, x2, **apply_kwargs)
        _check_outputs(out1, out2)
        return _nngp(out1, out2, trace_axes)

    return nngp_fn


def empirical_ntk_fn(
    f: ApplyFn, trace_axes: Any = (-1,), *, implementation: Any = "jacobian_contraction"
) -> Callable[..., Array]:
    """The NTK of one network, ``J(x1) J(x2)ᵀ / S`` summed over every parameter leaf.

    Args:
      f: ``f(params, x) -> outputs`` with a leading batch axis; ``params`` any pytree of
        float arrays (``None`` leaves, e.g. absent biases, are skipped).
      trace_axes: output axes averaged over (see the module docstring); default the last.
      implementation: ``'jacobian_contraction'`` (neural-tangents code 1), the only method
        so far; the other neural-tangents names raise `NotImplementedError`. Keyword-only,
        so that neural-tangents' positional ``diagonal_axes, vmap_axes`` can be added.

    Returns:
      ``ntk_fn(x1, x2, params, **apply_kwargs)``; ``x2=None`` means ``x2 = x1`` (one
      Jacobian). Shape (N1, N2, *untraced output axes paired).

    Example:
      >>> ntk_fn = empirical_ntk_fn(apply_fn)
      >>> theta = ntk_fn(x_train, None, params)   # (N, N), mean over output channels
    """
    trace_axes = check_trace_axes(trace_axes)
    check_implementation(implementation)

    def ntk_fn(x1: Any, x2: Any, params: Any, **apply_kwargs: Any) -> Array:
        if not jax.tree_util.tree_leaves(params):
            raise ValueError("`params` has no array leaves, so the NTK is undefined.")

        def jac(x):
            return jax.jacrev(lambda p: f(p, x, **apply_kwargs))(params)

        out1 = jax.eval_shape(lambda p: f(p, x1, **apply_kwargs), params)
        if x2 is not None:
            out2 = jax.eval_shape(lambda p: f(p, x2, **apply_kwargs), params)
            _check_outputs(out1, out2)
        j1 = jac(x1)
        j2 = j1 if x2 is None else jac(x2)
        return _ntk(j1, j2, len(out1.shape), out1.shape, trace_axes)

    return ntk_fn


def empirical_kernel_fn(
    f: ApplyFn, trace_axes: Any = (-1,), *, implementation: Any = "jacobian_contraction"
) -> Callable[..., Any]:
    """Both empirical kernels of one network: ``kernel_fn(x1, x2, get, params)``.

    ``get`` is 'nngp', 'ntk', a tuple of them or None (both); the result is a dict from the
    requested names to arrays, as computed by `empirical_nngp_fn` / `empirical_ntk_fn`.
    """
    nngp_fn = empirical_nngp_fn(f, trace_axes)
    ntk_fn = empirical_ntk_fn(f, trace_axes, implementation=implementation)

    def kernel_fn(x1: Any, x2: Any, get: Any, params: Any, **apply_kwargs: Any) -> dict:
        names = check_get(get)
        fns = {"nngp": nngp_fn, "ntk": ntk_fn}
        return {n: fns[n](x1, x2, params, **apply_kwargs) for n in names}

    return kernel_fn
