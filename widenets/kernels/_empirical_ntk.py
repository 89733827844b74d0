"""Empirical (finite-width) kernels of one network: the NNGP sample and the NTK.

For a function ``f(params, x)`` with outputs f(x) of shape (N, *out) and any parameter
pytree θ (Jacot et al. 2018, arXiv:1806.07572):

    nngp(x1, x2)[i, j] = (1/S) Σ_{c ∈ traced} f_c(x1_i) f_c(x2_j),
    ntk(x1, x2)[i, j]  = (1/S) Σ_{c ∈ traced} Σ_{leaves θ_l} ⟨∂f_c(x1_i)/∂θ_l, ∂f_c(x2_j)/∂θ_l⟩,

where the traced output axes ``trace_axes`` (default: the channel axis ``-1``) are
contracted and S is the product of their sizes: the trace is a **mean** over output
channels, as in neural-tangents 0.6.5. A network with k i.i.d. output channels therefore has
an empirical kernel whose infinite-width limit is the per-channel kernel of `widenets.stax`,
whatever k is. ``diagonal_axes`` keep only the x1-index == x2-index entries of an output
axis, once. The layout of the result (neural-tangents': each untraced axis twice, x1's then
x2's, each diagonal axis once) is described in `_axes`; the NTK methods and the ``'auto'``
rule, with their FLOP and memory costs, in `_ntk_methods`.

Keyword arguments of ``kernel_fn(x1, x2, params, **kwargs)`` are passed to ``f``; as in
neural-tangents, a 2-tuple value ``(a, b)`` is split into ``a`` for x1 and ``b`` for x2
(neural-tangents' splitting of an ``rng`` key is not reproduced). Outputs of ``f`` must be
one array (neural-tangents also accepts pytrees of outputs).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from . import _ntk_methods
from ._axes import (
    NtkImplementation,
    check_axes,
    check_f,
    check_get,
    check_implementation,
    check_structured_flags,
    check_trace_axes,
    check_vmap_axes,
    layout,
    pack_result,
    pair_spec,
    swap_inputs,
    traced_size,
)

__all__ = ["check_get", "check_implementation", "check_trace_axes", "empirical_kernel_fn",
           "empirical_nngp_fn", "empirical_ntk_fn"]

#: neural-tangents' default ``implementation``.
DEFAULT_IMPLEMENTATION = NtkImplementation.JACOBIAN_CONTRACTION

Array = jax.Array
ApplyFn = Callable[..., Array]


def split_kwargs(kwargs: dict) -> tuple[dict, dict]:
    """neural-tangents' rule: a 2-tuple value is (value for x1, value for x2)."""
    kw1 = {k: v[0] if isinstance(v, tuple) and len(v) == 2 else v for k, v in kwargs.items()}
    kw2 = {k: v[1] if isinstance(v, tuple) and len(v) == 2 else v for k, v in kwargs.items()}
    return kw1, kw2


def _output_shape(f: ApplyFn, params: Any, x: Any, kw: dict, name: str) -> jax.ShapeDtypeStruct:
    """Shape of f(params, x) by `jax.eval_shape`; failures re-raised naming the arguments."""
    if x is None:
        raise ValueError(f"`{name}` must be an array (or pytree of arrays), got None.")
    try:
        out = jax.eval_shape(lambda p, v: f(p, v, **kw), params, x)
    except (TypeError, ValueError) as err:
        shapes = jax.tree.map(jnp.shape, x)
        raise ValueError(
            f"`f(params, {name})` failed while tracing: are the shapes in `params` compatible "
            f"with `{name}` (shapes {shapes})? {type(err).__name__}: {err}"
        ) from err
    if not isinstance(out, jax.ShapeDtypeStruct) or len(out.shape) < 1:
        raise TypeError(
            f"`f` must return one array with a leading batch axis, got {out!r}."
        )
    return out


def _check_params(params: Any) -> None:
    leaves = jax.tree_util.tree_leaves(params)
    if not leaves:
        raise ValueError("`params` has no array leaves, so the NTK is undefined.")
    bad = [jnp.result_type(v) for v in leaves if not jnp.issubdtype(jnp.result_type(v), jnp.inexact)]
    if bad:
        raise TypeError(f"`params` leaves must be floating arrays to differentiate, got dtypes {bad}.")


