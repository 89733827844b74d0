"""Pooling and readouts of spatial activations: `AvgPool`, `SumPool`, `GlobalAvgPool`,
`GlobalSumPool`, `Flatten`.

Pooling is linear and parameter-free, so its kernel is the pooling of the covariance in
each argument separately (Novak et al. 2019, arXiv:1810.05148, §3.1): for a window of f
positions with stride s,

    SumPool: K'[h, h'] = Σ_{a<f} Σ_{b<f} K_pad[s·h + a, s·h' + b],   AvgPool: the same / f²

(or / (count(h)·count(h')) with ``normalize_edges`` under 'SAME' padding, the number of
positions of each window inside the input). It needs the full spatial covariance: the
positions of the two arguments differ. Global pooling averages (sums) the covariance over
all pairs of positions; `Flatten` followed by a dense layer sees only the spatial
**diagonal**, averaged: K' = (1/|S|) Σ_s K[s, s] — which is why a Flatten readout needs
O(|S|) kernel entries per pair of inputs and a global-pooling readout O(|S|²) (the CNN-GP
without and with pooling of Novak et al. 2019).
"""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .._struct import static
from .._validation import check_choice, check_int
from ._kernel import Kernel, spatial_diagonal
from ._layer import Layer, check_input_shape
from ._linear import canonical_axes, check_axis_arg, check_axis_pair, check_layout
from ._spatial_ops import PADDINGS, out_size, window_sum


def _spatial_axes(ndim: int, batch_axis: int, channel_axis: int) -> list[int]:
    return [a for a in range(ndim) if a not in (batch_axis, channel_axis)]


class _Pool(Layer):
    """Shared implementation of `AvgPool` and `SumPool`."""

    _average = True

    window_shape: tuple = static()
    strides: Any = static(None)
    padding: str = static("VALID")

    def _validate(self):
        set_ = object.__setattr__
        if not isinstance(self.window_shape, (tuple, list)) or not self.window_shape:
            raise TypeError(f"`window_shape` must be a non-empty tuple of ints, got {self.window_shape!r}.")
        window = tuple(check_int("window_shape", w, minimum=1) for w in self.window_shape)
        set_(self, "window_shape", window)
        if self.strides is None:
            strides = (1,) * len(window)
        else:
            if not isinstance(self.strides, (tuple, list)) or len(self.strides) != len(window):
                raise ValueError(f"`strides` must have one entry per window axis ({len(window)}), got {self.strides!r}.")
            strides = tuple(check_int("strides", s, minimum=1) for s in self.strides)
        set_(self, "strides", strides)
        if not isinstance(self.padding, str):
            raise TypeError(f"`padding` must be one of {PADDINGS}, got {self.padding!r}.")
        set_(self, "padding", check_choice("padding", self.padding.lower(), tuple(p.lower() for p in PADDINGS)).upper())
        check_axis_pair(type(self).__name__, self.batch_axis, self.channel_axis)

    def _axes(self, shape: tuple[int, ...]) -> list[int]:
        name = type(self).__name__
        b, c = canonical_axes(name, len(shape), self.batch_axis, self.channel_axis)
        spatial = _spatial_axes(len(shape), b, c)
        if len(spatial) != len(self.window_shape):
            raise ValueError(
                f"{name}: `window_shape` {self.window_shape} has {len(self.window_shape)} axes but the "
                f"inputs of shape {shape} have {len(spatial)} spatial axes."
            )
        for ax, w in zip(spatial, self.window_shape):
            if self.padding == "VALID" and w > shape[ax]:
                raise ValueError(
                    f"{name}: `window_shape` {self.window_shape} is larger than the input (axis {ax} of "
                    f"size {shape[ax]}) under 'VALID' padding."
                )
        return spatial

    def output_shape(self, input_shape):
        shape = check_input_shape(type(self).__name__, input_shape)
        out = list(shape)
        for ax, w, s in zip(self._axes(shape), self.window_shape, self.strides):
            out[ax] = out_size(self.padding, shape[ax], w, s)
        return tuple(out)

    def init(self, key, input_shape):
        return self.output_shape(input_shape), ()

    def input_axes(self):
        return (self.batch_axis, self.channel_axis)

    def input_form(self, output_form):
        return "full"

    def _normalize_edges(self) -> bool:
        return False

    def apply(self, params, inputs, **kwargs):
        spatial = self._axes(tuple(inputs.shape))
        x = inputs
        for ax, w, s in zip(spatial, self.window_shape, self.strides):
            x = window_sum(x, ax, w, s, self.padding)
        if not self._average:
            return x
        if self._normalize_edges() and self.padding == "SAME":
            counts = jnp.ones(tuple(inputs.shape[a] for a in spatial), inputs.dtype)
            for p, (w, s) in enumerate(zip(self.window_shape, self.strides)):
                counts = window_sum(counts, p, w, s, "SAME")
            shape = [1] * x.ndim
            for p, ax in enumerate(spatial):
                shape[ax] = counts.shape[p]
            return x / counts.reshape(shape)
        return x / math.prod(self.window_shape)

    def _counts(self, sizes: tuple[int, ...]) -> list[jax.Array] | None:
        """Per spatial axis, the number of positions of each window inside the input."""
        if not (self._average and self._normalize_edges() and self.padding == "SAME"):
            return None
        return [window_sum(jnp.ones((n,)), 0, w, s, "SAME") for n, w, s in zip(sizes, self.window_shape, self.strides)]

    def rule(self, k: Kernel) -> Kernel:
        name = type(self).__name__
        b, c = check_layout(name, k, self.batch_axis, self.channel_axis)
        spatial = self._axes(tuple(k.shape1))
        if k.spatial_ndim != len(spatial):
            raise ValueError(f"{name}: the input kernel has no spatial axes to pool (after Flatten?).")
        if k.diagonal_spatial:
            raise ValueError(f"{name}: pooling needs the full spatial covariance, got its diagonal only.")
        sizes = tuple(k.shape1[a] for a in spatial)
        counts = self._counts(sizes)

        def pool(x, batch_ndim):
            for p, (w, s) in enumerate(zip(self.window_shape, self.strides)):
                for j in (0, 1):
                    x = window_sum(x, batch_ndim + 2 * p + j, w, s, self.padding)
            if not self._average:
                return x
            if counts is None:
                return x / math.prod(self.window_shape) ** 2
            for p, cnt in enumerate(counts):
                for j in (0, 1):
                    ax = batch_ndim + 2 * p + j
                    shape = [1] * x.ndim
                    shape[ax] = cnt.shape[0]
                    x = x / cnt.astype(x.dtype).reshape(shape)
            return x

        nngp = pool(k.nngp, 2)
        ntk = jnp.zeros_like(nngp) if k.is_input else pool(k.ntk, 2)  # raw inputs' NTK is 0
        return k.replace(nngp=nngp, ntk=ntk, cov1=pool(k.cov1, 1), cov2=pool(k.cov2, 1))


