"""The one front end of every ``kernel_fn``: validation, ``get``, the input kernel's form,
one compiled evaluation (`_plan.py`), and neural-tangents' return conventions.

``kernel_fn(x1, x2=None, get=None, *, diagonal_batch=True, diagonal_spatial=False,
mask_constant=None)``:

* ``x1``, ``x2``: arrays with a leading batch axis (or lists of arrays, for networks whose
  first layer is `parallel`); ``x2=None`` means x2 = x1 (a symmetric Gram, computed once per
  pair of tiles). Called on a `Kernel` instead, the layer's rule is applied alone.
* ``get``: None (the whole `Kernel`), one field name (that value alone), or a tuple of names
  (a namedtuple in that order). Names are those of `Kernel`: 'nngp', 'ntk', 'cov1', 'cov2',
  'shape1', 'shape2', ... Only the requested arrays are computed.
* ``diagonal_spatial``: return only the spatial diagonal of kernels that keep spatial axes.
  Independently of it, the engine computes only what the network needs: the spatial
  diagonal when its readout is `Flatten`, the full covariance under pooling (each layer's
  `input_form`).
* ``diagonal_batch=False``: ``cov1``/``cov2`` are the (N1, N1, …)/(N2, N2, …) Gram matrices
  of each batch with itself instead of per-example covariances.
* ``mask_constant``: masking is not implemented; only None is accepted.

The evaluation is one module-level ``jax.jit`` whose static arguments are the layer's
structure (its pytree definition) and the `EvalOptions`; float hyperparameters are traced,
so changing ``W_std`` does not recompile, and ``jax.grad``/``jax.vmap`` over them work.
"""
from __future__ import annotations

import collections
from typing import Any

import jax
import jax.numpy as jnp

from .._validation import as_float_array, parse_get
from ._kernel import Kernel, is_kernel_tree
from ._plan import DATA_FIELDS, EvalOptions, evaluate_jit, symmetrize

#: every name ``get`` may ask for (the fields of `Kernel`, as in neural-tangents)
GET_FIELDS = (
    "nngp", "ntk", "cov1", "cov2", "shape1", "shape2", "batch_axis", "channel_axis",
    "is_gaussian", "x1_is_x2", "diagonal_spatial", "diagonal_batch", "is_input",
    "is_reversed", "mask1", "mask2",
)
_NAMED_TUPLES: dict[tuple[str, ...], type] = {}


def _check_inputs(x1: Any, x2: Any, batch_axes: Any) -> tuple[Any, Any]:
    """Validated floating inputs of one common dtype; lists for multi-input networks."""
    if isinstance(x1, (list, tuple)):
        if not x1:
            raise ValueError("`x1` must not be an empty list.")
        if x2 is not None and (not isinstance(x2, (list, tuple)) or len(x2) != len(x1)):
            raise ValueError(f"`x2` must be None or a list of {len(x1)} arrays like `x1`.")
        axes = batch_axes if isinstance(batch_axes, tuple) else (batch_axes,) * len(x1)
        a = [as_float_array(f"x1[{i}]", v, min_ndim=2) for i, v in enumerate(x1)]
        b = None if x2 is None else [as_float_array(f"x2[{i}]", v, min_ndim=2) for i, v in enumerate(x2)]
        sizes = {v.shape[ax % v.ndim] for v, ax in zip(a, axes)}
        if len(sizes) != 1:
            raise ValueError(f"every array of `x1` must have the same batch size, got {sorted(sizes)}.")
        for i in range(len(a)):
            if b is not None:
                _check_pair(a[i], b[i], axes[i], f"[{i}]")
        dtype = jnp.result_type(*a, *([] if b is None else b))
        return [v.astype(dtype) for v in a], None if b is None else [v.astype(dtype) for v in b]
    if isinstance(x2, (list, tuple)):
        raise ValueError("`x2` is a list but `x1` is not.")
    a = as_float_array("x1", x1, min_ndim=2)
    if x2 is None:
        return a, None
    b = as_float_array("x2", x2, min_ndim=2)
    _check_pair(a, b, batch_axes, "")
    dtype = jnp.promote_types(a.dtype, b.dtype)
    return a.astype(dtype), b.astype(dtype)


def _check_pair(a: jax.Array, b: jax.Array, batch_axis: int, suffix: str) -> None:
    ax = batch_axis % a.ndim
    if a.ndim != b.ndim or a.shape[:ax] + a.shape[ax + 1:] != b.shape[:ax] + b.shape[ax + 1:]:
        raise ValueError(
            f"`x2{suffix}` must have the shape of `x1{suffix}` except in the batch axis {ax}: got "
            f"x1 {a.shape} and x2 {b.shape}."
        )


def _axes_tree(axes: Any, x1: Any) -> Any:
    """The inputs' (batch_axis, channel_axis), as one pair or a tuple of pairs for lists."""
    default = (0, -1)
    if isinstance(x1, (list, tuple)):
        if isinstance(axes, list):
            return tuple(default if a is None else tuple(a) for a in axes)
        return (default if axes is None else tuple(axes),) * len(x1)
    if isinstance(axes, list):
        known = [a for a in axes if a is not None]
        axes = known[0] if known else None
    return default if axes is None else tuple(axes)


