"""Affine and shape layers: `Dense`, `Identity`, `Flatten`, `LayerNorm`.

Dense, finite network (neural-tangents conventions, THEORY.md §1), input width n:

* ``parameterization='ntk'``:      y = (W_std/√n)·x W + b_std·b,   W, b ~ N(0, 1);
* ``parameterization='standard'``: y = x W/√s₀ + b,  W ~ N(0, W_std²·s₀/n), b ~ N(0, b_std²).

Kernel, with nngp' = W_std²·nngp + b_std² in both cases:

* ntk:      ntk' = nngp' + W_std²·ntk                       (Jacot et al. 2018);
* standard: ntk' = (n/s₀)·nngp + W_std²·ntk + [b_std given]  (Sohl-Dickstein et al. 2020,
  arXiv:2001.07301), so the standard NTK depends on the declared widths.
"""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .._validation import check_choice, check_float, check_int, check_optional_float
from ._kernel import Kernel, pair_variances
from ._layer import Layer, check_input_shape, make_layer


def _check_axes(layer: str, batch_axis: Any, channel_axis: Any) -> None:
    if batch_axis != 0:
        raise ValueError(f"{layer}: only `batch_axis=0` is supported, got {batch_axis!r}.")
    if channel_axis != -1:
        raise ValueError(f"{layer}: only `channel_axis=-1` is supported, got {channel_axis!r}.")


def require_flat(layer: str, k: Kernel) -> None:
    if len(k.shape) != 1:
        raise ValueError(
            f"{layer} acts on (batch, features) activations, but its input has feature shape "
            f"{k.shape}; add stax.Flatten() before it."
        )


def check_features(layer: str, x: jax.Array, expected: int) -> None:
    if x.ndim != 2 or x.shape[-1] != expected:
        raise ValueError(
            f"{layer}: `inputs` must have shape (batch, {expected}) to match the parameters, "
            f"got {x.shape}."
        )


def Dense(
    out_dim: int,
    W_std: float = 1.0,
    b_std: float | None = None,
    batch_axis: int = 0,
    channel_axis: int = -1,
    parameterization: str = "ntk",
    s: tuple[int, int] = (1, 1),
) -> Layer:
    """Fully connected layer; see the module docstring for the exact maps.

    Args:
      out_dim: output width (> 0). Ignored by the kernel under the NTK parameterization.
      W_std: weight standard deviation σ_W ≥ 0.
      b_std: bias standard deviation σ_b ≥ 0, or ``None`` for no bias.
      batch_axis, channel_axis: must be 0 and -1 (fully connected inputs).
      parameterization: ``'ntk'`` or ``'standard'``.
      s: width scalings (s₀, s₁) of the standard parameterization: W has shape
        (fan_in, s₁·out_dim) and the layer divides by √s₀ (arXiv:2001.07301).
    """
    out_dim = check_int("out_dim", out_dim, minimum=1)
    W_std = check_float("W_std", W_std, nonnegative=True)
    b_std = check_optional_float("b_std", b_std, nonnegative=True)
    parameterization = check_choice("parameterization", parameterization, ("ntk", "standard"))
    _check_axes("Dense", batch_axis, channel_axis)
    if not (isinstance(s, (tuple, list)) and len(s) == 2):
        raise TypeError(f"Dense: `s` must be a pair of positive ints, got {s!r}.")
    s_in, s_out = (check_int("s", v, minimum=1) for v in s)
    standard = parameterization == "standard"
    width_out = out_dim * s_out if standard else out_dim
    name = f"Dense({out_dim}, W_std={W_std:g}, b_std={b_std}, {parameterization})"

    def init_fn(key: jax.Array, input_shape: tuple[int, ...]):
        shape = check_input_shape("Dense", input_shape)
        if len(shape) != 2:
            raise ValueError(f"Dense: `input_shape` must be (batch, features), got {shape}; add Flatten().")
        fan_in = shape[-1]
        k_w, k_b = jax.random.split(key)
        W = jax.random.normal(k_w, (fan_in, width_out))
        b = None if b_std is None else jax.random.normal(k_b, (1, width_out))
        if standard:
            W = W * (W_std / math.sqrt(fan_in / s_in))
            b = None if b is None else b * b_std
        return shape[:-1] + (width_out,), (W, b)

    def apply_fn(params: Any, inputs: jax.Array, **kwargs: Any) -> jax.Array:
        W, b = params
        check_features("Dense", inputs, W.shape[0])
        if standard:
            out = inputs @ W / math.sqrt(s_in)
            return out if b is None else out + b
        out = (W_std / math.sqrt(inputs.shape[-1])) * (inputs @ W)
        return out if b is None else out + b_std * b

    w_var = W_std**2
    b_var = 0.0 if b_std is None else b_std**2

    def rule(k: Kernel) -> Kernel:
        require_flat("Dense", k)

        def affine(t):
            return w_var * t + b_var

        nngp = affine(k.nngp)
        if standard:
            ntk = (k.width / s_in) * k.nngp + w_var * k.ntk + (0.0 if b_std is None else 1.0)
        else:
            ntk = nngp + w_var * k.ntk
        return k.replace(
            nngp=nngp,
            ntk=ntk,
            cov1=affine(k.cov1),
            cov2=affine(k.cov2),
            shape=(width_out,),
            is_gaussian=True,
        )

    return make_layer(name, init_fn, apply_fn, rule)


