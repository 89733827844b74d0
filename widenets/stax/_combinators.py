"""Combinators: `serial`, `parallel`, and the branching layers `FanOut`, `FanInSum`,
`FanInProd`, `FanInConcat`.

Branches are assumed independent given their common input (each ends in its own randomly
initialised layer), which is what makes the branch kernels combine entry-wise:

* FanInSum:    nngp = Σ nngp_i,  ntk = Σ ntk_i. The cross terms E[f_i(x) f_j(x')] vanish
  when at least one of each pair of branches is a centred Gaussian (ends in an affine layer
  with fresh zero-mean weights), so all branches but one must be; a residual connection
  ``x + g(x)`` with ``g`` ending in `Dense`/`Conv` qualifies whatever x is.
* FanInProd:   nngp = Π nngp_i,  ntk = Σ_i ntk_i Π_{j≠i} nngp_j  (product rule);
* FanInConcat along the channel axis: the channel-weighted mean, nngp = Σ n_i nngp_i / Σ n_i
  (ntk likewise), for the affine layer that must follow; along a spatial axis: the kernels
  side by side, with zero covariance between positions coming from different branches.

Two branches that are the *same* random function (e.g. two `Identity` branches) are not
independent, and the kernels above do not describe them (as in neural-tangents).
"""
from __future__ import annotations

import functools
import operator
from typing import Any

import jax
import jax.numpy as jnp

from .._struct import static
from .._validation import check_int
from ._kernel import Kernel, take_spatial_diagonal
from ._layer import Layer, as_layer, richer


def _layers(name: str, layers: Any) -> tuple[Layer, ...]:
    return tuple(as_layer(layer, f"{name}: argument {i}") for i, layer in enumerate(layers))


class Serial(Layer):
    """Layers in sequence: ``serial(f, g)(x) = g(f(x))``, kernels likewise."""

    layers: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "layers", _layers("serial", self.layers))

    def init(self, key, input_shape):
        params = []
        for layer, sub_key in zip(self.layers, jax.random.split(key, max(len(self.layers), 1))):
            input_shape, p = layer.init(sub_key, input_shape)
            params.append(p)
        return input_shape, tuple(params)

    def apply(self, params, inputs, **kwargs):
        if len(params) != len(self.layers):
            raise ValueError(f"serial: `params` has {len(params)} entries for {len(self.layers)} layers.")
        for layer, p in zip(self.layers, params):
            inputs = layer.apply(p, inputs, **kwargs)
        return inputs

    def output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.output_shape(input_shape)
        return input_shape

    def input_form(self, output_form):
        for layer in reversed(self.layers):
            output_form = layer.input_form(output_form)
        return output_form

    def input_axes(self):
        for layer in self.layers:
            axes = layer.input_axes()
            if axes is not None:
                return axes
        return None

    def spatially_white(self, input_white):
        for layer in self.layers:
            input_white = layer.spatially_white(input_white)
        return input_white

    def transform(self, k):
        for layer in self.layers:
            k = layer.transform(k)
        return k

    rule = transform


def serial(*layers: Any) -> Serial:
    """Compose layers in sequence (neural-tangents' ``stax.serial``)."""
    return Serial(tuple(layers))


def _check_list(name: str, what: str, items: Any, n: int) -> list:
    if not isinstance(items, (list, tuple)) or len(items) != n:
        got = type(items).__name__ + (f" of length {len(items)}" if isinstance(items, (list, tuple)) else "")
        raise ValueError(f"{name}: expects a list of {n} {what}, got {got}.")
    return list(items)


class Parallel(Layer):
    """Apply the i-th layer to the i-th of a list of inputs (branches after `FanOut`)."""

    layers: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "layers", _layers("parallel", self.layers))

    def init(self, key, input_shapes):
        shapes = _check_list("parallel", "input shapes", input_shapes, len(self.layers))
        keys = jax.random.split(key, max(len(self.layers), 1))
        outs = [layer.init(k, s) for layer, k, s in zip(self.layers, keys, shapes)]
        return [o[0] for o in outs], tuple(o[1] for o in outs)

    def apply(self, params, inputs, **kwargs):
        xs = _check_list("parallel", "inputs", inputs, len(self.layers))
        return [layer.apply(p, x, **kwargs) for layer, p, x in zip(self.layers, params, xs)]

    def output_shape(self, input_shapes):
        shapes = _check_list("parallel", "input shapes", input_shapes, len(self.layers))
        return [layer.output_shape(s) for layer, s in zip(self.layers, shapes)]

    def input_form(self, output_form):
        forms = output_form if isinstance(output_form, list) else [output_form] * len(self.layers)
        return [layer.input_form(f) for layer, f in zip(self.layers, forms)]

    def input_axes(self):
        axes = [layer.input_axes() for layer in self.layers]
        return None if all(a is None for a in axes) else axes

    def spatially_white(self, input_white):
        flags = input_white if isinstance(input_white, list) else [input_white] * len(self.layers)
        return [layer.spatially_white(f) for layer, f in zip(self.layers, flags)]

    def transform(self, ks):
        ks = _check_list("parallel", "kernels", ks, len(self.layers))
        return [layer.transform(k) for layer, k in zip(self.layers, ks)]

    rule = transform


