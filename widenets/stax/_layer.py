"""`Layer`: the base class of every architecture in `widenets.stax`, and how to write one.

A layer is an immutable value (a `widenets._struct.Struct`: a frozen dataclass registered as
a JAX pytree) that carries its hyperparameters and knows both readings of itself:

* the **finite network**: ``init(key, input_shape) -> (output_shape, params)`` and
  ``apply(params, inputs, **kwargs) -> outputs``, as in ``jax.example_libraries.stax`` and
  neural-tangents;
* the **infinite-width limit**: ``rule(kernel) -> kernel``, how the layer maps the `Kernel`
  of its inputs to the kernel of its outputs.

Float hyperparameters are pytree leaves, so they may be traced (``jax.grad`` or ``jax.vmap``
over ``W_std``); widths, shapes and names are `static` fields, the structure that keys the
compiled kernel. A layer still unpacks as neural-tangents' triple::

    init_fn, apply_fn, kernel_fn = stax.Dense(512)

Writing a new layer (the built-in layers are written exactly this way)::

    class Scale(stax.Layer):
        '''y = c·x; nngp' = c²·nngp, ntk' = c²·ntk (c is not trained).'''
        c: float = 1.0

        def init(self, key, input_shape):
            return input_shape, ()

        def apply(self, params, inputs, **kwargs):
            return self.c * inputs

        def rule(self, k):
            c2 = self.c ** 2
            return k.replace(nngp=c2 * k.nngp, ntk=c2 * k.ntk, cov1=c2 * k.cov1,
                             cov2=c2 * k.cov2)

The engine keeps ``shape1``/``shape2`` of the kernel in step with the finite network (from
`output_shape`, which by default runs ``init`` abstractly), so a rule only maps the arrays
and the flags it changes (``is_gaussian``, axes). Two optional methods say what a layer
needs of its input kernel: `input_form` (does it need the full spatial covariance?) and
`input_axes` (where are the batch and channel axes of the raw inputs?). See
docs/howto/add-layer.md.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from .._struct import Struct, static
from ._kernel import FORMS, Kernel, is_kernel_tree

Shape = tuple[int, ...]


def is_shape(obj: Any) -> bool:
    """A single input shape: a tuple of ints (lists hold the shapes of several branches)."""
    return isinstance(obj, tuple) and all(isinstance(s, int) and not isinstance(s, bool) for s in obj)


def richer(*forms: str) -> str:
    """The form holding the most information among ``forms`` (flat < diagonal < full)."""
    return max(forms, key=FORMS.index)


class Layer(Struct):
    """Base class of layers: subclass it and implement `init`, `apply` and `rule`.

    See the module docstring for the protocol and an example.
    """

    # -- the three methods a layer implements ------------------------------------------------
    def init(self, key: jax.Array, input_shape: Any) -> tuple[Any, Any]:
        """``(output_shape, params)`` of the finite layer for inputs of ``input_shape``."""
        raise NotImplementedError(f"{type(self).__name__} has no finite network (`init`).")

    def apply(self, params: Any, inputs: Any, **kwargs: Any) -> Any:
        """The finite layer's outputs for ``inputs`` (batch axis included)."""
        raise NotImplementedError(f"{type(self).__name__} has no finite network (`apply`).")

    def rule(self, k: Any) -> Any:
        """The infinite-width kernel of the outputs, given the kernel ``k`` of the inputs."""
        raise NotImplementedError(f"{type(self).__name__} has no kernel rule.")

    # -- optional refinements --------------------------------------------------------------
    def output_shape(self, input_shape: Any) -> Any:
        """The finite output shape; by default read off `init`, traced abstractly."""
        box: list = []

        def draw(key):
            out_shape, params = self.init(key, input_shape)
            box.append(out_shape)
            return params

        jax.eval_shape(draw, jax.random.key(0))
        return box[0]

    def input_form(self, output_form: Any) -> Any:
        """The spatial form this layer needs of its input kernel when the rest of the network
        needs ``output_form`` of its output ('flat' < 'diagonal' < 'full').

        The default suits layers that act position by position (activations, `Dense`): they
        pass the requirement through, except that they need the per-position diagonal when
        the output could be flattened ('flat'), which only `Flatten` itself can take.
        """
        return "diagonal" if output_form == "flat" else output_form

    def input_axes(self) -> Any:
        """``(batch_axis, channel_axis)`` this layer requires of its inputs, or None (any)."""
        return None

    def spatially_white(self, input_white: Any) -> Any:
        """Whether the output's covariances between *different* positions are known to vanish
        (given whether the input's do). Only layers with independent weights per position
        (`ConvLocal`) create such outputs; a network whose output is spatially white returns
        its kernel's spatial diagonal (as neural-tangents does). Default: False.
        """
        return False

    # -- the engine's entry point ------------------------------------------------------------
    def transform(self, k: Any) -> Any:
        """`rule`, with the output kernel's ``shape1``/``shape2`` set from `output_shape`.

        Combinators, which own sublayers, override this to transform sublayer by sublayer.
        """
        out = self.rule(k)
        shapes1 = self.output_shape(_shapes(k, "shape1"))
        shapes2 = self.output_shape(_shapes(k, "shape2"))
        return _set_shapes(out, shapes1, shapes2)

    # -- neural-tangents' triple -------------------------------------------------------------
    @property
    def init_fn(self) -> Callable[..., Any]:
        return self.init

    @property
    def apply_fn(self) -> Callable[..., Any]:
        return self.apply

    @property
    def kernel_fn(self) -> KernelFn:
        return KernelFn(self)

    def __iter__(self):
        return iter((self.init_fn, self.apply_fn, self.kernel_fn))

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> Any:
        return (self.init_fn, self.apply_fn, self.kernel_fn)[index]


