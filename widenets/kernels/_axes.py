"""Argument checks and output-axis bookkeeping shared by the empirical kernels.

Kernel layout (neural-tangents 0.6.5 convention). For outputs f(x1) of shape
(A₀, A₁, …, A_{m−1}) and f(x2) of shape (B₀, A₁, …) — axis 0 is the batch — the kernel
walks the output axes in order and emits, for axis a:

* nothing, if a is in ``trace_axes`` (summed, then divided by the traced size: a mean);
* one axis of size A_a, if a is in ``diagonal_axes`` (only x1-index == x2-index entries);
* two axes (A_a, B_a) otherwise (x1's, then x2's).

So for f(x) of shape (N, k): ``trace_axes=()`` gives (N1, N2, k, k), ``trace_axes=(-1,)``
gives (N1, N2), ``diagonal_axes=(-1,)`` gives (N1, N2, k), ``diagonal_axes=(0,)`` (with
N1 == N2) gives (N, k, k). Every layout is one `jnp.einsum` (`pair_spec`, `full_spec`).
"""
from __future__ import annotations

import functools
import numbers
import operator
import string
from collections.abc import Callable, Sequence
from typing import Any

import jax

#: names accepted by ``implementation``, indexed by neural-tangents' ``NtkImplementation``
#: integer codes (0 = auto, 1 = Jacobian contraction, 2 = NTK-vector products, 3 = structured
#: derivatives, which is not implemented).
IMPLEMENTATIONS = ("auto", "jacobian_contraction", "ntk_vector_products", "structured_derivatives")
KERNELS = ("nngp", "ntk")


def check_axes(name: str, axes: Any) -> tuple[int, ...]:
    """``axes`` (an int or a sequence of ints) as a tuple of ints; ranges are checked later."""
    seq = (axes,) if isinstance(axes, numbers.Integral) else axes
    if isinstance(axes, bool) or not isinstance(seq, Sequence) or isinstance(seq, str) or not all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in seq
    ):
        raise TypeError(f"`{name}` must be an int or a tuple of ints, got {axes!r}.")
    return tuple(int(a) for a in seq)


check_trace_axes = functools.partial(check_axes, "trace_axes")


def check_implementation(implementation: Any) -> str:
    """Canonical name of ``implementation`` (a name or neural-tangents' integer code)."""
    name = implementation
    if isinstance(implementation, numbers.Integral) and not isinstance(implementation, bool):
        code = int(implementation)
        name = IMPLEMENTATIONS[code] if 0 <= code < len(IMPLEMENTATIONS) else implementation
    if not isinstance(name, str) or name.lower() not in IMPLEMENTATIONS:
        raise ValueError(
            f"`implementation` must be one of {IMPLEMENTATIONS} or neural-tangents' codes 0-3, "
            f"got {implementation!r}."
        )
    name = name.lower()
    if name == "structured_derivatives":
        raise NotImplementedError(
            "`implementation='structured_derivatives'` (neural-tangents code 3) is not "
            "implemented; use 'jacobian_contraction' (1), 'ntk_vector_products' (2) or 'auto' (0)."
        )
    return name


def check_get(get: Any) -> tuple[str, ...]:
    """``get`` ('nngp', 'ntk', a tuple of them, or None for both) as a tuple of names."""
    if get is None:
        return KERNELS
    names = (get,) if isinstance(get, str) else get
    if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"`get` must be None, 'nngp', 'ntk' or a tuple of them, got {get!r}.")
    if not names or any(n not in KERNELS for n in names):
        raise ValueError(f"`get` must name kernels among {KERNELS}, got {get!r}.")
    return tuple(dict.fromkeys(names))