def parallel(*layers: Any) -> Parallel:
    """Apply layers to the branches of a list of inputs (neural-tangents' ``stax.parallel``)."""
    return Parallel(tuple(layers))


class FanOut(Layer):
    """Copy the input into ``num`` branches."""

    num: int = static()

    def __post_init__(self):
        object.__setattr__(self, "num", check_int("num", self.num, minimum=1))

    def init(self, key, input_shape):
        return self.output_shape(input_shape), ()

    def apply(self, params, inputs, **kwargs):
        return [inputs] * self.num

    def output_shape(self, input_shape):
        return [input_shape] * self.num

    def input_form(self, output_form):
        return richer(*output_form) if isinstance(output_form, list) else output_form

    def input_axes(self):
        return None

    def spatially_white(self, input_white):
        return [input_white] * self.num

    def rule(self, k):
        return [k] * self.num

    def transform(self, k):
        return self.rule(k)


def _branches(name: str, items: Any) -> list:
    if not isinstance(items, (list, tuple)) or len(items) == 0:
        raise ValueError(f"{name}: expects a non-empty list of branches (use FanOut and parallel), "
                         f"got {type(items).__name__}.")
    return list(items)


def _same_shapes(name: str, shapes: list) -> None:
    if any(tuple(s) != tuple(shapes[0]) for s in shapes[1:]):
        raise ValueError(f"{name}: all branches must have the same shape, got {[tuple(s) for s in shapes]}.")


def _same_form(ks: list[Kernel]) -> list[Kernel]:
    """Branch kernels in one spatial form (the diagonal if any branch has only that)."""
    if any(k.diagonal_spatial for k in ks if k.spatial_ndim) and not all(
        k.diagonal_spatial for k in ks if k.spatial_ndim
    ):
        return [take_spatial_diagonal(k) for k in ks]
    return ks


class _FanIn(Layer):
    """Shared parts of the fan-in layers: a list of same-shaped branches in, one out."""

    def init(self, key, input_shapes):
        return self.output_shape(input_shapes), ()

    def output_shape(self, input_shapes):
        shapes = _branches(type(self).__name__, input_shapes)
        _same_shapes(type(self).__name__, shapes)
        return shapes[0]

    def input_form(self, output_form):
        return output_form

    def _kernels(self, ks) -> list[Kernel]:
        ks = _branches(type(self).__name__, ks)
        if not all(isinstance(k, Kernel) for k in ks):
            raise ValueError(f"{type(self).__name__}: expects one kernel per branch.")
        _same_shapes(type(self).__name__, [k.shape1 for k in ks])
        return _same_form(ks)


class FanInSum(_FanIn):
    """Sum the branches (residual connections)."""

    def spatially_white(self, input_white):
        return all(input_white) if isinstance(input_white, list) else bool(input_white)

    def apply(self, params, inputs, **kwargs):
        xs = _branches("FanInSum", inputs)
        _same_shapes("FanInSum", [x.shape for x in xs])
        return functools.reduce(operator.add, xs)

    def rule(self, ks):
        ks = self._kernels(ks)
        if sum(not k.is_gaussian for k in ks) > 1:
            raise ValueError(
                "FanInSum: all branches but one must end in an affine layer (a centred Gaussian) "
                f"for the kernels to add; got is_gaussian={[k.is_gaussian for k in ks]}."
            )
        return ks[0].replace(
            nngp=sum(k.nngp for k in ks), ntk=sum(k.ntk for k in ks),
            cov1=sum(k.cov1 for k in ks), cov2=sum(k.cov2 for k in ks),
            is_gaussian=all(k.is_gaussian for k in ks), is_input=False,
        )


class FanInProd(_FanIn):
    """Multiply the branches elementwise."""

    def apply(self, params, inputs, **kwargs):
        xs = _branches("FanInProd", inputs)
        _same_shapes("FanInProd", [x.shape for x in xs])
        return functools.reduce(operator.mul, xs)

    def input_form(self, output_form):
        # a product of position-wise covariances does not commute with averaging positions
        return "diagonal" if output_form == "flat" else output_form

    def rule(self, ks):
        ks = self._kernels(ks)
        nngp, ntk = ks[0].nngp, ks[0].ntk
        for k in ks[1:]:  # product rule, one factor at a time
            nngp, ntk = nngp * k.nngp, ntk * k.nngp + nngp * k.ntk
        return ks[0].replace(
            nngp=nngp, ntk=ntk,
            cov1=functools.reduce(operator.mul, [k.cov1 for k in ks]),
            cov2=functools.reduce(operator.mul, [k.cov2 for k in ks]),
            is_gaussian=len(ks) == 1 and ks[0].is_gaussian, is_input=False,
        )


