"""Convolutions: `Conv`, `ConvTranspose`, `ConvLocal` (1-D, 2-D, 3-D, …).

Finite network (neural-tangents' conventions): with C input channels and a filter of
|F| = Π filter_shape offsets, fan_in = C·|F| and

* ``parameterization='ntk'``: y = (W_std/√fan_in)·conv(x, W) + b_std·b, W, b ~ N(0, 1);
* ``'standard'``: y = conv(x, W)/√s₀ + b, W ~ N(0, W_std²·s₀/fan_in), b ~ N(0, b_std²).

`Conv` shares W over positions (`jax.lax.conv_general_dilated`), `ConvTranspose` is its
transpose (`jax.lax.conv_transpose`), `ConvLocal` has separate weights and biases at every
output position (`jax.lax.conv_general_dilated_local`, "locally connected" networks).

Kernel (Novak et al. 2019, arXiv:1810.05148, §2.2; Garriga-Alonso et al. 2019,
arXiv:1808.05587; Arora et al. 2019, arXiv:1904.11955 for the NTK): with 𝒜 the
operator averaging the input covariance over the filter's offsets, applied to both positions
at once (`_spatial_ops.diagonal_window_sum` / |F|),

    nngp' = W_std²·𝒜(nngp) + b_std²,   ntk' = nngp' + W_std²·𝒜(ntk)                (ntk),
    ntk'  = (fan_in/s₀)·𝒜(nngp) + W_std²·𝒜(ntk) + [b_std given]               (standard).

For `ConvLocal` the weights of different output positions are independent, so every
covariance between two different output positions is 0 and only the spatial diagonal of 𝒜
remains (biases too are per position). For `ConvTranspose`, 𝒜 acts on the input covariance
dilated by the strides (zeros in between), with the padding of `jax.lax.conv_transpose`.

Padding: 'VALID', 'SAME' (zeros), 'CIRCULAR' (periodic: the input is wrapped around, and the
transposed convolution's overhang is folded back onto its 'SAME' output).
"""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .._struct import static
from .._validation import check_choice, check_hyper, check_int
from ._kernel import Kernel, spatial_diagonal
from ._layer import Layer, check_input_shape
from ._spatial_ops import (
    PADDINGS, diagonal_window_sum, dilate, embed_diagonal, fold, same_pads,
    transpose_pads, window_sum,
)

_SPATIAL_LETTERS = "DHW"
_MORE_LETTERS = "ABEFGJKLMPQRSTUVXYZ"


def default_dimension_numbers(n: int) -> tuple[str, str, str]:
    """NT's default layout for n spatial axes: channels last, e.g. ('NHWC', 'HWIO', 'NHWC')."""
    sp = _SPATIAL_LETTERS[-n:] if n <= 3 else _MORE_LETTERS[:n]
    return ("N" + sp + "C", sp + "IO", "N" + sp + "C")


def _check_tuple(name: str, value: Any, n: int | None, minimum: int) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a tuple of ints (one per spatial axis), got {value!r}.")
    if not isinstance(value, (tuple, list)) or not value:
        raise TypeError(f"`{name}` must be a non-empty tuple of ints, got {value!r}.")
    out = tuple(check_int(name, v, minimum=minimum) for v in value)
    if n is not None and len(out) != n:
        raise ValueError(f"`{name}` must have one entry per spatial axis ({n}), got {value!r}.")
    return out


