"""Position-wise layers: `Dense` (on the channel axis), `Identity`, `LayerNorm`.

Dense, finite network (neural-tangents' conventions, see docs/theory/conventions.md), input
channels n, acting on the channel axis at every spatial position:

* ``parameterization='ntk'``:      y = (W_std/√n)·W x + b_std·b,   W, b ~ N(0, 1);
* ``parameterization='standard'``: y = W x/√s₀ + b,  W ~ N(0, W_std²·s₀/n), b ~ N(0, b_std²).

Kernel, entry by entry (every pair of positions), with nngp' = W_std²·nngp + b_std² in both:

* ntk:      ntk' = nngp' + W_std²·ntk                       (Jacot et al. 2018);
* standard: ntk' = (n/s₀)·nngp + W_std²·ntk + [b_std given]  (Sohl-Dickstein et al. 2020,
  arXiv:2001.07301), so the standard NTK depends on the declared widths.
"""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .._struct import static
from .._validation import check_choice, check_float, check_hyper, check_int
from ._kernel import Kernel, expand_pair, expand_self, position_variances, spatial_diagonal
from ._layer import Layer, check_input_shape


def canonical_axes(name: str, ndim: int, batch_axis: int, channel_axis: int) -> tuple[int, int]:
    """(batch_axis, channel_axis) as non-negative indices for ``ndim``-d activations."""
    for arg, ax in (("batch_axis", batch_axis), ("channel_axis", channel_axis)):
        if not -ndim <= ax < ndim:
            raise ValueError(f"{name}: `{arg}={ax}` is out of range for {ndim}-d inputs.")
    b, c = batch_axis % ndim, channel_axis % ndim
    if b == c:
        raise ValueError(f"{name}: `batch_axis` and `channel_axis` must differ, got {batch_axis}, {channel_axis}.")
    return b, c


def check_layout(name: str, k: Kernel, batch_axis: int, channel_axis: int) -> tuple[int, int]:
    """The layer's axes must be those of the activations it receives (as in neural-tangents)."""
    ndim = len(k.shape1)
    b, c = canonical_axes(name, ndim, batch_axis, channel_axis)
    kb, kc = k.batch_axis % ndim, k.channel_axis % ndim
    if (b, c) != (kb, kc):
        raise ValueError(
            f"{name}: expects batch_axis={b}, channel_axis={c} of its {ndim}-d inputs, but the "
            f"activations it receives have batch_axis={kb}, channel_axis={kc} "
            f"(shape {k.shape1}); set the layer's axes to match."
        )
    return b, c


