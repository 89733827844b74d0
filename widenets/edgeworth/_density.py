"""Edgeworth densities of a symmetric, nearly Gaussian variable (finite-width outputs).

For a centred symmetric variable with variance K, excess kurtosis γ₂ = κ4/K² = O(1/n) and
sixth cumulant κ6 = O(1/n²), the Edgeworth expansion in u = y/√K reads (e.g. Hall, *The
Bootstrap and Edgeworth Expansion*, §2.2; Antognini 2019, arXiv:1908.10030)

    p(y) = φ(u)/√K · [1 + γ₂/24·He4(u)                                       (order 1, O(1/n))
                        + κ6/(720K³)·He6(u) + γ₂²/1152·He8(u)]              (order 2, O(1/n²))

and, since d/du[φ(u) He_{k−1}(u)] = −φ(u) He_k(u), the distribution function is

    F(y) = Φ(u) − φ(u)·[γ₂/24·He3(u) + κ6/(720K³)·He5(u) + γ₂²/1152·He7(u)].

Multivariate, O(1/n): p(y) = N(y; 0, K)·[1 + κ_{abcd} H^{abcd}(y)/24] with the Hermite tensor
of `_hermite.hermite_tensor` (u = K⁻¹y). The truncated series is not a density everywhere: it
integrates to 1 and has the stated cumulants, but may dip below 0: at order 1 the bracket
1 + γ₂/24·He4(u) is ≥ 0 for every u iff 0 ≤ γ₂ ≤ 4 (He4 ≥ −6, attained at u² = 3); for γ₂ < 0
it is negative for large |u|. See `edgeworth_logpdf` for what is returned there.
"""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import as_float_array, check_int
from ._hermite import hermite_e, hermite_tensor, inverse_psd

Array = jax.Array


def _check_order(order: Any) -> int:
    order = check_int("order", order)
    if order not in (1, 2):
        raise ValueError(f"`order` must be 1 or 2, got {order}.")
    return order


def _positive(name: str, value: Array) -> None:
    try:
        ok = bool(jnp.all(value > 0))
    except jax.errors.ConcretizationTypeError:
        return
    if not ok:
        raise ValueError(f"`{name}` must be > 0 everywhere, got {value}.")


def _prepare(y: Any, K: Any, gamma2: Any, kappa6: Any, order: Any):
    """Validated (u, K, γ₂, c6, order) broadcast to one shape; c6 = κ6/(720 K³) or None."""
    order = _check_order(order)
    y = as_float_array("y", y, min_ndim=0)
    K = as_float_array("K", K, min_ndim=0)
    gamma2 = as_float_array("gamma2", gamma2, min_ndim=0)
    _positive("K", K)
    arrays = [y, K, gamma2]
    if order == 2:
        if kappa6 is None:
            raise ValueError("`kappa6` is required for order=2 (pass 0.0 to drop the He6 term).")
        arrays.append(as_float_array("kappa6", kappa6, min_ndim=0))
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as err:
        raise ValueError(
            "`y`, `K`, `gamma2` (and `kappa6`) must broadcast together, got shapes "
            f"{[a.shape for a in arrays]}."
        ) from err
    dtype = jnp.result_type(*arrays)
    arrays = [jnp.broadcast_to(a.astype(dtype), shape) for a in arrays]
    y, K, gamma2 = arrays[:3]
    c6 = arrays[3] / (720.0 * K**3) if order == 2 else None
    return y / jnp.sqrt(K), K, gamma2, c6, order


def _bracket(u: Array, gamma2: Array, c6: Array | None, shift: int) -> Array:
    """Σ_k c_k He_{k−shift}(u) over the series terms (shift 0: pdf bracket − 1; shift 1: cdf)."""
    out = gamma2 / 24.0 * hermite_e(4 - shift, u)
    if c6 is not None:
        out = out + c6 * hermite_e(6 - shift, u) + gamma2**2 / 1152.0 * hermite_e(8 - shift, u)
    return out