def _check_axes_in_range(x1: Any, axes: Any) -> None:
    xs = x1 if isinstance(x1, list) else [x1]
    pairs = axes if isinstance(axes[0], tuple) else (axes,)
    for i, (x, (b, c)) in enumerate(zip(xs, pairs)):
        for ax in (b, c):
            if ax is not None and not -x.ndim <= ax < x.ndim:
                where = "x1" if len(xs) == 1 else f"x1[{i}]"
                raise ValueError(
                    f"the network's first layer expects inputs with batch axis {b} and channel axis {c}, "
                    f"but `{where}` has shape {x.shape} ({x.ndim} axes)."
                )


def _form_tree(form: Any, x1: Any) -> Any:
    if isinstance(x1, (list, tuple)):
        return tuple(form) if isinstance(form, list) else (form,) * len(x1)
    if isinstance(form, list):
        from ._layer import richer

        return richer(*form)
    return form


def _pack(out: Any, names: tuple[str, ...] | None, single: bool) -> Any:
    if names is None:
        return out
    if isinstance(out, list):
        return [_pack(o, names, single) for o in out]
    values = tuple(getattr(out, n) for n in names)
    if single:
        return values[0]
    if names not in _NAMED_TUPLES:
        _NAMED_TUPLES[names] = collections.namedtuple("AnalyticKernel", names)
    return _NAMED_TUPLES[names](*values)


def _map_kernels(fn, out: Any) -> Any:
    return jax.tree.map(fn, out, is_leaf=lambda o: isinstance(o, Kernel))


def evaluate(
    layer: Any,
    x1: Any,
    x2: Any = None,
    get: Any = None,
    *,
    diagonal_batch: bool = True,
    diagonal_spatial: bool = False,
    mask_constant: Any = None,
    **kwargs: Any,
) -> Any:
    """``layer``'s infinite-width kernel on (x1, x2): the body of every ``kernel_fn``
    (module docstring)."""
    if kwargs:
        raise TypeError(f"kernel_fn got unexpected keyword arguments {sorted(kwargs)}.")
    for name, flag in (("diagonal_batch", diagonal_batch), ("diagonal_spatial", diagonal_spatial)):
        if not isinstance(flag, bool):
            raise TypeError(f"`{name}` must be a bool, got {flag!r}.")
    if mask_constant is not None:
        raise NotImplementedError(
            "`mask_constant`: masked inputs are not implemented in widenets; pass None."
        )
    names, single = parse_get(get, GET_FIELDS)
    if is_kernel_tree(x1):
        if x2 is not None:
            raise ValueError("`x2` must be None when `x1` is a Kernel.")
        return _pack(layer.transform(x1), names, single)

    axes = _axes_tree(layer.input_axes(), x1)
    batch_axes = tuple(a[0] for a in axes) if isinstance(axes[0], tuple) else axes[0]
    x1, x2 = _check_inputs(x1, x2, batch_axes)
    _check_axes_in_range(x1, axes)
    white = layer.spatially_white(False)
    white = all(white) if isinstance(white, list) else bool(white)
    diagonal_spatial = diagonal_spatial or white  # zero off the diagonal: store the diagonal
    out_form = "diagonal" if diagonal_spatial else "full"
    form = _form_tree(layer.input_form(out_form), x1)
    wanted = DATA_FIELDS if names is None else tuple(n for n in DATA_FIELDS if n in names)
    options = EvalOptions(fields=wanted, form=form, axes=axes, diagonal_spatial=diagonal_spatial)
    if not wanted:  # only static fields (shapes, flags) asked for: nothing to compute
        out = jax.eval_shape(lambda a, b: evaluate_jit(layer, a, b, options), x1, x2)
        return _pack(out, names, single)
    out = evaluate_jit(layer, x1, x2, options)
    if x2 is None:
        out = symmetrize(out)
    if not diagonal_batch:
        out = _full_batch_covariances(layer, x1, x2, options, out)
    return _pack(out, names, single)


def _full_batch_covariances(layer: Any, x1: Any, x2: Any, options: EvalOptions, out: Any) -> Any:
    """``cov1``/``cov2`` as the Gram matrices of each batch with itself."""
    if "cov1" not in options.fields and "cov2" not in options.fields:
        return _map_kernels(lambda k: k.replace(diagonal_batch=False), out)
    grams = EvalOptions(("nngp",), options.form, options.axes, options.diagonal_spatial)
    gram1 = symmetrize(evaluate_jit(layer, x1, None, grams))
    gram2 = gram1 if x2 is None else symmetrize(evaluate_jit(layer, x2, None, grams))

    def put(k: Kernel, g1: Kernel, g2: Kernel) -> Kernel:
        return k.replace(
            cov1=g1.nngp if k.cov1 is not None else None,
            cov2=g2.nngp if k.cov2 is not None else None,
            diagonal_batch=False,
        )

    return jax.tree.map(put, out, gram1, gram2, is_leaf=lambda o: isinstance(o, Kernel))
