"""Leading 1/n cumulants of a deep MLP: the kernel, the four-point vertex, the kernel shift.

Network (PDLT, arXiv:2106.10165, ch. 4): z¹ = b + W x, z^{ℓ+1} = b + W σ(z^ℓ), W_ij ~ N(0, C_W/fan_in),
b ~ N(0, C_b). Given layer ℓ (width n_ℓ), the neurons of z^{ℓ+1} are i.i.d. N(0, Ĝ^{ℓ+1}) with
the empirical kernel Ĝ^{ℓ+1}_{ab} = C_b + (C_W/n_ℓ) Σ_j σ(z_{j;a}) σ(z_{j;b}) (exact for
Gaussian weights). Write K for the infinite-width kernel, C^ℓ = Cov(Ĝ^ℓ, Ĝ^ℓ) (``cov_G``) and
δK^ℓ = E Ĝ^ℓ − K^ℓ (``delta_K``). Expanding ⟨σσ⟩_{Ĝ} around K by Gaussian integration by parts,

    ∂⟨F⟩_K/∂K_{ab} = ½⟨F H^{ab}⟩_K,   ∂²⟨F⟩_K/∂K_{ab}∂K_{cd} = ¼⟨F H^{abcd}⟩_K

(sums over ordered index pairs; H the Hermite tensors with u = K⁻¹z, `_hermite`; valid for
ReLU too, whose σ'' is a delta), one gets to leading order in 1/n (PDLT, arXiv:2106.10165,
ch. 4, §4.3 for several inputs):

    K^{ℓ+1}       = C_b + C_W⟨σσ⟩_{K^ℓ}
    C^{ℓ+1}(12,34) = (C_W²/n_ℓ)[⟨σ1σ2σ3σ4⟩ − ⟨σ1σ2⟩⟨σ3σ4⟩] + C_W² Σ_β D_12^{β1β2} D_34^{β3β4} C^ℓ(β1β2,β3β4)
    δK^{ℓ+1}_12    = C_W[Σ_β D_12^{β1β2} δK^ℓ_{β1β2} + ⅛ Σ_β ⟨σ1σ2 H^{β1β2β3β4}⟩ C^ℓ(β1β2,β3β4)]

with D_12^{β1β2} = ½⟨σ1σ2 H^{β1β2}⟩, C¹ = 0, δK¹ = 0. The first term of C is the same-neuron
covariance, the second the covariance of ⟨σσ⟩_{Ĝ} between different neurons. The joint
fourth cumulant of one neuron of a Gaussian scale mixture is the pairing sum
κ(abcd) = C(ab,cd) + C(ac,bd) + C(ad,bc), and V^ℓ = n_{ℓ−1} C^ℓ is PDLT's four-point vertex.
For one input, C_W D = χ∥ = C_W⟨σ²(z² − K)⟩/(2K²) and these are the scalar
recursions for V and K¹ = n δK of PDLT §4.1 (docs/theory/finite-width.md). One Gauss–Hermite pass per layer
(`widenets.duals.gaussian_expectation_nd`) yields every average; ⟨σσ⟩ uses the dual's closed
form, and the diagonal ⟨σ_a⁴⟩ the 1-D rule.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import duals
from .._validation import as_float_array, check_float, check_int
from ._hermite import hermite_tensor_from_u
from ._one_layer import pairing_sum
from ._inputs import (
    check_dual,
    check_variances,
    check_widths,
    check_x,
    default_deg,
    input_kernel,
    sigma_gram,
)

Array = jax.Array

# K^ℓ is called singular when its smallest eigenvalue is below this fraction of its largest
SINGULAR_RTOL = 1e-10


@dataclasses.dataclass(frozen=True)
class DeepCumulants:
    """Leading-order (1/n) statistics of one neuron of every layer of a deep MLP.

    Index 0 ↔ z¹ (first preactivation), index L ↔ z^{L+1} (readout); p inputs.

    Attributes:
      K: (L+1, p, p) infinite-width kernels K^ℓ.
      cov_G: (L+1, p, p, p, p) Cov(Ĝ^ℓ_ab, Ĝ^ℓ_cd) = V^ℓ/n_{ℓ−1} (0 at ℓ = 1).
      V: (L+1, p, p, p, p) four-point vertex n_{ℓ−1}·cov_G.
      kappa4: (L+1, p, p, p, p) joint fourth cumulant of one neuron (pairing sum of cov_G).
      gamma2: (L+1, p) excess kurtosis 3 cov_G(aa,aa)/K_aa².
      delta_K: (L+1, p, p) 1/n shift of the mean kernel, E[z_a z_b] = K + delta_K + O(1/n²).
      chi_par: (L+1, p) χ∥ = C_W⟨σ²(z² − K)⟩/(2K²) at K^ℓ_aa.
    """

    K: Array
    cov_G: Array
    V: Array
    kappa4: Array
    gamma2: Array
    delta_K: Array
    chi_par: Array


def parallel_susceptibility(dual: duals.Dual, K: Any, C_W: float, *, deg: int = 64) -> Array:
    """χ∥ = C_W⟨σ²(z² − K)⟩_K/(2K²) = C_W ∂⟨σ²⟩_K/∂K (PDLT arXiv:2106.10165, §5.1), elementwise
    in the variances ``K`` (> 0), by 1-D Gauss–Hermite quadrature. ReLU: χ∥ = C_W/2."""
    dual = check_dual(dual)
    C_W = check_float("C_W", C_W, nonnegative=True)
    deg = check_int("deg", deg, minimum=1)
    K = as_float_array("K", K, min_ndim=0)
    try:
        ok = bool(jnp.all(K > 0))
    except jax.errors.ConcretizationTypeError:
        ok = True
    if not ok:
        raise ValueError(f"`K` must be > 0, got {K}.")
    fn = dual.fn
    m = duals.gaussian_expectation(lambda z: fn(z) ** 2 * z**2, K, deg=deg)
    return C_W * (m - K * dual.nngp_diag(K)) / (2 * K**2)


def _inverse(K: Array, layer: int) -> Array:
    lam = np.linalg.eigvalsh(np.asarray(K, dtype=np.float64))
    if not lam[0] > SINGULAR_RTOL * max(lam[-1], 0.0):
        raise ValueError(
            f"`x`: the kernel K at layer index {layer} is singular or nearly so (eigenvalues "
            f"{lam.tolist()}); the 1/n theory of several inputs needs K⁻¹. Remove duplicate or "
            "parallel inputs (with C_b = 0, or of equal norm), or use fewer inputs."
        )
    return jnp.linalg.inv(K)


def _layer_averages(fn, K: Array, cov_g: Array, deg: int) -> tuple[Array, Array, Array]:
    """One quadrature pass at K: (⟨σσσσ⟩, D = ½⟨σσH²⟩, ⟨σσ (H⁴ : cov_g)⟩)."""
    kinv = jnp.linalg.inv(K)

    def integrand(z):
        s = fn(z)
        ss = jnp.outer(s, s)
        u = kinv @ z
        h2 = jnp.outer(u, u) - kinv
        h4c = jnp.sum(hermite_tensor_from_u(u, kinv, 4) * cov_g)
        return {
            "s4": jnp.einsum("ab,cd->abcd", ss, ss),
            "d": 0.5 * jnp.einsum("ab,cd->abcd", ss, h2),
            "e": ss * h4c,
        }

    out = duals.gaussian_expectation_nd(integrand, K, deg=deg)
    return out["s4"], out["d"], out["e"]


def mlp_cumulants(
    x: Any,
    dual: duals.Dual,
    widths: Sequence[int],
    *,
    C_W: float = 1.0,
    C_b: float = 0.0,
    deg: int | None = None,
) -> DeepCumulants:
    """Leading-1/n cumulants of every layer of a deep MLP at initialisation (module docstring).

    Args:
      x: inputs (p, d); K¹ = C_b + C_W x xᵀ/d must be invertible when p > 1.
      dual: activation σ (`widenets.duals.Dual` with ``fn``).
      widths: hidden widths (n_1, …, n_L), unequal allowed; layer ℓ+1's fluctuations scale
        as 1/n_ℓ.
      C_W, C_b: weight and bias variances (≥ 0), the same in every layer.
      deg: Gauss–Hermite nodes per dimension (deg^p nodes per layer); ``None``:
        `default_deg(p)` (64 for one input, 48 for two).

    Returns:
      `DeepCumulants` with L+1 entries (z¹ … z^{L+1}).

    Raises:
      ValueError: bad shapes or values, or a (nearly) singular K^ℓ (duplicate inputs).

    Example (tanh, C_W = 1, C_b = 0, |x|²/d = 1, eight hidden layers of width n): at the
    readout K ≈ 0.0652, V ≈ 0.0208, n·γ₂ = 3V/K² ≈ 14.7, n·δK ≈ −0.102.
    """
    x = check_x(x)
    dual = check_dual(dual)
    widths = check_widths(widths)
    C_W, C_b = check_variances(C_W, C_b)
    p = x.shape[0]
    deg = default_deg(p) if deg is None else check_int("deg", deg, minimum=1)
    fn = dual.fn
    dtype = x.dtype
    K = input_kernel(x, C_W, C_b)
    cov_g = jnp.zeros((p,) * 4, dtype)
    delta = jnp.zeros((p, p), dtype)
    Ks, covs, Vs, deltas = [K], [cov_g], [cov_g], [delta]
    idx = jnp.arange(p)
    for layer, n in enumerate(widths):
        _inverse(K, layer)
        s4, d, e = _layer_averages(fn, K, cov_g, deg)
        s4 = s4.at[idx, idx, idx, idx].set(
            duals.gaussian_expectation(lambda z: fn(z) ** 4, jnp.diagonal(K), deg=deg)
        )
        s2 = sigma_gram(dual, K)
        cov_next = (C_W**2 / n) * (s4 - jnp.einsum("ab,cd->abcd", s2, s2)) + C_W**2 * jnp.einsum(
            "ijab,abcd,klcd->ijkl", d, cov_g, d
        )
        delta = C_W * (jnp.einsum("ijab,ab->ij", d, delta) + e / 8.0)
        cov_g = (cov_next + jnp.transpose(cov_next, (2, 3, 0, 1))) / 2
        K = C_b + C_W * s2
        Ks.append(K)
        covs.append(cov_g)
        Vs.append(n * cov_g)
        deltas.append(delta)
    K_all = jnp.stack(Ks)
    cov_all = jnp.stack(covs)
    kappa4 = jax.vmap(pairing_sum)(cov_all)
    diag_k = jnp.diagonal(K_all, axis1=1, axis2=2)  # (L+1, p)
    gamma2 = 3.0 * cov_all[:, idx, idx, idx, idx] / diag_k**2
    chi = parallel_susceptibility(dual, diag_k, C_W, deg=max(deg, 64))
    return DeepCumulants(
        K=K_all,
        cov_G=cov_all,
        V=jnp.stack(Vs),
        kappa4=kappa4,
        gamma2=gamma2,
        delta_K=jnp.stack(deltas),
        chi_par=chi,
    )
