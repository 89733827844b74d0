"""Argument checks and small helpers shared by the theory and empirical modules of widenets.edgeworth (private)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .. import duals
from .._validation import as_float_array, check_float, check_int

Array = jax.Array


def check_x(x: Any) -> Array:
    """Inputs (p, d), p, d ≥ 1, finite."""
    x = as_float_array("x", x, min_ndim=2)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"`x` must have shape (p, d) with p, d >= 1, got {x.shape}.")
    return x


def check_dual(dual: Any) -> duals.Dual:
    """A `widenets.duals.Dual` with an activation ``fn`` (needed inside the quadratures)."""
    if not isinstance(dual, duals.Dual):
        raise TypeError(f"`dual` must be a widenets.duals.Dual, got {type(dual).__name__}.")
    if not dual.has_fn:
        raise ValueError(f"`dual` ({dual.name}) has no activation `fn`; networks and cumulants need it.")
    return dual


def check_widths(widths: Any) -> tuple[int, ...]:
    """Hidden widths (n_1, …, n_L): a non-empty sequence of positive ints."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise TypeError(f"`widths` must be a sequence of positive ints (n_1, …, n_L), got {widths!r}.")
    if len(widths) == 0:
        raise ValueError("`widths` must hold at least one hidden width, got an empty sequence.")
    return tuple(check_int(f"widths[{i}]", w, minimum=1) for i, w in enumerate(widths))


def check_variances(C_W: Any, C_b: Any) -> tuple[float, float]:
    return check_float("C_W", C_W, nonnegative=True), check_float("C_b", C_b, nonnegative=True)


def input_kernel(x: Array, C_W: float, C_b: float) -> Array:
    """K¹ = C_b + C_W x xᵀ/d, (p, p)."""
    return C_b + C_W * (x @ x.T) / x.shape[1]


def sigma_gram(dual: duals.Dual, K: Array) -> Array:
    """⟨σ_a σ_b⟩_K, (p, p), from the dual's closed forms (``nngp_diag`` on the diagonal)."""
    diag = jnp.diagonal(K)
    p = K.shape[0]
    q11 = jnp.broadcast_to(diag[:, None], (p, p))
    q22 = jnp.broadcast_to(diag[None, :], (p, p))
    gram = jnp.asarray(dual.nngp(q11, q22, K), K.dtype)
    gram = (gram + gram.T) / 2
    eye = jnp.eye(p, dtype=bool)
    return jnp.where(eye, jnp.diag(jnp.asarray(dual.nngp_diag(diag), K.dtype)), gram)


def default_deg(p: int) -> int:
    """Gauss–Hermite nodes per dimension for p-dimensional averages: deg^p nodes in all
    (64 for p = 1, 48 for p = 2, 24 for p = 3, 12 beyond)."""
    return {1: 64, 2: 48, 3: 24}.get(p, 12)