def _check_dimension_numbers(value: Any, n: int) -> tuple[str, str, str]:
    if value is None:
        return default_dimension_numbers(n)
    if not (isinstance(value, (tuple, list)) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        raise TypeError(f"`dimension_numbers` must be three strings (lhs, rhs, out), got {value!r}.")
    lhs, rhs, out = (v.upper() for v in value)
    sp = sorted(c for c in lhs if c not in "NC")
    ok = (
        len(lhs) == n + 2 and sorted(lhs) == sorted("NC" + "".join(sp))
        and sorted(rhs) == sorted("IO" + "".join(sp)) and sorted(out) == sorted(lhs)
        and len(set(lhs)) == len(lhs)
    )
    if not ok:
        raise ValueError(
            f"`dimension_numbers` {value!r} must name N, C and the same {n} spatial letters in lhs "
            f"and out, and O, I and those letters in rhs (e.g. ('NHWC', 'HWIO', 'NHWC'))."
        )
    return lhs, rhs, out


class _Conv(Layer):
    """Shared implementation of the three convolutions (``_mode`` picks one)."""

    _mode = "shared"

    out_chan: int = static()
    filter_shape: tuple = static()
    strides: Any = static(None)
    padding: str = static("VALID")
    W_std: Any = 1.0
    b_std: Any = None
    dimension_numbers: Any = static(None)
    parameterization: str = static("ntk")
    s: tuple = static((1, 1))

    def __post_init__(self):
        set_ = object.__setattr__
        name = type(self).__name__
        set_(self, "out_chan", check_int("out_chan", self.out_chan, minimum=1))
        filt = _check_tuple("filter_shape", self.filter_shape, None, 1)
        set_(self, "filter_shape", filt)
        strides = (1,) * len(filt) if self.strides is None else _check_tuple("strides", self.strides, len(filt), 1)
        set_(self, "strides", strides)
        if not isinstance(self.padding, str):
            raise TypeError(f"`padding` must be one of {PADDINGS}, got {self.padding!r}.")
        set_(self, "padding", check_choice("padding", self.padding.lower(), tuple(p.lower() for p in PADDINGS)).upper())
        set_(self, "W_std", check_hyper("W_std", self.W_std, nonnegative=True))
        set_(self, "b_std", check_hyper("b_std", self.b_std, nonnegative=True, optional=True))
        set_(self, "dimension_numbers", _check_dimension_numbers(self.dimension_numbers, len(filt)))
        set_(self, "parameterization", check_choice("parameterization", self.parameterization, ("ntk", "standard")))
        if not (isinstance(self.s, (tuple, list)) and len(self.s) == 2):
            raise TypeError(f"{name}: `s` must be a pair of positive ints, got {self.s!r}.")
        set_(self, "s", tuple(check_int("s", v, minimum=1) for v in self.s))

    # -- layout ---------------------------------------------------------------------------
    @property
    def _specs(self) -> tuple[str, str, str]:
        return self.dimension_numbers

    @property
    def _rhs_spatial(self) -> str:
        return "".join(c for c in self._specs[1] if c not in "IO")

    def _per_letter(self, values: tuple[int, ...]) -> dict[str, int]:
        return dict(zip(self._rhs_spatial, values))

    def _lhs_letters(self) -> str:
        return "".join(c for c in self._specs[0] if c not in "NC")

    @property
    def width_out(self) -> int:
        return self.out_chan * (self.s[1] if self.parameterization == "standard" else 1)

    def input_axes(self):
        lhs = self._specs[0]
        return (lhs.index("N"), lhs.index("C"))

    def spatially_white(self, input_white):
        return self._mode == "local"  # independent weights per output position

    def _check_input(self, shape: tuple[int, ...]) -> None:
        name = type(self).__name__
        lhs = self._specs[0]
        if len(shape) != len(lhs):
            raise ValueError(
                f"{name}: inputs must have {len(lhs)} axes ({lhs}) for a filter of {len(self.filter_shape)} "
                f"spatial axes, got shape {shape}."
            )
        if self.padding == "VALID" and self._mode != "transpose":
            f = self._per_letter(self.filter_shape)
            for c in self._lhs_letters():
                size = shape[lhs.index(c)]
                if f[c] > size:
                    raise ValueError(
                        f"{name}: `filter_shape` {self.filter_shape} is larger than the input "
                        f"(axis {c} of size {size}) under 'VALID' padding."
                    )

    def fan_in(self, input_shape: tuple[int, ...]) -> int:
        return input_shape[self._specs[0].index("C")] * math.prod(self.filter_shape)

    # -- finite network -------------------------------------------------------------------
    def _circular_pad(self, inputs: jax.Array) -> jax.Array:
        lhs = self._specs[0]
        f, s = self._per_letter(self.filter_shape), self._per_letter(self.strides)
        widths = [(0, 0)] * inputs.ndim
        for c in self._lhs_letters():
            ax = lhs.index(c)
            widths[ax] = same_pads(inputs.shape[ax], f[c], s[c])
        return jnp.pad(inputs, widths, mode="wrap")

    def _lax(self, inputs: jax.Array, W: jax.Array, mode: str | None = None) -> jax.Array:
        """The finite layer's convolution (``mode`` overrides the layer's own, for shapes)."""
        lhs, rhs, out = self._specs
        mode = self._mode if mode is None else mode
        if mode == "transpose":
            pad = "VALID" if self.padding == "CIRCULAR" else self.padding
            y = jax.lax.conv_transpose(inputs, W, self.strides, pad, dimension_numbers=(lhs, rhs, out))
            if self.padding == "CIRCULAR":
                y = self._fold_output(inputs.shape, y)
            return y
        if self.padding == "CIRCULAR":
            inputs, pad = self._circular_pad(inputs), "VALID"
        else:
            pad = self.padding
        if mode == "local":
            return jax.lax.conv_general_dilated_local(
                inputs, W, self.strides, pad, self.filter_shape, dimension_numbers=(lhs, rhs, out))
        return jax.lax.conv_general_dilated(inputs, W, self.strides, pad, dimension_numbers=(lhs, rhs, out))

    def _fold_output(self, in_shape: tuple[int, ...], y: jax.Array) -> jax.Array:
        """CIRCULAR transpose: fold the 'VALID' output onto the 'SAME' size n·s."""
        lhs, _, out = self._specs
        s = self._per_letter(self.strides)
        for c in self._lhs_letters():
            ax = out.index(c)
            size = in_shape[lhs.index(c)] * s[c]
            y = fold(y, ax, size, (y.shape[ax] - size) // 2)
        return y

    def _weight_shape(self, input_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple[int, ...]:
        lhs, rhs, out = self._specs
        c_in = input_shape[lhs.index("C")]
        f = self._per_letter(self.filter_shape)
        if self._mode == "local":  # one filter per output position
            return tuple(self.width_out if c == "O" else c_in * math.prod(self.filter_shape) if c == "I"
                         else out_shape[out.index(c)] for c in rhs)
        return tuple(self.width_out if c == "O" else c_in if c == "I" else f[c] for c in rhs)

    def output_shape(self, input_shape):
        shape = check_input_shape(type(self).__name__, input_shape)
        self._check_input(shape)
        lhs, rhs, out = self._specs
        f = self._per_letter(self.filter_shape)
        w_shape = tuple(self.width_out if c == "O" else shape[lhs.index("C")] if c == "I" else f[c] for c in rhs)
        mode = "transpose" if self._mode == "transpose" else "shared"  # local: shared's shape

        def run(x, w):
            return self._lax(x, w, mode)

        dummy = tuple(1 if s_ == -1 else s_ for s_ in shape)
        res = jax.eval_shape(run, jax.ShapeDtypeStruct(dummy, jnp.float32), jax.ShapeDtypeStruct(w_shape, jnp.float32))
        out_shape = tuple(res.shape)
        b = lhs.index("N")
        return out_shape[: out.index("N")] + (shape[b],) + out_shape[out.index("N") + 1:]

    def init(self, key, input_shape):
        out_shape = self.output_shape(input_shape)
        shape = tuple(input_shape)
        k_w, k_b = jax.random.split(key)
        W = jax.random.normal(k_w, self._weight_shape(shape, out_shape))
        b = None
        if self.b_std is not None:
            out = self._specs[2]
            if self._mode == "local":
                b_shape = tuple(1 if c == "N" else out_shape[i] for i, c in enumerate(out))
            else:
                b_shape = tuple(self.width_out if c == "C" else 1 for c in out)
            b = jax.random.normal(k_b, b_shape)
        if self.parameterization == "standard":
            W = W * (self.W_std / math.sqrt(self.fan_in(shape) / self.s[0]))
            b = None if b is None else b * self.b_std
        return out_shape, (W, b)

    def apply(self, params, inputs, **kwargs):
        W, b = params
        name = type(self).__name__
        self._check_input(tuple(inputs.shape))
        lhs, rhs = self._specs[0], self._specs[1]
        c_in = inputs.shape[lhs.index("C")]
        expected = W.shape[rhs.index("I")]
        if self._mode == "local":
            expected //= math.prod(self.filter_shape)
        if c_in != expected:
            raise ValueError(
                f"{name}: `inputs` have {c_in} channels (axis {lhs.index('C')} of {inputs.shape}) but the "
                f"parameters expect {expected}."
            )
        y = self._lax(inputs, W)
        if self.parameterization == "standard":
            y = y / math.sqrt(self.s[0])
            return y if b is None else y + b
        y = (self.W_std / math.sqrt(self.fan_in(inputs.shape))) * y
        return y if b is None else y + self.b_std * b

    # -- kernel ---------------------------------------------------------------------------
    def _averaged(self, x: jax.Array, batch_ndim: int, diagonal: bool, sizes: tuple[int, ...]) -> jax.Array:
        """𝒜(x) (module docstring) for a covariance with ``batch_ndim`` leading batch axes."""
        f = self._per_letter(self.filter_shape)
        s = self._per_letter(self.strides)
        letters = self._lhs_letters()
        if self._mode == "local" and not diagonal:
            d = self._averaged(spatial_diagonal(x, batch_ndim, False), batch_ndim, True, sizes)
            return embed_diagonal(d, batch_ndim)
        for p, c in enumerate(letters):
            if self._mode == "transpose":
                x = self._transposed_axis(x, batch_ndim, p, diagonal, f[c], s[c], sizes[p])
            elif diagonal:
                x = window_sum(x, batch_ndim + p, f[c], s[c], self.padding)
            else:
                x = diagonal_window_sum(x, (batch_ndim + 2 * p, batch_ndim + 2 * p + 1), f[c], s[c], self.padding)
        return x / math.prod(self.filter_shape)

    def _transposed_axis(self, x, batch_ndim, p, diagonal, f, s, size):
        pad = "VALID" if self.padding == "CIRCULAR" else self.padding
        lo, hi = transpose_pads(pad, f, s)
        axes = (batch_ndim + p,) if diagonal else (batch_ndim + 2 * p, batch_ndim + 2 * p + 1)
        for ax in axes:
            x = dilate(x, ax, s, lo, hi)
        if diagonal:
            x = window_sum(x, axes[0], f, 1, "VALID")
        else:
            x = diagonal_window_sum(x, axes, f, 1, "VALID")
        if self.padding == "CIRCULAR":
            target = size * s
            for ax in axes:
                x = fold(x, ax, target, (x.shape[ax] - target) // 2)
        return x

    def _bias(self, x: jax.Array, value: Any, diagonal: bool, batch_ndim: int) -> jax.Array:
        if self._mode == "local" and not diagonal:  # independent biases: only s = s' correlate
            ones = jnp.ones(spatial_diagonal(x, batch_ndim, False).shape[batch_ndim:], x.dtype)
            eye = embed_diagonal(ones, 0)
            return x + value * eye.reshape((1,) * batch_ndim + eye.shape)
        return x + value

    def rule(self, k: Kernel) -> Kernel:
        name = type(self).__name__
        lhs, _, out = self._specs
        self._check_input(tuple(k.shape1))
        ndim = len(k.shape1)
        want = (lhs.index("N"), lhs.index("C"))
        have = (k.batch_axis % ndim, k.channel_axis % ndim)
        if ndim != len(lhs) or want != have:
            raise ValueError(
                f"{name}: expects inputs laid out as {lhs!r} (batch axis {want[0]}, channel axis "
                f"{want[1]}), but receives activations of shape {k.shape1} with batch axis {have[0]} "
                f"and channel axis {have[1]}; check `dimension_numbers` and the layers before."
            )
        if k.spatial_ndim != len(self.filter_shape):
            raise ValueError(f"{name}: the input kernel has no spatial axes to convolve (after Flatten?).")
        sizes = tuple(k.shape1[lhs.index(c)] for c in self._lhs_letters())
        diagonal = k.diagonal_spatial
        w_var = self.W_std**2
        b_var = None if self.b_std is None else self.b_std**2

        def avg(x, batch_ndim):
            return self._averaged(x, batch_ndim, diagonal, sizes)

        def affine(x, batch_ndim):
            y = w_var * avg(x, batch_ndim)
            return y if b_var is None else self._bias(y, b_var, diagonal, batch_ndim)

        nngp_avg = avg(k.nngp, 2)
        nngp = w_var * nngp_avg
        nngp = nngp if b_var is None else self._bias(nngp, b_var, diagonal, 2)
        # the raw inputs' NTK is 0: skip its window sums (XLA would constant-fold them slowly)
        ntk_avg = 0.0 if k.is_input else avg(k.ntk, 2)
        if self.parameterization == "standard":
            ntk = (self.fan_in(k.shape1) / self.s[0]) * nngp_avg + w_var * ntk_avg
            ntk = ntk if b_var is None else self._bias(ntk, 1.0, diagonal, 2)
        else:
            ntk = nngp + w_var * ntk_avg
        cov1 = affine(k.cov1, 1)
        cov2 = cov1 if k.x1_is_x2 else affine(k.cov2, 1)
        out_k = k.replace(nngp=nngp, ntk=ntk, cov1=cov1, cov2=cov2, is_gaussian=True, is_input=False,
                          batch_axis=out.index("N"), channel_axis=out.index("C"))
        return _permute_spatial(out_k, self._lhs_letters(), "".join(c for c in out if c not in "NC"))


def _permute_spatial(k: Kernel, order_in: str, order_out: str) -> Kernel:
    """Reorder the kernel's spatial axes from the letters ``order_in`` to ``order_out``."""
    if order_in == order_out:
        return k
    perm = [order_in.index(c) for c in order_out]

    def move(x, batch_ndim):
        if k.diagonal_spatial:
            axes = [batch_ndim + p for p in perm]
        else:
            axes = [batch_ndim + 2 * p + j for p in perm for j in (0, 1)]
        return jnp.transpose(x, tuple(range(batch_ndim)) + tuple(axes))

    return k.replace(nngp=move(k.nngp, 2), ntk=move(k.ntk, 2), cov1=move(k.cov1, 1), cov2=move(k.cov2, 1))


_DOC_ARGS = """
    Args:
      out_chan: output channels (> 0); ignored by the kernel under the NTK parameterization.
      filter_shape: filter size per spatial axis, in the order of the spatial letters of
        ``dimension_numbers[1]`` (e.g. (3, 3)).
      strides: stride per spatial axis (same order), default 1.
      padding: 'VALID', 'SAME' or 'CIRCULAR'.
      W_std, b_std: weight and bias standard deviations (``b_std=None``: no bias); may be traced.
      dimension_numbers: (lhs, rhs, out) layouts as in `jax.lax.conv_general_dilated`, default
        channels last, e.g. ('NHWC', 'HWIO', 'NHWC').
      parameterization: 'ntk' or 'standard'; ``s``: the standard parameterization's width
        scalings (s₀, s₁), as in `Dense`.
"""


class Conv(_Conv):
    __doc__ = """A convolution with weights shared over positions (module docstring).""" + _DOC_ARGS + """
    Example:
      >>> import jax.numpy as jnp
      >>> from widenets import stax
      >>> _, _, kernel_fn = stax.serial(stax.Conv(64, (3, 3), padding="SAME"), stax.Relu(),
      ...                               stax.Flatten(), stax.Dense(1))
      >>> kernel_fn(jnp.ones((2, 5, 5, 3)), get="nngp").shape
      (2, 2)
    """
    _mode = "shared"


class ConvTranspose(_Conv):
    __doc__ = """A transposed convolution (`jax.lax.conv_transpose`, module docstring).""" + _DOC_ARGS
    _mode = "transpose"


class ConvLocal(_Conv):
    __doc__ = """A locally connected layer: a convolution with separate weights and biases at
    every output position (module docstring).""" + _DOC_ARGS
    _mode = "local"