_POOL_ARGS = """
    Args:
      window_shape: window size per spatial axis (in the order of the input's spatial axes).
      strides: stride per spatial axis; default 1 (as in neural-tangents).
      padding: 'VALID', 'SAME' or 'CIRCULAR'.
      batch_axis, channel_axis: the axes of the activations; all others are spatial.
"""


class AvgPool(_Pool):
    __doc__ = """Average pooling (module docstring).""" + _POOL_ARGS + """
      normalize_edges: under 'SAME' padding divide by the number of positions of each window
        inside the input rather than by the window size (as `jax.example_libraries.stax.AvgPool`).
    """
    _average = True

    window_shape: tuple = static()
    strides: Any = static(None)
    padding: str = static("VALID")
    normalize_edges: bool = static(False)
    batch_axis: int = static(0)
    channel_axis: int = static(-1)

    def __post_init__(self):
        self._validate()
        if not isinstance(self.normalize_edges, bool):
            raise TypeError(f"`normalize_edges` must be a bool, got {self.normalize_edges!r}.")

    def _normalize_edges(self) -> bool:
        return self.normalize_edges


class SumPool(_Pool):
    __doc__ = """Sum pooling (module docstring).""" + _POOL_ARGS
    _average = False

    window_shape: tuple = static()
    strides: Any = static(None)
    padding: str = static("VALID")
    batch_axis: int = static(0)
    channel_axis: int = static(-1)

    def __post_init__(self):
        self._validate()


