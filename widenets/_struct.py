"""Immutable value types that are JAX pytrees: the one mechanism behind layers and duals.

A subclass of `Struct` is turned into a frozen dataclass and registered as a pytree when it
is defined (as equinox modules are), so its instances are printable, comparable values that
carry their hyperparameters and pass through `jax.jit`, `jax.grad` and `jax.vmap`:

* fields are pytree **children** by default: float hyperparameters such as ``W_std`` may then
  be traced (differentiated, vmapped over);
* fields declared with `static` are pytree **metadata**: widths, shapes, names, callables —
  the static structure that keys jit caches (it must be hashable).

Example:
    >>> import jax
    >>> class Scale(Struct):
    ...     factor: float = 1.0
    ...     name: str = static("scale")
    >>> s = Scale(2.0)
    >>> s
    Scale(factor=2.0, name='scale')
    >>> jax.tree.leaves(s)
    [2.0]
    >>> jax.grad(lambda t: Scale(t).factor ** 2)(3.0)
    Array(6., dtype=float32, weak_type=True)

Unflattening (inside JAX transformations) bypasses ``__init__`` and ``__post_init__``, so
validation written in ``__post_init__`` runs only when a user constructs a value, never on
the tracers or placeholders that JAX puts in the leaves.
"""
from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import jax

__all__ = ["Struct", "from_spec", "static", "is_static_field", "to_spec"]

T = TypeVar("T", bound="Struct")
_STATIC = "widenets_static"


def static(default: Any = dataclasses.MISSING, **kwargs: Any) -> Any:
    """A dataclass field that is pytree metadata (static, hashable), not a traced leaf."""
    metadata = {**kwargs.pop("metadata", {}), _STATIC: True}
    return dataclasses.field(default=default, metadata=metadata, **kwargs)


def is_static_field(field: dataclasses.Field) -> bool:
    return bool(field.metadata.get(_STATIC, False))


class Struct:
    """Base class of widenets' immutable pytree value types (see the module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True)(cls)
        fields = dataclasses.fields(cls)
        children = tuple(f.name for f in fields if not is_static_field(f))
        meta = tuple(f.name for f in fields if is_static_field(f))

        def flatten_with_keys(obj: Struct):
            kids = tuple((jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in children)
            return kids, tuple(getattr(obj, n) for n in meta)

        def flatten(obj: Struct):
            return tuple(getattr(obj, n) for n in children), tuple(getattr(obj, n) for n in meta)

        def unflatten(aux: tuple, values: Any) -> Struct:
            obj = object.__new__(cls)
            for name, value in zip(meta, aux):
                object.__setattr__(obj, name, value)
            for name, value in zip(children, values):
                object.__setattr__(obj, name, value)
            return obj

        jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)

    def replace(self: T, **changes: Any) -> T:
        """A copy with some fields changed (validated like a new value)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


# ---------------------------------------------------------------------------------------
# Serialisation: a value as plain JSON-able data, and back
# ---------------------------------------------------------------------------------------

#: public modules whose classes `to_spec` names by ``module:Class``
PUBLIC_MODULES = ("widenets.stax", "widenets.duals", "widenets.spectral")


def _public_name(cls: type) -> str:
    import importlib

    for module in PUBLIC_MODULES:
        if getattr(importlib.import_module(module), cls.__name__, None) is cls:
            return f"{module}:{cls.__name__}"
    return f"{cls.__module__}:{cls.__qualname__}"


def _encode(value: Any, where: str) -> Any:
    if isinstance(value, Struct):
        return to_spec(value)
    if isinstance(value, (tuple, list)):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "shape") and getattr(value, "shape") == () and jax.numpy.issubdtype(value.dtype, jax.numpy.number):
        try:
            return float(value)
        except (TypeError, jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
            pass
    raise TypeError(
        f"`{where}` holds {type(value).__name__} ({value!r:.60}), which has no JSON form; only "
        "values built from numbers, strings, None, tuples and other widenets values serialise."
    )


def to_spec(obj: Struct) -> dict:
    """``obj`` (a layer, a dual, any `Struct`) as plain, JSON-serialisable data.

    ``{"type": "widenets.stax:Dense", "fields": {"out_dim": 512, "W_std": 1.5, ...}}``, nested
    for fields holding values (e.g. the layers of `serial`). Callables (custom activations)
    have no such form and raise `TypeError` naming the field. `from_spec` inverts it.
    """
    if not isinstance(obj, Struct):
        raise TypeError(f"`obj` must be a widenets value (a layer or a dual), got {type(obj).__name__}.")
    name = type(obj).__name__
    fields = {f.name: _encode(getattr(obj, f.name), f"{name}.{f.name}") for f in dataclasses.fields(obj)}
    return {"type": _public_name(type(obj)), "fields": fields}


def _decode(value: Any, registry: dict) -> Any:
    if isinstance(value, dict) and set(value) == {"type", "fields"}:
        return from_spec(value, registry)
    if isinstance(value, list):
        return tuple(_decode(v, registry) for v in value)
    return value


def from_spec(spec: dict, registry: dict | None = None) -> Any:
    """The value `to_spec` described. Types are looked up in widenets' public modules and in
    ``registry`` (``{"module:Class": Class}``, for user-defined layers); lists become tuples."""
    import importlib

    if not (isinstance(spec, dict) and isinstance(spec.get("type"), str) and isinstance(spec.get("fields"), dict)):
        raise ValueError(f"`spec` must be a dict with 'type' and 'fields' (from `to_spec`), got {spec!r:.80}.")
    registry = registry or {}
    name = spec["type"]
    cls = registry.get(name)
    if cls is None:
        module, _, cls_name = name.partition(":")
        if module not in PUBLIC_MODULES:
            raise ValueError(
                f"`spec` names the type {name!r}, which is not in widenets' public modules; pass it in "
                f"`registry` as {{{name!r}: TheClass}}."
            )
        cls = getattr(importlib.import_module(module), cls_name, None)
        if not (isinstance(cls, type) and issubclass(cls, Struct)):
            raise ValueError(f"`spec` names an unknown type {name!r}.")
    fields = {k: _decode(v, registry) for k, v in spec["fields"].items()}
    return cls(**fields)
