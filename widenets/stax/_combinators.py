"""Combinators: `serial`, `parallel`, and the branching layers `FanOut`, `FanInSum`,
`FanInProd`, `FanInConcat`.

Branches are assumed independent given their common input (each ends in its own randomly
initialised layer), which is what makes the branch kernels combine entry-wise:

* FanInSum:    nngp = Σ nngp_i,  ntk = Σ ntk_i  (centred Gaussian branches only: with
  non-zero means the cross terms E[f_i]E[f_j] would not vanish);
* FanInProd:   nngp = Π nngp_i,  ntk = Σ_i ntk_i Π_{j≠i} nngp_j  (product rule);
* FanInConcat: channel-weighted mean, nngp = Σ n_i nngp_i / Σ n_i (ntk likewise).
Two branches that are the *same* random function (e.g. two `Identity` branches) are not
independent, and the kernels above do not describe them (as in neural-tangents).
"""
from __future__ import annotations

import functools
import operator
from typing import Any

import jax
import jax.numpy as jnp

from .._validation import check_int
from ._layer import Layer, make_layer


def _check_layers(name: str, layers: tuple) -> None:
    for i, layer in enumerate(layers):
        if not (isinstance(layer, tuple) and len(layer) == 3 and all(map(callable, layer))):
            raise TypeError(
                f"{name}: argument {i} must be a layer, i.e. an (init_fn, apply_fn, kernel_fn) "
                f"triple, got {type(layer).__name__}."
            )


def serial(*layers: Layer) -> Layer:
    """Compose layers in sequence: ``serial(f, g)(x) = g(f(x))``, kernels likewise."""
    _check_layers("serial", layers)
    init_fns, apply_fns, kernel_fns = zip(*layers) if layers else ((), (), ())

    def init_fn(key, input_shape):
        params = []
        for init, sub_key in zip(init_fns, jax.random.split(key, max(len(init_fns), 1))):
            input_shape, p = init(sub_key, input_shape)
            params.append(p)
        return input_shape, tuple(params)

    def apply_fn(params, inputs, **kwargs):
        if len(params) != len(apply_fns):
            raise ValueError(f"serial: `params` has {len(params)} entries for {len(apply_fns)} layers.")
        for apply, p in zip(apply_fns, params):
            inputs = apply(p, inputs, **kwargs)
        return inputs

    def rule(k):
        for kernel_fn in kernel_fns:
            k = kernel_fn(k)
        return k

    return make_layer(f"serial[{len(layers)}]", init_fn, apply_fn, rule)


def parallel(*layers: Layer) -> Layer:
    """Apply the i-th layer to the i-th of a list of inputs (branches after `FanOut`)."""
    _check_layers("parallel", layers)
    init_fns, apply_fns, kernel_fns = zip(*layers) if layers else ((), (), ())

    def _check_list(what: str, items: Any) -> None:
        if not isinstance(items, (list, tuple)) or len(items) != len(layers):
            raise ValueError(f"parallel: expects a list of {len(layers)} {what}, got {type(items).__name__}"
                             f"{'' if not isinstance(items, (list, tuple)) else f' of length {len(items)}'}.")

    def init_fn(key, input_shapes):
        _check_list("input shapes", input_shapes)
        keys = jax.random.split(key, max(len(layers), 1))
        outs = [init(k, s) for init, k, s in zip(init_fns, keys, input_shapes)]
        return [o[0] for o in outs], tuple(o[1] for o in outs)

    def apply_fn(params, inputs, **kwargs):
        _check_list("inputs", inputs)
        return [apply(p, x, **kwargs) for apply, p, x in zip(apply_fns, params, inputs)]

    def rule(ks):
        _check_list("kernels", ks)
        return [kernel_fn(k) for kernel_fn, k in zip(kernel_fns, ks)]

    return make_layer(f"parallel[{len(layers)}]", init_fn, apply_fn, rule)


def FanOut(num: int) -> Layer:
    """Copy the input into ``num`` branches."""
    num = check_int("num", num, minimum=1)
    return make_layer(
        f"FanOut({num})",
        lambda key, input_shape: ([input_shape] * num, ()),
        lambda params, inputs, **kwargs: [inputs] * num,
        lambda k: [k] * num,
    )


def _fan_in_inputs(name: str, items: Any) -> list:
    if not isinstance(items, (list, tuple)) or len(items) == 0:
        raise ValueError(f"{name}: expects a non-empty list of branches (use FanOut and parallel), "
                         f"got {type(items).__name__}.")
    return list(items)


def _same_shapes(name: str, shapes: list) -> None:
    if any(tuple(s) != tuple(shapes[0]) for s in shapes[1:]):
        raise ValueError(f"{name}: all branches must have the same shape, got {[tuple(s) for s in shapes]}.")