class _GlobalPool(Layer):
    """Shared implementation of `GlobalAvgPool` and `GlobalSumPool`."""

    _average = True

    batch_axis: int = static(0)
    channel_axis: int = static(-1)

    def __post_init__(self):
        check_axis_pair(type(self).__name__, self.batch_axis, self.channel_axis)

    def output_shape(self, input_shape):
        shape = check_input_shape(type(self).__name__, input_shape)
        b, c = canonical_axes(type(self).__name__, len(shape), self.batch_axis, self.channel_axis)
        return tuple(shape[a] for a in sorted((b, c)))

    def init(self, key, input_shape):
        return self.output_shape(input_shape), ()

    def apply(self, params, inputs, **kwargs):
        b, c = canonical_axes(type(self).__name__, inputs.ndim, self.batch_axis, self.channel_axis)
        axes = tuple(_spatial_axes(inputs.ndim, b, c))
        return jnp.mean(inputs, axis=axes) if self._average else jnp.sum(inputs, axis=axes)

    def input_axes(self):
        return (self.batch_axis, self.channel_axis)

    def input_form(self, output_form):
        return "full"

    def rule(self, k: Kernel) -> Kernel:
        name = type(self).__name__
        b, c = check_layout(name, k, self.batch_axis, self.channel_axis)
        if k.spatial_ndim and k.diagonal_spatial:
            raise ValueError(f"{name}: global pooling needs the full spatial covariance, got its diagonal only.")

        def pool(x, batch_ndim):
            axes = tuple(range(batch_ndim, x.ndim))
            return jnp.mean(x, axis=axes) if self._average else jnp.sum(x, axis=axes)

        return k.replace(nngp=pool(k.nngp, 2), ntk=pool(k.ntk, 2), cov1=pool(k.cov1, 1), cov2=pool(k.cov2, 1),
                         batch_axis=0 if b < c else 1, channel_axis=1 if b < c else 0)


class GlobalAvgPool(_GlobalPool):
    """Average over all spatial axes (removing them): y[n, c] = mean_s x[n, s, c]."""

    _average = True


class GlobalSumPool(_GlobalPool):
    """Sum over all spatial axes (removing them): y[n, c] = Σ_s x[n, s, c]."""

    _average = False


class Flatten(Layer):
    """Flatten all non-batch axes into one channel axis (neural-tangents' ``Flatten``).

    The kernel seen by the next (dense) layer is the spatial average of the diagonal,
    (1/|S|) Σ_s K[s, s] (module docstring), so only the spatial diagonal is needed. The
    flattened features of a spatial activation are not exchangeable (positions differ), so an
    activation cannot follow directly (``is_gaussian`` becomes False; put `Dense` first).

    Args:
      batch_axis: the input's batch axis.
      batch_axis_out: 0 (output (batch, features)) or 1 (output (features, batch)).
    """

    batch_axis: int = static(0)
    batch_axis_out: int = static(0)

    def __post_init__(self):
        check_axis_arg("Flatten", self.batch_axis)
        if self.batch_axis_out not in (0, 1, -1, -2):
            raise ValueError(f"Flatten: `batch_axis_out` must be 0 or 1, got {self.batch_axis_out!r}.")
        object.__setattr__(self, "batch_axis_out", self.batch_axis_out % 2)

    def output_shape(self, input_shape):
        shape = check_input_shape("Flatten", input_shape)
        b = self.batch_axis % len(shape)
        rest = math.prod(shape[:b] + shape[b + 1:])
        return (shape[b], rest) if self.batch_axis_out == 0 else (rest, shape[b])

    def init(self, key, input_shape):
        return self.output_shape(input_shape), ()

    def apply(self, params, inputs, **kwargs):
        b = self.batch_axis % inputs.ndim
        x = jnp.moveaxis(inputs, b, 0).reshape(inputs.shape[b], -1)
        return x if self.batch_axis_out == 0 else x.T

    def input_form(self, output_form):
        return "flat"

    def input_axes(self):
        return None if self.batch_axis == 0 else (self.batch_axis, None)

    def rule(self, k: Kernel) -> Kernel:
        ndim = len(k.shape1)
        if self.batch_axis % ndim != k.batch_axis % ndim:
            raise ValueError(
                f"Flatten: `batch_axis={self.batch_axis}` but the activations it receives have their "
                f"batch axis at {k.batch_axis % ndim} (shape {k.shape1})."
            )
        out_axes = dict(batch_axis=self.batch_axis_out, channel_axis=1 - self.batch_axis_out)
        if k.spatial_ndim == 0:
            return k.replace(**out_axes)

        def trace(x, batch_ndim):
            return jnp.mean(spatial_diagonal(x, batch_ndim, k.diagonal_spatial), axis=tuple(range(batch_ndim, batch_ndim + k.spatial_ndim)))

        return k.replace(nngp=trace(k.nngp, 2), ntk=trace(k.ntk, 2), cov1=trace(k.cov1, 1),
                         cov2=trace(k.cov2, 1), is_gaussian=False, diagonal_spatial=False, **out_axes)

