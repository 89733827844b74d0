"""Shapes: neural-tangents' kernel layout for outputs, flattened to matrices and back.

Targets ``y_train`` have a batch axis 0 and output axes; ``trace_axes`` name the output axes
along which the kernel is the identity (Θ ⊗ I), so the kernel lacks them. For the
remaining ("kernel") axes of ``y`` with shape (N, X, Y, ...), a kernel has the *zipped*
layout (N, N', X, X', Y, Y', ...) of neural-tangents (x1-axis, x2-axis pairs). The standard
case is ``y`` of shape (N, k) with ``trace_axes=(-1,)`` and a kernel of shape (N, N).

Internally every kernel becomes a matrix of shape (M1, M2) with M = N·X·Y···, and targets
become a matrix (M, C) whose C columns are the traced axes flattened; the solvers only see
these matrices.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

Array = jax.Array


class Layout(NamedTuple):
    """Where the kernel axes and the traced axes of ``y_train`` are.

    Attributes:
      trace_axes: traced axes of ``y_train``, non-negative and sorted.
      kernel_shape: shape of ``y_train`` along its other axes (batch axis first).
      trace_shape: shape of ``y_train`` along ``trace_axes``.
    """

    trace_axes: tuple[int, ...]
    kernel_shape: tuple[int, ...]
    trace_shape: tuple[int, ...]

    @property
    def n_kernel_axes(self) -> int:
        return len(self.kernel_shape)

    def output_shape(self, kernel_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of outputs whose kernel axes have ``kernel_shape`` (traced axes re-inserted)."""
        shape = list(kernel_shape)
        for axis, size in zip(self.trace_axes, self.trace_shape):
            shape.insert(axis, size)
        return tuple(shape)


def make_layout(trace_axes: Any, y_shape: tuple[int, ...]) -> Layout:
    """Validate ``trace_axes`` for targets of shape ``y_shape`` (NT: duplicates are merged)."""
    ndim = len(y_shape)
    axes = [trace_axes] if isinstance(trace_axes, numbers.Integral) else trace_axes
    if isinstance(axes, (str, bytes)) or not hasattr(axes, "__iter__"):
        raise TypeError(f"`trace_axes` must be an int or a sequence of ints, got {trace_axes!r}.")
    axes = list(axes)
    if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
        raise TypeError(f"`trace_axes` must be an int or a sequence of ints, got {trace_axes!r}.")
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(
            f"`trace_axes` {tuple(trace_axes) if not isinstance(trace_axes, int) else trace_axes} "
            f"is out of range for `y_train` of shape {y_shape}."
        )
    canonical = tuple(sorted({int(a) % ndim for a in axes}))
    if 0 in canonical:
        raise ValueError(
            f"`trace_axes` {trace_axes!r} includes the batch axis 0 of `y_train` (shape {y_shape}); "
            "only output axes can be traced. For 1-D targets use shape (N, 1) or trace_axes=()."
        )
    kernel_shape = tuple(s for i, s in enumerate(y_shape) if i not in canonical)
    trace_shape = tuple(y_shape[a] for a in canonical)
    return Layout(canonical, kernel_shape, trace_shape)


def targets_to_2d(y: Array, layout: Layout) -> Array:
    """(N, ...) outputs → (M, C): kernel axes flattened to rows, traced axes to columns."""
    n_t = len(layout.trace_axes)
    moved = jnp.moveaxis(y, layout.trace_axes, tuple(range(y.ndim - n_t, y.ndim)))
    return moved.reshape((math.prod(moved.shape[: y.ndim - n_t]), math.prod(layout.trace_shape)))


def outputs_from_2d(z: Array, lead: tuple[int, ...], kernel_shape: tuple[int, ...], layout: Layout) -> Array:
    """Inverse of `targets_to_2d` with ``lead`` extra leading (time) axes: (*lead, M, C) → outputs."""
    z = z.reshape(lead + kernel_shape + layout.trace_shape)
    n_lead, n_t = len(lead), len(layout.trace_axes)
    src = tuple(range(z.ndim - n_t, z.ndim))
    dst = tuple(n_lead + a for a in layout.trace_axes)
    return jnp.moveaxis(z, src, dst)


def kernel_to_2d(k: Array) -> Array:
    """Zipped (X, X', Y, Y', ...) kernel → (X·Y···, X'·Y'···) matrix."""
    n = k.ndim // 2
    unzipped = jnp.transpose(k, tuple(range(0, 2 * n, 2)) + tuple(range(1, 2 * n, 2)))
    return unzipped.reshape((math.prod(k.shape[0::2]), math.prod(k.shape[1::2])))


def cov_from_2d(c: Array, lead: tuple[int, ...], kernel_shape: tuple[int, ...]) -> Array:
    """(*lead, M, M) covariance → zipped (*lead, X, X, Y, Y, ...) layout (inverse of `kernel_to_2d`)."""
    n, n_lead = len(kernel_shape), len(lead)
    c = c.reshape(lead + kernel_shape + kernel_shape)
    order = tuple(range(n_lead))
    for i in range(n):
        order += (n_lead + i, n_lead + n + i)
    return jnp.transpose(c, order)


def _check_ndim(name: str, k: Array, layout: Layout) -> None:
    n = layout.n_kernel_axes
    if k.ndim != 2 * n:
        expected = "(N, N)" if n == 1 else f"the zipped {2 * n}-D (N, N, X, X, ...) layout"
        raise ValueError(
            f"`{name}` must have {2 * n} dimensions ({expected}: one pair per non-traced axis of "
            f"`y_train` {layout.output_shape(layout.kernel_shape)} with trace_axes="
            f"{layout.trace_axes}), got shape {k.shape}."
        )


def check_train_kernel(name: str, k: Array, layout: Layout) -> None:
    """``k`` must be square and match the kernel axes of ``y_train``."""
    _check_ndim(name, k, layout)
    if k.shape[0::2] != k.shape[1::2]:
        raise ValueError(f"`{name}` must be square (x1 axes equal to x2 axes), got shape {k.shape}.")
    if tuple(k.shape[0::2]) != layout.kernel_shape:
        raise ValueError(
            f"`y_train` has kernel axes {layout.kernel_shape} (N = {layout.kernel_shape[0]} rows), "
            f"which must match `{name}` of shape {k.shape} (N = {k.shape[0]})."
        )


def check_test_kernel(name: str, k: Array, layout: Layout, *, n_test: int | None = None) -> None:
    """``k`` (T, N, ...) must have x2 axes equal to the training kernel axes, and T = ``n_test``."""
    _check_ndim(name, k, layout)
    if tuple(k.shape[1::2]) != layout.kernel_shape:
        raise ValueError(
            f"`{name}` has x2 axes {tuple(k.shape[1::2])} (shape {k.shape}); they must be the "
            f"training kernel axes {layout.kernel_shape} (N = {layout.kernel_shape[0]} columns)."
        )
    if tuple(k.shape[2::2]) != layout.kernel_shape[1:]:
        raise ValueError(
            f"`{name}` has non-batch x1 axes {tuple(k.shape[2::2])} (shape {k.shape}); they must "
            f"be {layout.kernel_shape[1:]} as for the training data."
        )
    if n_test is not None and k.shape[0] != n_test:
        raise ValueError(f"`{name}` must have {n_test} test rows, got shape {k.shape}.")
