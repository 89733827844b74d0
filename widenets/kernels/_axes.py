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

import collections
import enum
import functools
import numbers
import operator
import string
from collections.abc import Callable, Sequence
from typing import Any

import jax

from .._validation import parse_get

#: names accepted by ``implementation``, indexed by neural-tangents' ``NtkImplementation``
#: integer codes (0 = auto, 1 = Jacobian contraction, 2 = NTK-vector products, 3 = structured
#: derivatives, which is not implemented).
IMPLEMENTATIONS = ("auto", "jacobian_contraction", "ntk_vector_products", "structured_derivatives")
KERNELS = ("nngp", "ntk")


class NtkImplementation(enum.IntEnum):
    """How an empirical NTK is computed: neural-tangents 0.6.5's enum, same members and codes.

    Accepted wherever ``implementation`` is, as are its integer values and the lower-case
    member names (``'jacobian_contraction'``). Costs and the ``AUTO`` rule are described in
    `widenets.kernels._ntk_methods`.

    Attributes:
      AUTO: 0, the cheaper of 1 and 2 by a FLOP estimate made from shapes.
      JACOBIAN_CONTRACTION: 1, two reverse-mode Jacobians contracted leaf by leaf (default).
      NTK_VECTOR_PRODUCTS: 2, NTK-vector products J(x1) (J(x2)ᵀ v) over an output basis.
      STRUCTURED_DERIVATIVES: 3, neural-tangents' custom interpreter (Novak et al. 2022,
        arXiv:2206.08720); not implemented: raises `NotImplementedError`.
    """

    AUTO = 0
    JACOBIAN_CONTRACTION = 1
    NTK_VECTOR_PRODUCTS = 2
    STRUCTURED_DERIVATIVES = 3


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


def check_get(get: Any) -> tuple[tuple[str, ...], bool]:
    """``get`` ('nngp', 'ntk', a tuple of them, or None for both; case ignored) as
    ``(names, single)``, `widenets._validation.parse_get`'s reading."""
    return parse_get(get, KERNELS, default=KERNELS)


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


def swap_perm(ndim: int, trace_axes: tuple[int, ...], diagonal_axes: tuple[int, ...]) -> tuple[int, ...]:
    """The axis permutation taking a kernel K(x1, x2) of ``ndim`` axes in this layout to
    K(x2, x1): each (x1-axis, x2-axis) pair swapped, diagonal axes kept.

    The outputs' rank m follows from ``ndim = 2(m − t − d) + d`` (t traced, d diagonal axes).
    """
    m2 = ndim - len(diagonal_axes)
    if m2 < 0 or m2 % 2:
        raise ValueError(f"a kernel of {ndim} axes does not fit trace_axes={trace_axes}, "
                         f"diagonal_axes={diagonal_axes}.")
    m = m2 // 2 + len(trace_axes) + len(diagonal_axes)
    traced = _canonical("trace_axes", trace_axes, m)
    diag = _canonical("diagonal_axes", diagonal_axes, m)
    perm: list[int] = []
    for axis in range(m):
        if axis in traced:
            continue
        p = len(perm)
        perm += [p] if axis in diag else [p + 1, p]
    return tuple(perm)


def swap_inputs(trace_axes: tuple[int, ...], diagonal_axes: tuple[int, ...], kernels: Any) -> Any:
    """Every kernel array in the pytree ``kernels`` (one layout) taken from K(x1, x2) to K(x2, x1)."""
    return jax.tree.map(lambda k: k.transpose(swap_perm(k.ndim, trace_axes, diagonal_axes)), kernels)


def check_structured_flags(j_rules: Any, s_rules: Any, fwd: Any) -> None:
    """neural-tangents' ``_j_rules``, ``_s_rules`` (bools) and ``_fwd`` (None or a bool): they
    tune only its structured-derivatives method (code 3), so they are checked and ignored."""
    for name, value in (("_j_rules", j_rules), ("_s_rules", s_rules)):
        if not isinstance(value, bool):
            raise TypeError(f"`{name}` must be a bool, got {value!r}.")
    if fwd is not None and not isinstance(fwd, bool):
        raise TypeError(f"`_fwd` must be None or a bool, got {fwd!r}.")


@functools.cache
def result_type(type_name: str, names: tuple[str, ...]) -> type:
    """The namedtuple type ``type_name`` with fields ``names`` (cached, so equal calls return
    instances of one type, as neural-tangents' results are)."""
    return collections.namedtuple(type_name, names)


def pack_result(type_name: str, values: dict[str, Any], names: tuple[str, ...], single: bool) -> Any:
    """neural-tangents' return convention for ``get``: the value itself for a string ``get``,
    else a namedtuple ``type_name`` with the requested fields in ``get`` order."""
    if single:
        return values[names[0]]
    return result_type(type_name, names)(*(values[n] for n in names))
