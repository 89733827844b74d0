"""Argument checks specific to the predictors (the generic ones live in `widenets._validation`)."""
from __future__ import annotations

import collections
from typing import Any

import jax
import numpy as np

from .._validation import as_float_array

Array = jax.Array
KERNEL_NAMES = ("nngp", "ntk")


def is_array(value: Any) -> bool:
    return isinstance(value, (np.ndarray, jax.Array))


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False, got {value!r} ({type(value).__name__}).")
    return bool(value)


def as_kernel(name: str, value: Any, dtype=None) -> Array:
    """A finite floating kernel array (cast to ``dtype`` when given)."""
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
    arr = as_float_array(name, value, min_ndim=0).astype(dtype)
    try:
        ok = np.broadcast_shapes(arr.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"`{name}` of shape {arr.shape} must broadcast to the output shape {shape}.")
    return arr


def canonical_get(get: Any, allowed: tuple[str, ...]) -> tuple[tuple[str, ...], bool, bool]:
    """NT's ``get``: None (all of nngp, ntk), a string, or a tuple of distinct strings (case is
    ignored). Returns (names, single, was_none)."""
    if get is None:
        return KERNEL_NAMES, False, True
    single = isinstance(get, str)
    names = (get,) if single else get
    if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"`get` must be None, a string or a tuple of strings, got {get!r}.")
    names = tuple(n.lower() for n in names)
    if not names:
        raise ValueError("`get` must not be empty.")
    if len(set(names)) < len(names):
        raise ValueError(f"`get` entries must be unique, got {get!r}.")
    bad = [n for n in names if n not in allowed]
    if bad:
        raise ValueError(f"`get` must name entries among {allowed}, got {get!r}.")
    return names, single, False


_TUPLES: dict[tuple[str, ...], type] = {}


def pack(out: dict[str, Any], names: tuple[str, ...], single: bool) -> Any:
    """NT's return convention: the bare value for a string ``get``, else a ``Gaussians``
    namedtuple with fields in ``get`` order."""
    if single:
        return out[names[0]]
    if names not in _TUPLES:
        _TUPLES[names] = collections.namedtuple("Gaussians", names)
    return _TUPLES[names](*(out[n] for n in names))