def _problem(f, x1, x2, params, kwargs, trace_axes, diagonal_axes, vmap) -> _ntk_methods.Problem:
    kw1, kw2 = split_kwargs(kwargs)
    out1 = _output_shape(f, params, x1, kw1, "x1")
    out2 = out1 if x2 is None else _output_shape(f, params, x2, kw2, "x2")
    ndim = len(out1.shape)
    batch_axis = 0
    if vmap is not None:
        if not -ndim <= vmap[1] < ndim:
            raise ValueError(f"`vmap_axes`: output axis {vmap[1]} is out of range for {ndim}-d outputs.")
        batch_axis = vmap[1] % ndim
    traced, diag = layout(trace_axes, diagonal_axes, out1.shape, out2.shape, batch_axis)
    return _ntk_methods.Problem(f, params, x1, x2, kw1, kw2, vmap, out1.shape, out2.shape, traced, diag)


def empirical_nngp_fn(
    f: ApplyFn, trace_axes: Any = (-1,), diagonal_axes: Any = ()
) -> Callable[..., Array]:
    """The NNGP sample of one network, ``f(x1) f(x2)ᵀ / S`` in the kernel layout.

    Args:
      f: ``f(params, x, **kwargs) -> outputs`` with a leading batch axis.
      trace_axes: output axes averaged over (see the module docstring); default the last.
      diagonal_axes: output axes of which only the diagonal is kept (once).

    Returns:
      ``nngp_fn(x1, x2, params, **kwargs)``; ``x2=None`` means ``x2 = x1`` (one forward pass).
      Cost: two forward passes and one einsum, 2·N1·N2·O·U FLOPs (O outputs per example, U
      the untraced, undiagonalised non-batch sizes); memory the two outputs and the result.
    """
    check_f(f)
    trace_axes = check_trace_axes(trace_axes)
    diagonal_axes = check_axes("diagonal_axes", diagonal_axes)

    def nngp_fn(x1: Any, x2: Any, params: Any, **kwargs: Any) -> Array:
        kw1, kw2 = split_kwargs(kwargs)
        shape1 = _output_shape(f, params, x1, kw1, "x1").shape
        shape2 = shape1 if x2 is None else _output_shape(f, params, x2, kw2, "x2").shape
        traced, diag = layout(trace_axes, diagonal_axes, shape1, shape2)
        out1 = f(params, x1, **kw1)
        out2 = out1 if x2 is None else f(params, x2, **kw2)
        spec = pair_spec(len(shape1), 0, traced, diag)
        prod = jnp.einsum(spec, out1, out2, precision=jax.lax.Precision.HIGHEST)
        return prod / traced_size(shape1, traced)

    _tag_for_batch(nngp_fn, trace_axes, diagonal_axes)
    return nngp_fn


def empirical_ntk_fn(
    f: ApplyFn,
    trace_axes: Any = (-1,),
    diagonal_axes: Any = (),
    vmap_axes: Any = None,
    implementation: Any = DEFAULT_IMPLEMENTATION,
    _j_rules: bool = True,
    _s_rules: bool = True,
    _fwd: bool | None = None,
) -> Callable[..., Array]:
    """The NTK of one network, ``J(x1) J(x2)ᵀ / S`` summed over every parameter leaf.

    The signature is neural-tangents 0.6.5's, names, order and defaults; its private
    ``_j_rules, _s_rules, _fwd`` tune only its structured-derivatives method and are
    type-checked and ignored here.

    Args:
      f: ``f(params, x, **kwargs) -> outputs`` with a leading batch axis; ``params`` any
        pytree of float arrays (``None`` leaves, e.g. absent biases, are skipped).
      trace_axes: output axes averaged over (see the module docstring); default the last.
      diagonal_axes: output axes of which only the diagonal is computed; ``(0,)`` gives the
        per-example kernels Θ(x1_i, x2_i) (then N1 == N2).
      vmap_axes: None (default: the Jacobians of the whole batch; always correct), or
        neural-tangents' ``(in_axes, out_axes, kwargs_axes)`` (a single int ``a`` means
        ``(a, a, {})``), certifying that f's output at ``out_axes`` index i depends only on
        slice i of ``x`` along ``in_axes`` and of the kwargs named in ``kwargs_axes``. Then
        per-example derivatives are `jax.vmap`-ed, which turns the N² VJP cost into N; if
        examples do interact (batch norm) the result is silently wrong, as in
        neural-tangents. ``out_axes`` is the batch axis of the outputs.
      implementation: an `NtkImplementation` member, its integer code or its lower-case name:
        ``'jacobian_contraction'`` (1; the default, as in neural-tangents),
        ``'ntk_vector_products'`` (2), ``'auto'`` (0: the cheaper by the FLOP estimate of
        `_ntk_methods`, decided from shapes). ``'structured_derivatives'`` (3) raises
        `NotImplementedError`. Costs: Jacobian contraction ≈ 3F·O·(N1 + N2) + 2P·O·U·N1·N2
        FLOPs with ``vmap_axes`` (3F·O·(N1² + N2²) for the Jacobians without), memory
        O((N1 + N2)·O·P); NTK-vector products ≈ 3F·O·N2 + 3F·O·N1·N2 FLOPs, memory
        O(16·P) plus 16-fold batched activations (16 basis vectors at a time) (F: forward FLOPs per example, O:
        outputs per example, P: parameters, U: untraced non-batch output sizes). Use
        `widenets.kernels.batch` to bound the memory by blocks of inputs.

    Returns:
      ``ntk_fn(x1, x2, params, **kwargs)``; ``x2=None`` means ``x2 = x1`` (one Jacobian).
      Shape (N1, N2, *untraced output axes paired), see the module docstring.

    Example:
      >>> ntk_fn = jax.jit(empirical_ntk_fn(apply_fn, vmap_axes=0))
      >>> theta = ntk_fn(x_train, None, params)   # (N, N), mean over output channels
    """
    check_f(f)
    trace_axes = check_trace_axes(trace_axes)
    diagonal_axes = check_axes("diagonal_axes", diagonal_axes)
    vmap = check_vmap_axes(vmap_axes)
    method = check_implementation(implementation)
    check_structured_flags(_j_rules, _s_rules, _fwd)

    def ntk_fn(x1: Any, x2: Any, params: Any, **kwargs: Any) -> Array:
        _check_params(params)
        prob = _problem(f, x1, x2, params, kwargs, trace_axes, diagonal_axes, vmap)
        name = _ntk_methods.choose(prob) if method == "auto" else method
        return _ntk_methods.METHODS[name](prob)

    _tag_for_batch(ntk_fn, trace_axes, diagonal_axes)
    return ntk_fn


