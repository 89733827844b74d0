"""The layer triple ``(init_fn, apply_fn, kernel_fn)`` and the public ``kernel_fn`` front end.

A layer is built from three plain functions:

* ``init(key, input_shape) -> (output_shape, params)`` and ``apply(params, x) -> y``, the
  finite network (as in neural-tangents / ``jax.example_libraries.stax``);
* ``rule(kernel) -> kernel``, how the layer maps the `Kernel` of its input to that of its
  output in the infinite-width limit.

`make_layer` wraps the rule into the neural-tangents style ``kernel_fn(x1, x2=None,
get=None)``, which validates the inputs, builds the input kernel, evaluates the rule under
``jax.jit`` (tiled for symmetric Grams, see `_evaluate.py`) and selects the requested
fields. Called on a `Kernel` instead of inputs, ``kernel_fn`` applies the rule alone; this is
how combinators compose layers.
"""
from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax

from .._validation import check_input_pair
from ._evaluate import choose_path, evaluate, symmetrize
from ._kernel import Kernel

KERNEL_FIELDS = ("nngp", "ntk", "cov1", "cov2")
Rule = Callable[[Any], Any]


class Layer(NamedTuple):
    """A layer: unpack it as ``init_fn, apply_fn, kernel_fn = layer``."""

    init_fn: Callable[..., Any]
    apply_fn: Callable[..., Any]
    kernel_fn: Callable[..., Any]


def is_kernel_tree(obj: Any) -> bool:
    """A `Kernel`, or a (nested) list/tuple of them, as flows between branching layers."""
    if isinstance(obj, Kernel):
        return True
    return isinstance(obj, (list, tuple)) and len(obj) > 0 and all(map(is_kernel_tree, obj))


def make_layer(name: str, init_fn: Callable, apply_fn: Callable, rule: Rule) -> Layer:
    """Bundle a finite forward pass and a kernel rule into a `Layer`."""

    def compute(x1: jax.Array, x2: jax.Array | None, names: tuple[str, ...] | None):
        out = evaluate(rule, x1, x2)
        return out if names is None else _select(out, names)

    jitted = jax.jit(compute, static_argnames="names")

    def kernel_fn(x1: Any, x2: Any = None, get: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"{name}: kernel_fn got unexpected keyword arguments {sorted(kwargs)}.")
        names, single = canonical_get(get)
        if is_kernel_tree(x1):
            if x2 is not None:
                raise ValueError("`x2` must be None when `x1` is a Kernel.")
            out = rule(x1)
            return out if names is None else _unpack(_select(out, names), names, single)
        x1, x2 = check_input_pair(x1, x2)
        out = jitted(x1, x2, names)
        if x2 is None and choose_path(rule, x1, None) == "direct":
            out = symmetrize(out)  # tiled Grams are exactly symmetric already (see `symmetrize`)
        return out if names is None else _unpack(out, names, single)

    kernel_fn.__name__ = kernel_fn.__qualname__ = f"kernel_fn[{name}]"
    init_fn.__name__ = f"init_fn[{name}]"
    apply_fn.__name__ = f"apply_fn[{name}]"
    return Layer(init_fn, apply_fn, kernel_fn)


def canonical_get(get: Any) -> tuple[tuple[str, ...] | None, bool]:
    """``get`` as a tuple of field names (or None), and whether a bare string was given."""
    if get is None:
        return None, False
    single = isinstance(get, str)
    names = (get,) if single else get
    if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"`get` must be None, a string or a tuple of strings, got {get!r}.")
    unknown = [n for n in names if n not in KERNEL_FIELDS]
    if unknown or not names:
        raise ValueError(f"`get` must name fields among {KERNEL_FIELDS}, got {get!r}.")
    return tuple(names), single


_NAMED_TUPLES: dict[tuple[str, ...], type] = {}


def _select(out: Any, names: tuple[str, ...]) -> Any:
    if isinstance(out, Kernel):
        return tuple(getattr(out, n) for n in names)
    return [_select(o, names) for o in out]


def _unpack(values: Any, names: tuple[str, ...], single: bool) -> Any:
    if isinstance(values, list):
        return [_unpack(v, names, single) for v in values]
    if single:
        return values[0]
    if names not in _NAMED_TUPLES:
        _NAMED_TUPLES[names] = collections.namedtuple("AnalyticKernel", names)
    return _NAMED_TUPLES[names](*values)


def check_input_shape(name: str, input_shape: Any) -> tuple[int, ...]:
    """Validate an ``init_fn`` input shape: a sequence of ints (the batch entry may be -1)."""
    if not isinstance(input_shape, Sequence) or not all(
        isinstance(s, int) and not isinstance(s, bool) for s in input_shape
    ):
        raise TypeError(f"{name}: `input_shape` must be a tuple of ints, got {input_shape!r}.")
    shape = tuple(input_shape)
    if len(shape) < 2:
        raise ValueError(f"{name}: `input_shape` must be (batch, features...), got {shape}.")
    if any(s <= 0 for s in shape[1:]):
        raise ValueError(f"{name}: feature sizes in `input_shape` must be positive, got {shape}.")
    return shape