class FanInConcat(Layer):
    """Concatenate the branches along ``axis`` (an axis of the finite activations).

    Along the channel axis the kernel the next dense or convolutional layer sees is the
    channel-weighted mean of the branch kernels; along a spatial axis the branch kernels are
    placed side by side (positions of different branches are uncorrelated).

    After a channel concatenation the channels are no longer exchangeable (the first n₁ have
    kernel K₁, the others K₂), so an activation cannot act on the mean kernel: φ applied
    channel by channel gives the mean of T(K_i), not T of the mean. As in neural-tangents the
    result is therefore marked non-Gaussian (an affine layer must come next). A spatial
    concatenation keeps i.i.d. channels and stays Gaussian when every branch is.
    """

    axis: int = static(-1)

    def __post_init__(self):
        object.__setattr__(self, "axis", check_int("axis", self.axis))

    def init(self, key, input_shapes):
        return self.output_shape(input_shapes), ()

    def _axis(self, shapes: list) -> int:
        ndim = len(tuple(shapes[0]))
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"FanInConcat: `axis={self.axis}` is out of range for shapes {shapes}.")
        ax = self.axis % ndim
        if any(len(tuple(s)) != ndim or tuple(s)[:ax] + tuple(s)[ax + 1:] != tuple(shapes[0])[:ax]
               + tuple(shapes[0])[ax + 1:] for s in shapes):
            raise ValueError(
                f"FanInConcat: branches must agree on all but axis {self.axis}, got "
                f"{[tuple(s) for s in shapes]}."
            )
        return ax

    def output_shape(self, input_shapes):
        shapes = [tuple(s) for s in _branches("FanInConcat", input_shapes)]
        ax = self._axis(shapes)
        return shapes[0][:ax] + (sum(s[ax] for s in shapes),) + shapes[0][ax + 1:]

    def apply(self, params, inputs, **kwargs):
        xs = _branches("FanInConcat", inputs)
        self._axis([x.shape for x in xs])
        return jnp.concatenate(xs, axis=self.axis)

    def input_form(self, output_form):
        # channel concatenation commutes with averaging positions; spatial needs positions
        return output_form

    def rule(self, ks):
        ks = _same_form(_branches("FanInConcat", ks))
        ax = self._axis([k.shape1 for k in ks])
        k0 = ks[0]
        ndim = len(k0.shape1)
        if ax == k0.batch_axis % ndim:
            raise ValueError("FanInConcat: concatenating along the batch axis has no kernel.")
        gaussian = all(k.is_gaussian for k in ks)
        if ax == k0.channel_axis % ndim:
            widths = [k.shape1[ax] for k in ks]
            total = sum(widths)

            def mean(field: str):
                return sum((w / total) * getattr(k, field) for w, k in zip(widths, ks))

            return k0.replace(nngp=mean("nngp"), ntk=mean("ntk"), cov1=mean("cov1"),
                              cov2=mean("cov2"), is_gaussian=False, is_input=False)
        spatial = [a for a in range(ndim) if a not in (k0.batch_axis % ndim, k0.channel_axis % ndim)]
        p = spatial.index(ax)
        if k0.spatial_ndim == 0:
            raise ValueError("FanInConcat: concatenation along a spatial axis needs a spatial kernel.")
        return k0.replace(
            nngp=_concat_spatial([k.nngp for k in ks], 2, p, k0.diagonal_spatial),
            ntk=_concat_spatial([k.ntk for k in ks], 2, p, k0.diagonal_spatial),
            cov1=_concat_spatial([k.cov1 for k in ks], 1, p, k0.diagonal_spatial),
            cov2=_concat_spatial([k.cov2 for k in ks], 1, p, k0.diagonal_spatial),
            is_gaussian=gaussian, is_input=False,
        )


def _concat_spatial(arrays: list, batch_ndim: int, p: int, diagonal_spatial: bool):
    """Concatenate kernels along spatial axis p: side by side on the diagonal, block
    diagonal (zeros between branches) for a full spatial covariance."""
    if diagonal_spatial:
        return jnp.concatenate(arrays, axis=batch_ndim + p)
    a1, a2 = batch_ndim + 2 * p, batch_ndim + 2 * p + 1
    sizes = [a.shape[a1] for a in arrays]
    total, start, blocks = sum(sizes), 0, []
    for a, size in zip(arrays, sizes):
        pad = [(0, 0)] * a.ndim
        pad[a2] = (start, total - start - size)
        blocks.append(jnp.pad(a, pad))
        start += size
    return jnp.concatenate(blocks, axis=a1)