def empirical_kernel_fn(
    f: ApplyFn,
    trace_axes: Any = (-1,),
    diagonal_axes: Any = (),
    vmap_axes: Any = None,
    implementation: Any = DEFAULT_IMPLEMENTATION,
    _j_rules: bool = True,
    _s_rules: bool = True,
    _fwd: bool | None = None,
) -> Callable[..., Any]:
    """Both empirical kernels of one network: ``kernel_fn(x1, x2, get, params, **kwargs)``.

    neural-tangents 0.6.5's signature and return convention. Arguments as `empirical_ntk_fn`
    (``vmap_axes``, ``implementation`` and the private flags apply to the NTK only). ``get``
    is 'nngp', 'ntk', a tuple of them, or None for ``('nngp', 'ntk')`` (case ignored); the
    result is the array itself for a string ``get``, else an ``EmpiricalKernel`` namedtuple
    with the requested fields in ``get`` order (so it can be passed to `widenets.predict`).

    Example:
      >>> kernel_fn = empirical_kernel_fn(apply_fn, vmap_axes=0)
      >>> ntk_train_train = kernel_fn(x_train, None, "ntk", params)     # an array
      >>> k = kernel_fn(x_test, x_train, None, params)                  # k.nngp, k.ntk
    """
    nngp_fn = empirical_nngp_fn(f, trace_axes, diagonal_axes)
    ntk_fn = empirical_ntk_fn(f, trace_axes, diagonal_axes, vmap_axes, implementation,
                              _j_rules, _s_rules, _fwd)

    def kernel_fn(x1: Any, x2: Any, get: Any, params: Any, **kwargs: Any) -> Any:
        names, single = check_get(get)
        fns = {"nngp": nngp_fn, "ntk": ntk_fn}
        values = {n: fns[n](x1, x2, params, **kwargs) for n in names}
        return pack_result("EmpiricalKernel", values, names, single)

    _tag_for_batch(kernel_fn, check_trace_axes(trace_axes), check_axes("diagonal_axes", diagonal_axes))
    return kernel_fn


def _tag_for_batch(fn: Callable, trace_axes: tuple, diagonal_axes: tuple) -> None:
    """Attributes read by `widenets.kernels.batch`: ``diagonal_batch`` (the result has one
    batch axis, tiled alone) and ``swap_inputs`` (K(x1, x2) → K(x2, x1), so that a Gram is
    computed from its upper block triangle)."""
    fn.diagonal_batch = 0 in diagonal_axes
    fn.swap_inputs = functools.partial(swap_inputs, trace_axes, diagonal_axes)