def _shapes(k: Any, field: str) -> Any:
    if isinstance(k, Kernel):
        return getattr(k, field)
    return [_shapes(x, field) for x in k]


def _set_shapes(out: Any, shapes1: Any, shapes2: Any) -> Any:
    if isinstance(out, Kernel):
        return out.replace(shape1=tuple(shapes1), shape2=tuple(shapes2))
    return [_set_shapes(o, s1, s2) for o, s1, s2 in zip(out, shapes1, shapes2)]


class KernelFn:
    """The ``kernel_fn`` of a layer: ``kernel_fn(x1, x2=None, get=None, *, diagonal_batch=True,
    diagonal_spatial=False, mask_constant=None)`` (neural-tangents' signature).

    Called on inputs it returns the infinite-width kernels (see `widenets.stax.evaluate`);
    called on a `Kernel` it applies the layer's rule alone (how kernels are composed by hand).
    Two kernel functions are equal when their layers are.
    """

    __slots__ = ("layer", "__weakref__")

    def __init__(self, layer: Layer):
        self.layer = layer

    def __call__(self, x1: Any, x2: Any = None, get: Any = None, **kwargs: Any) -> Any:
        from ._front import evaluate

        return evaluate(self.layer, x1, x2, get, **kwargs)

    @property
    def __name__(self) -> str:
        return f"kernel_fn[{type(self.layer).__name__}]"

    def __repr__(self) -> str:
        return f"<kernel_fn of {self.layer!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KernelFn) and other.layer == self.layer

    def __hash__(self) -> int:
        return hash((KernelFn, self.layer))


class Triple(Layer):
    """A layer given as a plain ``(init_fn, apply_fn, kernel_fn)`` triple (neural-tangents'
    representation), whose ``kernel_fn`` accepts a `Kernel`: lets such triples join
    `serial` and the other combinators. Prefer subclassing `Layer`, which can be inspected
    and traced."""

    init_callable: Callable = static()
    apply_callable: Callable = static()
    kernel_callable: Callable = static()

    def init(self, key, input_shape):
        return self.init_callable(key, input_shape)

    def apply(self, params, inputs, **kwargs):
        return self.apply_callable(params, inputs, **kwargs)

    def rule(self, k):
        return self.kernel_callable(k)

    def transform(self, k):  # the triple's kernel_fn keeps its own shapes
        return self.rule(k)


def as_layer(obj: Any, where: str = "layer") -> Layer:
    """``obj`` as a `Layer`: layers pass through, plain triples of callables are wrapped."""
    if isinstance(obj, Layer):
        return obj
    if isinstance(obj, (tuple, list)) and len(obj) == 3 and all(map(callable, obj)):
        return Triple(*obj)
    raise TypeError(
        f"{where} must be a widenets.stax layer (or an (init_fn, apply_fn, kernel_fn) triple), "
        f"got {type(obj).__name__}."
    )


def check_input_shape(name: str, input_shape: Any, min_ndim: int = 2) -> Shape:
    """Validate an ``init`` input shape: a tuple of ints (the batch entry may be -1)."""
    if not isinstance(input_shape, (tuple, list)) or not all(
        isinstance(s, int) and not isinstance(s, bool) for s in input_shape
    ):
        raise TypeError(f"{name}: `input_shape` must be a tuple of ints, got {input_shape!r}.")
    shape = tuple(input_shape)
    if len(shape) < min_ndim:
        raise ValueError(f"{name}: `input_shape` must be (batch, features...), got {shape}.")
    if any(s <= 0 for s in shape[1:]):
        raise ValueError(f"{name}: feature sizes in `input_shape` must be positive, got {shape}.")
    return shape


__all__ = ["Layer", "KernelFn", "Triple", "as_layer", "check_input_shape", "is_kernel_tree",
           "is_shape", "richer"]
