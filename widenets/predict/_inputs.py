"""Argument checks specific to the predictors (the generic ones live in `widenets._validation`)."""
from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from .._validation import as_float_array, parse_get

Array = jax.Array
KERNEL_NAMES = ("nngp", "ntk")
#: what the kernel arguments of `gp_inference` (and a ``kernel_fn``'s results) may be
KERNEL_OBJECTS = ("an array, a widenets.stax.Kernel, or a namedtuple with `.nngp` / `.ntk` "
                  "arrays (as `empirical_kernel_fn` and a stax `kernel_fn` return for a tuple `get`)")


def is_array(value: Any) -> bool:
    return isinstance(value, (np.ndarray, jax.Array))


def reject_mapping(name: str, value: Any, accepted: str, kernels: bool = True) -> None:
    """A clear `TypeError` for a dict (neural-tangents accepts none either: kernels come as
    arrays or as objects with attributes, inputs and targets as arrays). ``kernels`` adds the
    hint to pass them as attributes."""
    if isinstance(value, Mapping):
        keys = sorted(map(str, value))
        hint = f" pass `{name}[{keys[0]!r}]`" if keys else ""
        if kernels:
            hint += " or the kernels as attributes (a namedtuple or a widenets.stax.Kernel)"
        raise TypeError(
            f"`{name}` must be {accepted}; got a {type(value).__name__} with keys {keys}:{hint}."
        )


def as_array(name: str, value: Any, min_ndim: int) -> Array:
    """`widenets._validation.as_float_array` for the predictors' inputs, targets and outputs,
    with a dict refused by name first."""
    reject_mapping(name, value, "an array", kernels=False)
    return as_float_array(name, value, min_ndim=min_ndim)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False, got {value!r} ({type(value).__name__}).")
    return bool(value)


def as_kernel(name: str, value: Any, dtype=None) -> Array:
    """A finite floating kernel array (cast to ``dtype`` when given)."""
    reject_mapping(name, value, "a kernel array (N, N, ...)", kernels=False)
    if not is_array(value) and any(hasattr(value, g) for g in KERNEL_NAMES):
        raise TypeError(
            f"`{name}` must be an array here, got a {type(value).__name__} with kernel fields; "
            f"pass `{name}.ntk` (or `.nngp`) explicitly."
        )
    arr = as_float_array(name, value, min_ndim=2)
    return arr if dtype is None else arr.astype(dtype)


def kernel_field(name: str, value: Any, g: str) -> Any:
    """``value`` itself if it is an array (it then stands for every kernel, as in NT), else
    ``value.<g>``; a clear error when the field is missing or None."""
    if is_array(value):
        return value
    reject_mapping(name, value, KERNEL_OBJECTS)
    field = getattr(value, g, None)
    if field is None:
        raise ValueError(
            f"`{name}` must provide the {g!r} kernel for this prediction: pass an array or an "
            f"object with a non-None `.{g}` attribute (got {type(value).__name__})."
        )
    return field


def as_outputs(name: str, value: Any, shape: tuple[int, ...], dtype) -> Array:
    """Network outputs (``fx_train_0`` / ``fx_test_0``): a number or an array that broadcasts to
    ``shape``; returned as given (cast to ``dtype``), the caller broadcasts."""
    arr = as_array(name, value, min_ndim=0).astype(dtype)
    try:
        ok = np.broadcast_shapes(arr.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"`{name}` of shape {arr.shape} must broadcast to the output shape {shape}.")
    return arr


def canonical_get(get: Any, allowed: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """NT's ``get``: None (both of nngp, ntk), a string, or a tuple of distinct strings (case
    ignored), read by `widenets._validation.parse_get`. Returns (names, single)."""
    return parse_get(get, allowed, default=KERNEL_NAMES)


_TUPLES: dict[tuple[str, ...], type] = {}


def pack(out: dict[str, Any], names: tuple[str, ...], single: bool) -> Any:
    """NT's return convention: the bare value for a string ``get``, else a ``Gaussians``
    namedtuple with fields in ``get`` order."""
    if single:
        return out[names[0]]
    if names not in _TUPLES:
        _TUPLES[names] = collections.namedtuple("Gaussians", names)
    return _TUPLES[names](*(out[n] for n in names))
