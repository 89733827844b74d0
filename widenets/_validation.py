"""Argument checks shared by every widenets module.

Each checker raises `TypeError` (wrong kind of value) or `ValueError` (right kind, bad
value) with a message that names the argument, says what was received and what was
expected. Checks on array *values* (NaN/inf) run only on concrete arrays: under
`jax.jit` the values are unknown at trace time and the check is skipped.
"""
from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def check_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer (not bool), optionally ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {value!r} ({type(value).__name__}).")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}.")
    return value


def check_float(
    name: str, value: Any, *, nonnegative: bool = False, positive: bool = False
) -> float:
    """A finite real number; optionally ``>= 0`` or ``> 0``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        # accept 0-d arrays holding one real number
        if isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 0:
            value = float(value)
        else:
            raise TypeError(f"`{name}` must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}.")
    if positive and value <= 0:
        raise ValueError(f"`{name}` must be > 0, got {value}.")
    if nonnegative and value < 0:
        raise ValueError(f"`{name}` must be >= 0, got {value}.")
    return value


def check_optional_float(name: str, value: Any, *, nonnegative: bool = False) -> float | None:
    return None if value is None else check_float(name, value, nonnegative=nonnegative)


def is_concrete(value: Any) -> bool:
    """False for a JAX tracer (a value under `jax.jit`, `jax.grad`, `jax.vmap`), else True.

    Decided through public JAX errors only: converting a tracer to numpy raises one.
    """
    if not isinstance(value, jax.Array):
        return True
    try:
        np.asarray(value)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return False
    return True


def check_hyper(
    name: str, value: Any, *, nonnegative: bool = False, positive: bool = False, optional: bool = False
) -> Any:
    """A real hyperparameter that may be traced (differentiated or vmapped over).

    Concrete values are checked like `check_float` and returned as Python floats; traced
    values and arrays (e.g. a vector of ``W_std`` under `jax.vmap`) are returned unchanged, after
    a dtype check, since their values are unknown. ``optional`` admits ``None``.
    """
    if value is None and optional:
        return None
    if isinstance(value, (jax.Array, np.ndarray)) and (np.ndim(value) > 0 or not is_concrete(value)):
        if not jnp.issubdtype(value.dtype, jnp.floating) and not jnp.issubdtype(value.dtype, jnp.integer):
            raise TypeError(f"`{name}` must be real, got dtype {value.dtype}.")
        return value
    return check_float(name, value, nonnegative=nonnegative, positive=positive)


def parse_get(
    get: Any, allowed: tuple[str, ...], default: tuple[str, ...] | None = None
) -> tuple[tuple[str, ...] | None, bool]:
    """neural-tangents' ``get`` argument: ``None``, one name, or a tuple/list of names.

    Returns ``(names, single)``: the requested names in order (``default`` when ``get`` is
    None; case is ignored), and whether a bare string was given (then callers return the
    value itself rather than a namedtuple). Raises `TypeError` for a non-string entry and
    `ValueError` for an empty, repeated or unknown name, naming ``get`` and the choices.
    """
    if get is None:
        return default, False
    single = isinstance(get, str)
    names = (get,) if single else get
    if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"`get` must be None, a string or a tuple of strings, got {get!r}.")
    names = tuple(n.lower() for n in names)
    if not names:
        raise ValueError(f"`get` must name at least one of {allowed}, got {get!r}.")
    if len(set(names)) < len(names):
        raise ValueError(f"`get` must not repeat a name, got {get!r}.")
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError(f"`get` must name entries among {allowed}, got {get!r}.")
    return names, single


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be one of {choices}, got {value!r}.")
    lowered = value.lower()
    if lowered not in choices:
        raise ValueError(f"`{name}` must be one of {choices}, got {value!r}.")
    return lowered


def as_float_array(name: str, value: Any, *, min_ndim: int = 1) -> jax.Array:
    """Convert to a floating jax array with at least ``min_ndim`` dims and finite values.

    Integer and bool inputs are cast to the default float dtype; complex is refused.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"`{name}` must be an array, got {type(value).__name__}.")
    try:
        arr = jax.numpy.asarray(value)
    except TypeError as err:
        raise TypeError(f"`{name}` must be an array, got {type(value).__name__}.") from err
    if jax.numpy.issubdtype(arr.dtype, jax.numpy.complexfloating):
        raise TypeError(f"`{name}` must be real, got dtype {arr.dtype}.")
    if not jax.numpy.issubdtype(arr.dtype, jax.numpy.floating):
        arr = arr.astype(jax.numpy.result_type(float))
    if arr.ndim < min_ndim:
        raise ValueError(
            f"`{name}` must have at least {min_ndim} dimensions (batch, features...), "
            f"got shape {arr.shape}."
        )
    check_finite(name, arr)
    return arr


def check_finite(name: str, arr: jax.Array) -> None:
    """Raise if a *concrete* array holds NaN or inf; do nothing while tracing."""
    try:
        ok = bool(jax.numpy.all(jax.numpy.isfinite(arr)))
    except jax.errors.ConcretizationTypeError:  # traced under jit/vmap: values unknown
        return
    if not ok:
        bad = int(jax.numpy.size(arr) - jax.numpy.count_nonzero(jax.numpy.isfinite(arr)))
        raise ValueError(f"`{name}` contains {bad} non-finite value(s) (NaN or inf).")


def check_input_pair(x1: Any, x2: Any) -> tuple[jax.Array, jax.Array | None]:
    """Inputs ``x1`` (N1, features...) and optional ``x2`` (N2, same features...) of a kernel
    function, as floating arrays of one common dtype (see `as_float_array`)."""
    x1 = as_float_array("x1", x1, min_ndim=2)
    if x2 is None:
        return x1, None
    x2 = as_float_array("x2", x2, min_ndim=2)
    if x2.shape[1:] != x1.shape[1:]:
        raise ValueError(
            f"`x2` must have the same feature shape as `x1`: got x1 {x1.shape} and x2 {x2.shape}."
        )
    dtype = jax.numpy.promote_types(x1.dtype, x2.dtype)
    return x1.astype(dtype), x2.astype(dtype)


@functools.cache
def _legacy_key_shape() -> tuple[int, ...]:
    """Shape of a raw uint32 key of the default PRNG implementation ((2,) for threefry)."""
    return jax.eval_shape(lambda: jax.random.key_data(jax.random.key(0))).shape


def check_key(name: str, key: Any) -> jax.Array:
    """``key`` as a single `jax.random` key: a typed key of shape () or a legacy uint32 key
    (``PRNGKey``); ``name`` is the argument named in the error."""
    if not isinstance(key, (jax.Array, np.ndarray)):
        raise TypeError(f"`{name}` must be a jax.random key, got {type(key).__name__}.")
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.shape != ():
            raise ValueError(f"`{name}` must be a single key (shape ()), got shape {key.shape}.")
        return key
    if key.dtype != jnp.uint32 or key.shape != _legacy_key_shape():
        raise TypeError(
            f"`{name}` must be a jax.random key (jax.random.key or PRNGKey), got dtype {key.dtype} "
            f"and shape {key.shape}."
        )
    return jnp.asarray(key)