def check_axis_arg(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: axes must be ints, got {value!r}.")
    return value


def check_axis_pair(name: str, batch_axis: Any, channel_axis: Any) -> None:
    """Both axes are ints, and not visibly the same axis (e.g. both 0)."""
    check_axis_arg(name, batch_axis)
    check_axis_arg(name, channel_axis)
    if batch_axis == channel_axis:
        raise ValueError(f"{name}: `channel_axis={channel_axis}` is the batch axis; they must differ.")


class Dense(Layer):
    """Fully connected layer on the channel axis; see the module docstring for the maps.

    Args:
      out_dim: output channels (> 0). Ignored by the kernel under the NTK parameterization.
      W_std: weight standard deviation σ_W ≥ 0 (may be traced).
      b_std: bias standard deviation σ_b ≥ 0 (may be traced), or ``None`` for no bias.
      batch_axis, channel_axis: the axes of the activations (any layout, e.g. ``channel_axis=1``
        for neural-tangents' 'NC' or 'NCHW' layouts); every other axis is spatial.
      parameterization: ``'ntk'`` or ``'standard'``.
      s: width scalings (s₀, s₁) of the standard parameterization: W has shape
        (fan_in, s₁·out_dim) and the layer divides by √s₀ (arXiv:2001.07301).

    Example:
      >>> import jax, jax.numpy as jnp
      >>> from widenets import stax
      >>> k = stax.Dense(8, W_std=2.0, b_std=0.5).kernel_fn(jnp.eye(2), get="nngp")
      >>> k.tolist()  # W_std² · x xᵀ/d + b_std²
      [[2.25, 0.25], [0.25, 2.25]]
    """

    out_dim: int = static()
    W_std: Any = 1.0
    b_std: Any = None
    batch_axis: int = static(0)
    channel_axis: int = static(-1)
    parameterization: str = static("ntk")
    s: tuple = static((1, 1))

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "out_dim", check_int("out_dim", self.out_dim, minimum=1))
        set_(self, "W_std", check_hyper("W_std", self.W_std, nonnegative=True))
        set_(self, "b_std", check_hyper("b_std", self.b_std, nonnegative=True, optional=True))
        set_(self, "parameterization", check_choice("parameterization", self.parameterization, ("ntk", "standard")))
        check_axis_pair("Dense", self.batch_axis, self.channel_axis)
        if not (isinstance(self.s, (tuple, list)) and len(self.s) == 2):
            raise TypeError(f"Dense: `s` must be a pair of positive ints, got {self.s!r}.")
        set_(self, "s", tuple(check_int("s", v, minimum=1) for v in self.s))

    @property
    def width_out(self) -> int:
        return self.out_dim * (self.s[1] if self.parameterization == "standard" else 1)

    def output_shape(self, input_shape):
        shape = check_input_shape("Dense", input_shape)
        _, c = canonical_axes("Dense", len(shape), self.batch_axis, self.channel_axis)
        return shape[:c] + (self.width_out,) + shape[c + 1:]

    def init(self, key, input_shape):
        out_shape = self.output_shape(input_shape)
        shape = tuple(input_shape)
        _, c = canonical_axes("Dense", len(shape), self.batch_axis, self.channel_axis)
        fan_in = shape[c]
        k_w, k_b = jax.random.split(key)
        W = jax.random.normal(k_w, (fan_in, self.width_out))
        b = None
        if self.b_std is not None:
            b_shape = [1] * len(shape)
            b_shape[c] = self.width_out
            b = jax.random.normal(k_b, tuple(b_shape))
        if self.parameterization == "standard":
            W = W * (self.W_std / math.sqrt(fan_in / self.s[0]))
            b = None if b is None else b * self.b_std
        return out_shape, (W, b)

    def apply(self, params, inputs, **kwargs):
        W, b = params
        _, c = canonical_axes("Dense", inputs.ndim, self.batch_axis, self.channel_axis)
        if inputs.shape[c] != W.shape[0]:
            raise ValueError(
                f"Dense: `inputs` have {inputs.shape[c]} channels on axis {c} but the parameters "
                f"expect {W.shape[0]} (inputs of shape {inputs.shape})."
            )
        if c == inputs.ndim - 1:
            prod = inputs @ W
        else:
            prod = jnp.moveaxis(jnp.tensordot(inputs, W, (c, 0)), -1, c)
        if self.parameterization == "standard":
            out = prod / math.sqrt(self.s[0])
            return out if b is None else out + b
        out = (self.W_std / math.sqrt(inputs.shape[c])) * prod
        return out if b is None else out + self.b_std * b

    def input_axes(self):
        return (self.batch_axis, self.channel_axis)

    def rule(self, k: Kernel) -> Kernel:
        _, c = check_layout("Dense", k, self.batch_axis, self.channel_axis)
        w_var = self.W_std**2
        b_var = 0.0 if self.b_std is None else self.b_std**2

        def affine(t):
            return w_var * t + b_var

        nngp = affine(k.nngp)
        if self.parameterization == "standard":
            fan_in = k.shape1[c] / self.s[0]
            ntk = fan_in * k.nngp + w_var * k.ntk + (0.0 if self.b_std is None else 1.0)
        else:
            ntk = nngp + w_var * k.ntk
        return k.replace(nngp=nngp, ntk=ntk, cov1=affine(k.cov1), cov2=affine(k.cov2),
                         is_gaussian=True, is_input=False)


class Identity(Layer):
    """The identity map; leaves activations and kernels unchanged."""

    def init(self, key, input_shape):
        return input_shape, ()

    def output_shape(self, input_shape):
        return input_shape

    def apply(self, params, inputs, **kwargs):
        return inputs

    def input_form(self, output_form):
        return output_form

    def spatially_white(self, input_white):
        return input_white

    def rule(self, k):
        return k


