"""Exact cumulants of a one-hidden-layer network's output, at any width.

y(x_a) = b + Σ_{i≤n} v_i σ(h_{i;a}), with h_i ~ N(0, K¹) i.i.d. (K¹ = C_b + C_W x xᵀ/d),
b ~ N(0, C_b), v_i i.i.d. symmetric with Var v = C_W/n and normalised moments m4, m6. The
terms t_i = v_i σ(h_i) are i.i.d. and symmetric, so cumulants of y add over i (b adds only to
the variance). For one term, with s = σ(h) and E v^{2k} = m_{2k}(C_W/n)^k:

    κ2(ab)      = (C_W/n)⟨s_a s_b⟩
    κ4(abcd)    = (C_W/n)²[m4⟨s_a s_b s_c s_d⟩ − (⟨s_a s_b⟩⟨s_c s_d⟩ + 2 perms)]
    κ6(aaaaaa)  = (C_W/n)³[m6⟨s⁶⟩ − 15 m4⟨s⁴⟩⟨s²⟩ + 30⟨s²⟩³]

(κ6 = μ6 − 15μ4μ2 + 30μ2³ for a centred symmetric variable; the μ3 terms vanish.) Summing n
terms: K = C_b + C_W⟨σσ⟩_{K¹}, κ4 = (C_W²/n)[…], κ6 = (C_W³/n²)[…] — Antognini 2019,
arXiv:1908.10030. ⟨σσ⟩ uses the dual's closed form; ⟨σσσσ⟩ and ⟨σ⁶⟩ use
Gauss–Hermite quadrature (`widenets.duals.gaussian_expectation_nd` / `gaussian_expectation`).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

from .. import duals
from .._validation import check_int
from ._laws import WeightLaw, gaussian_weights
from ._inputs import (
    check_dual,
    check_variances,
    check_x,
    default_deg,
    input_kernel,
    sigma_gram,
)

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class OneLayerCumulants:
    """Cumulants of the output of a one-hidden-layer network (exact at every width).

    Attributes:
      K: (p, p) output covariance.
      kappa4: (p, p, p, p) joint fourth cumulant.
      kappa6: (p,) sixth cumulant of each output (diagonal entries only).
      gamma2: (p,) excess kurtosis κ4_aaaa / K_aa².
    """

    K: Array
    kappa4: Array
    kappa6: Array
    gamma2: Array


def pairing_sum(a: Array) -> Array:
    """a(ab)(cd) + a(ac)(bd) + a(ad)(bc) for a (p, p, p, p) tensor indexed [a, b, c, d]."""
    return a + jnp.transpose(a, (0, 2, 1, 3)) + jnp.transpose(a, (0, 3, 2, 1))


def one_hidden_layer(
    x: Any,
    dual: duals.Dual,
    width: int,
    *,
    C_W: float = 1.0,
    C_b: float = 0.0,
    law: WeightLaw = gaussian_weights(),
    deg: int | None = None,
) -> OneLayerCumulants:
    """Exact output cumulants of y = b + Σ_{i≤width} v_i σ(h_i) (module docstring).

    Args:
      x: inputs (p, d); K¹ = C_b + C_W x xᵀ/d.
      dual: the activation σ (`widenets.duals.Dual` with ``fn``).
      width: hidden width n ≥ 1.
      C_W, C_b: weight and bias variances (≥ 0), the same in both layers.
      law: the output-weight law (its m4, m6); default Gaussian.
      deg: Gauss–Hermite nodes per dimension for ⟨σσσσ⟩ (p-D rule, deg^p nodes) and the
        1-D ⟨σ⁴⟩, ⟨σ⁶⟩; ``None``: `default_deg(p)` (64 for one input).

    Returns:
      `OneLayerCumulants`.

    Example: ReLU, C_W = 2, one input with |x|²/d = 1, Gaussian weights: K = 2,
    κ4 = (4/n)(3·6 − 3·1) = 15/n, γ₂ = 15/(4n).
    """
    x = check_x(x)
    dual = check_dual(dual)
    width = check_int("width", width, minimum=1)
    C_W, C_b = check_variances(C_W, C_b)
    if not isinstance(law, WeightLaw):
        raise TypeError(f"`law` must be a WeightLaw (e.g. gaussian_weights()), got {type(law).__name__}.")
    k1 = input_kernel(x, C_W, C_b)
    p = k1.shape[0]
    deg = default_deg(p) if deg is None else check_int("deg", deg, minimum=1)
    fn = dual.fn
    s2 = sigma_gram(dual, k1)
    s4 = duals.gaussian_expectation_nd(
        lambda z: jnp.einsum("a,b,c,d->abcd", *(4 * [fn(z)])), k1, deg=deg
    )
    diag = jnp.diagonal(k1)
    s4_diag = duals.gaussian_expectation(lambda z: fn(z) ** 4, diag, deg=deg)
    s6_diag = duals.gaussian_expectation(lambda z: fn(z) ** 6, diag, deg=deg)
    # the diagonal ⟨σ_a⁴⟩ from the 1-D rule (same nodes when p = 1; exact-rank otherwise)
    idx = jnp.arange(p)
    s4 = s4.at[idx, idx, idx, idx].set(s4_diag)
    kappa4 = (C_W**2 / width) * (law.m4 * s4 - pairing_sum(jnp.einsum("ab,cd->abcd", s2, s2)))
    s2_diag = jnp.diagonal(s2)
    kappa6 = (C_W**3 / width**2) * (
        law.m6 * s6_diag - 15.0 * law.m4 * s4_diag * s2_diag + 30.0 * s2_diag**3
    )
    K = C_b + C_W * s2
    gamma2 = kappa4[idx, idx, idx, idx] / jnp.diagonal(K) ** 2
    return OneLayerCumulants(K=K, kappa4=kappa4, kappa6=kappa6, gamma2=gamma2)