def _log_phi(u: Array) -> Array:
    return -0.5 * u**2 - 0.5 * math.log(2.0 * math.pi)


def edgeworth_pdf(y: Any, K: Any, gamma2: Any, *, kappa6: Any = None, order: int = 1) -> Array:
    """Edgeworth density of a symmetric variable with variance K and excess kurtosis γ₂.

    order=1: φ(u)/√K·[1 + γ₂/24 He4(u)], u = y/√K; order=2 adds κ6/(720K³) He6(u) +
    γ₂²/1152 He8(u) (``kappa6`` required; ignored at order 1). ``K``, ``gamma2``, ``kappa6``
    are scalars or arrays broadcasting with ``y``. The truncated series can be negative in
    the tails when |γ₂| is large; it is returned as is.
    """
    u, K, gamma2, c6, _ = _prepare(y, K, gamma2, kappa6, order)
    return jnp.exp(_log_phi(u)) / jnp.sqrt(K) * (1.0 + _bracket(u, gamma2, c6, 0))


def edgeworth_cdf(y: Any, K: Any, gamma2: Any, *, kappa6: Any = None, order: int = 1) -> Array:
    """Distribution function of `edgeworth_pdf`, in closed form:
    F(y) = Φ(u) − φ(u)[γ₂/24 He3(u) (+ κ6/(720K³) He5(u) + γ₂²/1152 He7(u) at order 2)]."""
    u, K, gamma2, c6, _ = _prepare(y, K, gamma2, kappa6, order)
    big_phi = 0.5 * jax.scipy.special.erfc(-u / math.sqrt(2.0))
    return big_phi - jnp.exp(_log_phi(u)) * _bracket(u, gamma2, c6, 1)


def edgeworth_logpdf(y: Any, K: Any, gamma2: Any, *, kappa6: Any = None, order: int = 1) -> Array:
    """log of `edgeworth_pdf`, computed as log φ(u) − ½ log K + log(bracket) (no underflow
    of φ in the tails). Where the truncated bracket is ≤ 0 the series is not a density and
    the result is −inf (never NaN)."""
    u, K, gamma2, c6, _ = _prepare(y, K, gamma2, kappa6, order)
    bracket = 1.0 + _bracket(u, gamma2, c6, 0)
    positive = bracket > 0
    log_bracket = jnp.where(positive, jnp.log(jnp.where(positive, bracket, 1.0)), -jnp.inf)
    return _log_phi(u) - 0.5 * jnp.log(K) + log_bracket


def edgeworth_pdf_multivariate(y: Any, K: Any, kappa4: Any) -> Array:
    """p-variate Edgeworth density to O(1/n): N(y; 0, K)·[1 + κ_{abcd} H^{abcd}(y)/24].

    Args:
      y: points (..., p).
      K: (p, p) symmetric positive-definite covariance.
      kappa4: (p, p, p, p) joint fourth cumulant tensor (symmetric).

    Returns:
      Array (...): the (truncated-series) density at each point.
    """
    y = as_float_array("y", y, min_ndim=1)
    kinv = inverse_psd("K", K).astype(y.dtype)
    K = jnp.asarray(K, y.dtype)
    p = K.shape[0]
    kappa4 = as_float_array("kappa4", kappa4, min_ndim=0).astype(y.dtype)
    if kappa4.shape != (p,) * 4:
        raise ValueError(f"`kappa4` must have shape {(p,) * 4} (p from `K`), got {kappa4.shape}.")
    if y.shape[-1] != p:
        raise ValueError(f"`y` must have last axis of size p = {p} (that of `K`), got shape {y.shape}.")
    h4 = hermite_tensor(y, K, 4)
    correction = jnp.einsum("...abcd,abcd->...", h4, kappa4) / 24.0
    quad = jnp.einsum("...a,ab,...b->...", y, kinv, y)
    _, logdet = jnp.linalg.slogdet(K)
    log_normal = -0.5 * quad - 0.5 * logdet - 0.5 * p * math.log(2.0 * math.pi)
    return jnp.exp(log_normal) * (1.0 + correction)
