"""Validation of path arguments and of the dyadic refinement, shared by the signature solvers.

A path is an array ``(..., L, d)``: ``L >= 2`` samples of a ``d``-dimensional path, read as
the piecewise-linear interpolation of its samples. Leading dimensions are batch dimensions and
broadcast between the two paths of a kernel.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from widenets._validation import as_float_array, check_int

Array = jax.Array


def check_path(name: str, value: Any) -> Array:
    """A floating array ``(..., L, d)`` with ``L >= 2`` and finite values (checked when concrete)."""
    arr = as_float_array(name, value, min_ndim=2)
    if arr.shape[-2] < 2:
        raise ValueError(
            f"`{name}` must hold at least 2 points along axis -2 (shape (..., L, d) with L >= 2), "
            f"got shape {arr.shape}."
        )
    if arr.shape[-1] < 1:
        raise ValueError(f"`{name}` must have at least one channel (d >= 1), got shape {arr.shape}.")
    return arr


def check_path_pair(x: Any, y: Any, xname: str = "x", yname: str = "y") -> tuple[Array, Array]:
    """Two paths with the same channel count, cast to one common floating dtype and to the same
    rank (leading dimensions padded with 1s so that they broadcast without rank promotion)."""
    x = check_path(xname, x)
    y = check_path(yname, y)
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"`{xname}` and `{yname}` must have the same number of channels d (last axis), "
            f"got {x.shape[-1]} and {y.shape[-1]} (shapes {x.shape}, {y.shape})."
        )
    try:
        jnp.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError as err:
        raise ValueError(
            f"leading (batch) dimensions of `{xname}` {x.shape[:-2]} and `{yname}` {y.shape[:-2]} "
            "do not broadcast."
        ) from err
    dtype = jnp.result_type(x.dtype, y.dtype)
    x, y = x.astype(dtype), y.astype(dtype)
    rank = max(x.ndim, y.ndim)
    x = x.reshape((1,) * (rank - x.ndim) + x.shape)
    y = y.reshape((1,) * (rank - y.ndim) + y.shape)
    return x, y


def check_refinement(value: Any, name: str = "refinement") -> tuple[int, int]:
    """``λ`` or ``(λ1, λ2)``, non-negative integers: each path's segments are split into 2^λ."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"`{name}` must be an int or a pair (λ1, λ2), got {value!r}.")
        return check_int(name, value[0], minimum=0), check_int(name, value[1], minimum=0)
    lam = check_int(name, value, minimum=0)
    return lam, lam


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a bool, got {value!r}.")
    return value