def Identity() -> Layer:
    """The identity map; leaves activations and kernels unchanged."""
    return make_layer(
        "Identity",
        lambda key, input_shape: (input_shape, ()),
        lambda params, inputs, **kwargs: inputs,
        lambda k: k,
    )


def Flatten(batch_axis: int = 0, batch_axis_out: int = 0) -> Layer:
    """Flatten all non-batch axes into one channel axis.

    The kernel of flattened features is the mean of the per-entry covariances; at the input
    (the only place a non-flat kernel exists in widenets) that is x1·x2ᵀ/d over all features,
    which is what the input kernel already holds, so only the recorded shape changes.
    """
    if batch_axis != 0 or batch_axis_out != 0:
        raise ValueError(
            f"Flatten: only `batch_axis=0, batch_axis_out=0` are supported, got "
            f"{batch_axis!r}, {batch_axis_out!r}."
        )

    def init_fn(key, input_shape):
        shape = check_input_shape("Flatten", input_shape)
        return (shape[0], math.prod(shape[1:])), ()

    def apply_fn(params, inputs, **kwargs):
        return jnp.reshape(inputs, (inputs.shape[0], -1))

    def rule(k: Kernel) -> Kernel:
        return k.replace(shape=(math.prod(k.shape),))

    return make_layer("Flatten", init_fn, apply_fn, rule)


def LayerNorm(
    axis: int = -1, eps: float = 1e-12, batch_axis: int = 0, channel_axis: int = -1
) -> Layer:
    """Layer normalisation over the channel axis: y = (x − mean(x)) / sqrt(var(x) + eps).

    For Gaussian inputs of infinite width the channel mean vanishes and the variance is
    cov, so the kernel is normalised entry-wise (as in neural-tangents):
    nngp' = nngp/√((eps+cov1)(eps+cov2)), ntk' likewise, cov' = cov/(eps + cov).
    """
    eps = check_float("eps", eps, nonnegative=True)
    _check_axes("LayerNorm", batch_axis, channel_axis)
    if axis not in (-1, 1, (-1,), (1,)):
        raise ValueError(f"LayerNorm: only normalisation over the channel axis (`axis=-1`) is supported, got {axis!r}.")

    def init_fn(key, input_shape):
        return check_input_shape("LayerNorm", input_shape), ()

    def apply_fn(params, inputs, **kwargs):
        mean = jnp.mean(inputs, axis=-1, keepdims=True)
        var = jnp.var(inputs, axis=-1, keepdims=True)
        return (inputs - mean) / jnp.sqrt(eps + var)

    def rule(k: Kernel) -> Kernel:
        require_flat("LayerNorm", k)
        if not k.is_gaussian:
            raise ValueError(
                "LayerNorm: the kernel is only known for Gaussian inputs; put an affine layer "
                "(e.g. Dense) before LayerNorm."
            )
        q11, q22 = pair_variances(k)
        scale = 1 / (jnp.sqrt(eps + q11) * jnp.sqrt(eps + q22))
        return k.replace(
            nngp=k.nngp * scale,
            ntk=k.ntk * scale,
            cov1=k.cov1 / (eps + k.cov1),
            cov2=k.cov2 / (eps + k.cov2),
        )

    return make_layer(f"LayerNorm(eps={eps:g})", init_fn, apply_fn, rule)