def _as_axes(axis: Any) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, int) and not isinstance(axis, bool) else axis
    if not isinstance(axes, (tuple, list)) or not axes or not all(
        isinstance(a, int) and not isinstance(a, bool) for a in axes
    ):
        raise TypeError(f"LayerNorm: `axis` must be an int or a non-empty tuple of ints, got {axis!r}.")
    return tuple(axes)


class LayerNorm(Layer):
    """Layer normalisation: y = (x − mean(x)) / sqrt(var(x) + eps), over the axes ``axis``.

    ``axis`` must contain the channel axis (over which the infinite-width mean vanishes and
    the variance converges), and may contain spatial axes, never the batch axis. For
    Gaussian inputs each entry is normalised by the variances averaged over the normalised
    spatial axes (as in neural-tangents): nngp'[s, s'] = nngp[s, s'] / √((eps + v̄1(s))(eps +
    v̄2(s'))), with v̄ the per-position variance averaged over the spatial axes in ``axis``.
    """

    axis: Any = static(-1)
    eps: float = static(1e-12)
    batch_axis: int = static(0)
    channel_axis: int = static(-1)

    def __post_init__(self):
        object.__setattr__(self, "axis", _as_axes(self.axis))
        object.__setattr__(self, "eps", check_float("eps", self.eps, nonnegative=True))
        check_axis_pair("LayerNorm", self.batch_axis, self.channel_axis)

    def init(self, key, input_shape):
        return self.output_shape(input_shape), ()

    def output_shape(self, input_shape):
        return check_input_shape("LayerNorm", input_shape)

    def apply(self, params, inputs, **kwargs):
        axes = tuple(a % inputs.ndim for a in self.axis)
        mean = jnp.mean(inputs, axis=axes, keepdims=True)
        var = jnp.var(inputs, axis=axes, keepdims=True)
        return (inputs - mean) / jnp.sqrt(self.eps + var)

    def input_axes(self):
        return (self.batch_axis, self.channel_axis)

    def rule(self, k: Kernel) -> Kernel:
        b, c = check_layout("LayerNorm", k, self.batch_axis, self.channel_axis)
        ndim = len(k.shape1)
        axes = {a % ndim for a in self.axis}
        if c not in axes:
            raise ValueError(
                f"LayerNorm: `axis` must include the channel axis {c} (normalising over channels is "
                f"what has an infinite-width limit), got axis={self.axis}."
            )
        if b in axes:
            raise ValueError("LayerNorm: normalising over the batch axis has no per-example kernel; "
                             "remove the batch axis from `axis`.")
        if not k.is_gaussian:
            raise ValueError(
                "LayerNorm: the kernel is only known for Gaussian inputs; put an affine layer "
                "(e.g. Dense) before LayerNorm."
            )
        spatial = [a for a in range(ndim) if a not in (b, c)]
        mean_over = tuple(1 + spatial.index(a) for a in sorted(axes - {c}))
        if mean_over and k.spatial_ndim == 0:
            raise ValueError("LayerNorm: spatial axes in `axis` need a spatial kernel (no Flatten before).")
        eps = self.eps

        def averaged(v):
            return jnp.mean(v, axis=mean_over, keepdims=True) if mean_over else v

        v1, v2 = (averaged(v) + eps for v in position_variances(k))
        q1, q2 = expand_pair(v1, v2, k.diagonal_spatial)
        scale = 1 / (jnp.sqrt(q1) * jnp.sqrt(q2))

        def self_scale(cov):
            v = averaged(spatial_diagonal(cov, 1, k.diagonal_spatial)) + eps
            qa, qb = expand_self(jnp.broadcast_to(v, spatial_diagonal(cov, 1, k.diagonal_spatial).shape),
                                 k.diagonal_spatial)
            return cov / (jnp.sqrt(qa) * jnp.sqrt(qb))

        return k.replace(nngp=k.nngp * scale, ntk=k.ntk * scale, cov1=self_scale(k.cov1),
                         cov2=self_scale(k.cov2))