def check_vmap_axes(vmap_axes: Any) -> tuple[Any, int, dict] | None:
    """``vmap_axes`` as ``(in_axes, out_axes, kwargs_axes)`` or None (neural-tangents' rule:
    anything but a 3-tuple means ``in_axes = out_axes = vmap_axes`` and no kwargs axes)."""
    if vmap_axes is None:
        return None
    if isinstance(vmap_axes, tuple) and len(vmap_axes) == 3:
        in_axes, out_axes, kw_axes = vmap_axes
    else:
        in_axes, out_axes, kw_axes = vmap_axes, vmap_axes, {}
    kw_axes = {} if kw_axes is None else kw_axes
    int_leaves = all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool)
        for a in jax.tree_util.tree_leaves(in_axes)
    )
    if in_axes is None or not int_leaves:
        raise TypeError(f"`vmap_axes`: inputs' axes must be an int or a pytree of ints, got {in_axes!r}.")
    if isinstance(out_axes, bool) or not isinstance(out_axes, numbers.Integral):
        raise TypeError(f"`vmap_axes`: the outputs' axis must be an int, got {out_axes!r}.")
    if not isinstance(kw_axes, dict):
        raise TypeError(f"`vmap_axes`: keyword-argument axes must be a dict, got {kw_axes!r}.")
    return in_axes, int(out_axes), dict(kw_axes)


def _canonical(name: str, axes: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"`{name}` entry {a} is out of range for outputs with {ndim} axes.")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"`{name}` has repeated axes: {axes}.")
    return tuple(sorted(out))


def layout(
    trace_axes: tuple[int, ...], diagonal_axes: tuple[int, ...], shape1: tuple, shape2: tuple,
    batch_axis: int = 0,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Canonical (traced, diagonal) axes for outputs of shapes ``shape1``, ``shape2``.

    The batch axis (0, or vmap_axes' output axis) cannot be traced (that would mix examples;
    neural-tangents allows it); it can be diagonal when N1 == N2. Traced and diagonal axes
    must have equal sizes in both outputs; every other non-batch axis too.
    """
    ndim = len(shape1)
    traced = _canonical("trace_axes", trace_axes, ndim)
    diag = _canonical("diagonal_axes", diagonal_axes, ndim)
    if batch_axis in traced:
        raise ValueError(f"`trace_axes` cannot contain the batch axis {batch_axis} of the outputs.")
    if set(traced) & set(diag):
        raise ValueError(f"`trace_axes` {trace_axes} and `diagonal_axes` {diagonal_axes} overlap.")
    if len(shape2) != ndim or any(
        shape1[a] != shape2[a] for a in range(ndim) if a != batch_axis or a in diag
    ):
        hint = " (`diagonal_axes` holds the batch axis, so x1 and x2 need as many examples)" \
            if batch_axis in diag else ""
        raise ValueError(
            f"`f` must give x1 and x2 outputs that differ at most in the batch axis "
            f"{batch_axis}, got {shape1} and {shape2}{hint}."
        )
    return traced, diag


def traced_size(shape: tuple, traced: tuple[int, ...]) -> int:
    return functools.reduce(operator.mul, (shape[a] for a in traced), 1)


def pair_spec(ndim: int, extra: int, traced: tuple, diag: tuple) -> str:
    """einsum spec for ``(out1 ⊗ params, out2 ⊗ params) -> kernel``, ``extra`` param axes summed."""
    letters = iter(string.ascii_letters)
    lhs, rhs, out = [], [], []
    for axis in range(ndim):
        a = next(letters)
        b = a if axis in traced or axis in diag else next(letters)
        lhs.append(a)
        rhs.append(b)
        out += [] if axis in traced else [a] if axis in diag else [a, b]
    params = [next(letters) for _ in range(extra)]
    return f"{''.join(lhs + params)},{''.join(rhs + params)}->{''.join(out)}"


def full_spec(ndim: int, traced: tuple, diag: tuple, x2_first: bool = False) -> str:
    """einsum spec taking a full ``(*out1, *out2)`` kernel (or ``(*out2, *out1)`` when
    ``x2_first``) to the layout: repeated letters take traces and diagonals."""
    lhs_rhs = pair_spec(ndim, 0, traced, diag)
    (lhs, rhs), out = lhs_rhs.split("->")[0].split(","), lhs_rhs.split("->")[1]
    return f"{rhs + lhs if x2_first else lhs + rhs}->{out}"


def check_f(f: Any) -> Callable:
    if not callable(f):
        raise TypeError(f"`f` must be a callable f(params, x, **kwargs), got {type(f).__name__}.")
    return f
