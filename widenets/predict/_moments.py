"""Mean and covariance of outputs trained by gradient flow on MSE, in matrix form.

Shared by `gradient_descent_mse`, `gp_inference` (s = ∞) and `gradient_descent_mse_ensemble`.
K is the training kernel that drives the flow (NNGP for get='nngp', i.e. only the readout
trained / Bayesian inference; NTK for get='ntk'), decomposed as `_solve.Eigh`; 𝒦 is the NNGP
(the covariance of the initial outputs f0 ~ GP(0, 𝒦)); s = η t / |y|; A_s = K⁻¹(I − e^{−sK})
(`_solve.flow`). The outputs are f_s(x) = f0(x) + K(x, X) A_s (y − f0(X)), affine in the
Gaussian f0, so (Lee et al. 2019, arXiv:1902.06720, §2.3, the Gaussian
process of the linearised ensemble; we cite sections, equation numbers differ between versions):

    μ_s(x)     = K(x, X) A_s y,
    Σ_s(x, x') = 𝒦(x, x') + K(x, X) A_s 𝒦(X, X) A_s K(X, x')
                 − K(x, X) A_s 𝒦(X, x') − 𝒦(x, X) A_s K(X, x').

For K = 𝒦 (NNGP) this simplifies to 𝒦(x, x') − 𝒦(x, X) A_{2s} 𝒦(X, x'), because
2A_s − A_s 𝒦 A_s = K⁻¹(I − e^{−2sK}); at s = ∞ it is the GP posterior covariance (Rasmussen &
Williams 2006, eq. 2.24). On the training set (x = X): μ_s = (I − e^{−sK}) y and
Σ_s = e^{−sK} 𝒦 e^{−sK} (= K e^{−2sK} when K = 𝒦).

Each function is jitted (one compilation per shape instead of one per primitive).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ._solve import Eigh, decay, flow

Array = jax.Array
HIGHEST = jax.lax.Precision.HIGHEST


def growth(evals: Array, s: Array) -> Array:
    """1 − e^{−s λ}, (T, M): exactly 0 on zero eigenvalues and at s = 0, 1 − `decay` at s = ∞."""
    lam, s2 = evals[None, :], s[:, None]
    finite = -jnp.expm1(-jnp.where(jnp.isinf(s2), jnp.zeros_like(s2), s2) * lam)
    return jnp.where(jnp.isinf(s2), 1 - decay(evals, s), finite)


@jax.jit
def train_outputs(eig: Eigh, s: Array, y2: Array, f0: Array) -> Array:
    """f_train = y − e^{−sK} r = f0 + (I − e^{−sK}) r with r = y − f0, (T, M, C).

    The first form is used at s = ∞ (exactly y on a nonsingular kernel, as NT returns), the
    second at finite s (exactly f0 at s = 0).
    """
    r = y2 - f0
    at_inf = y2[None] - eig.apply(decay(eig.evals, s), r)
    finite = f0[None] + eig.apply(growth(eig.evals, s), r)
    return jnp.where(jnp.isinf(s)[:, None, None], at_inf, finite)


@jax.jit
def test_shift(eig: Eigh, s: Array, ktd: Array, r: Array) -> Array:
    """K(x, X) A_s r, (T, Mt, C)."""
    return jnp.einsum("nm,tmc->tnc", ktd, eig.apply(flow(eig.evals, s), r), precision=HIGHEST)


@jax.jit
def train_cov(eig: Eigh, s: Array, nngp_dd: Array | None) -> Array:
    """Σ_s on the training set, (T, M, M): e^{−sK} 𝒦 e^{−sK}, or K e^{−2sK} if ``nngp_dd`` is None
    (K is the NNGP itself; NT uses the regularised K there)."""
    if nngp_dd is None:
        return eig.matrix(eig.evals[None, :] * decay(eig.evals, 2 * s))
    e = eig.matrix(decay(eig.evals, s))
    return jnp.einsum("tmk,kl,tnl->tmn", e, nngp_dd, e, precision=HIGHEST)


@jax.jit
def test_cov(
    eig: Eigh, s: Array, ktd: Array, ktt: Array, nngp_td: Array | None, nngp_dd: Array | None
) -> Array:
    """Σ_s on test points, (T, Mt, Mt). ``nngp_td`` / ``nngp_dd`` None: K is the covariance
    of f0 (NNGP, or NTK for NT's 'ntkgp'), giving 𝒦_tt − K_td A_{2s} K_dt."""
    if nngp_td is None:
        a2 = eig.matrix(flow(eig.evals, 2 * s))
        return ktt[None] - jnp.einsum("nm,tmk,lk->tnl", ktd, a2, ktd, precision=HIGHEST)
    a = eig.matrix(flow(eig.evals, s))
    term1 = jnp.einsum("tmk,lk->tml", a, ktd, precision=HIGHEST)  # A_s K(X, x'), (T, M, Mt)
    quad = jnp.einsum("tmn,mk,tkl->tnl", term1, nngp_dd, term1, precision=HIGHEST)
    cross = jnp.einsum("nm,tmk,lk->tnl", ktd, a, nngp_td, precision=HIGHEST)
    return ktt[None] + quad - cross - jnp.swapaxes(cross, 1, 2)