def FanInSum() -> Layer:
    """Sum the branches (residual connections)."""

    def init_fn(key, input_shapes):
        shapes = _fan_in_inputs("FanInSum", input_shapes)
        _same_shapes("FanInSum", shapes)
        return shapes[0], ()

    def apply_fn(params, inputs, **kwargs):
        xs = _fan_in_inputs("FanInSum", inputs)
        _same_shapes("FanInSum", [x.shape for x in xs])
        return functools.reduce(operator.add, xs)

    def rule(ks):
        ks = _fan_in_inputs("FanInSum", ks)
        _same_shapes("FanInSum", [k.shape for k in ks])
        if len(ks) > 1 and not all(k.is_gaussian for k in ks):
            raise ValueError(
                "FanInSum: every branch must end in an affine layer (a centred Gaussian) for the "
                f"kernels to add; got is_gaussian={[k.is_gaussian for k in ks]}."
            )
        return ks[0].replace(
            nngp=sum(k.nngp for k in ks),
            ntk=sum(k.ntk for k in ks),
            cov1=sum(k.cov1 for k in ks),
            cov2=sum(k.cov2 for k in ks),
        )

    return make_layer("FanInSum", init_fn, apply_fn, rule)


def FanInProd() -> Layer:
    """Multiply the branches elementwise."""

    def init_fn(key, input_shapes):
        shapes = _fan_in_inputs("FanInProd", input_shapes)
        _same_shapes("FanInProd", shapes)
        return shapes[0], ()

    def apply_fn(params, inputs, **kwargs):
        xs = _fan_in_inputs("FanInProd", inputs)
        _same_shapes("FanInProd", [x.shape for x in xs])
        return functools.reduce(operator.mul, xs)

    def rule(ks):
        ks = _fan_in_inputs("FanInProd", ks)
        _same_shapes("FanInProd", [k.shape for k in ks])
        nngp, ntk = ks[0].nngp, ks[0].ntk
        for k in ks[1:]:  # product rule, one factor at a time
            nngp, ntk = nngp * k.nngp, ntk * k.nngp + nngp * k.ntk
        return ks[0].replace(
            nngp=nngp,
            ntk=ntk,
            cov1=functools.reduce(operator.mul, [k.cov1 for k in ks]),
            cov2=functools.reduce(operator.mul, [k.cov2 for k in ks]),
            is_gaussian=len(ks) == 1 and ks[0].is_gaussian,
        )

    return make_layer("FanInProd", init_fn, apply_fn, rule)


def FanInConcat(axis: int = -1) -> Layer:
    """Concatenate the branches along the channel axis (``axis=-1``, the only one supported).

    The kernel is the channel-weighted mean of the branch kernels. Unlike neural-tangents,
    the result stays Gaussian when every branch is (a concatenation of independent centred
    Gaussian channels is one), so an activation may follow.
    """
    check_int("axis", axis)

    def _widths(name: str, shapes: list) -> list[int]:
        rank = len(tuple(shapes[0]))  # (batch, ..., channels)
        if axis not in (-1, rank - 1):
            raise ValueError(
                f"{name}: only concatenation along the channel (last) axis is supported, "
                f"got `axis={axis}` for shapes {[tuple(s) for s in shapes]}."
            )
        heads = [tuple(s)[:-1] for s in shapes]
        if any(h != heads[0] for h in heads[1:]):
            raise ValueError(f"{name}: branches must agree on all but the channel axis, got {shapes}.")
        return [tuple(s)[-1] for s in shapes]

    def init_fn(key, input_shapes):
        shapes = _fan_in_inputs("FanInConcat", input_shapes)
        widths = _widths("FanInConcat", shapes)
        return tuple(shapes[0])[:-1] + (sum(widths),), ()

    def apply_fn(params, inputs, **kwargs):
        xs = _fan_in_inputs("FanInConcat", inputs)
        _widths("FanInConcat", [x.shape for x in xs])
        return jnp.concatenate(xs, axis=-1)

    def rule(ks):
        ks = _fan_in_inputs("FanInConcat", ks)
        widths = _widths("FanInConcat", [(-1,) + k.shape for k in ks])
        total = sum(widths)

        def mean(field: str):
            return sum((w / total) * getattr(k, field) for w, k in zip(widths, ks))

        return ks[0].replace(
            nngp=mean("nngp"),
            ntk=mean("ntk"),
            cov1=mean("cov1"),
            cov2=mean("cov2"),
            shape=ks[0].shape[:-1] + (total,),
            is_gaussian=all(k.is_gaussian for k in ks),
        )

    return make_layer("FanInConcat", init_fn, apply_fn, rule)

