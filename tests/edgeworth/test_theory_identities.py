"""`widenets.edgeworth.theory` against closed forms and identities that share no code with it.

- identity activation: one hidden layer and deep linear networks have cumulants in closed form
  (Wick/Isserlis: ⟨z⁴⟩ = 3K², ⟨z⁶⟩ = 15K³; for a linear layer ∂⟨z_a z_b⟩/∂K_cd is a Kronecker
  delta and every second derivative vanishes);
- the 1/n structure: Cov Ĝ at layer 3 is exactly α/n₁ + β/n₂ (leading order), so three
  evaluations predict a fourth;
- permutation symmetries of the fourth cumulant and of Cov(Ĝ, Ĝ);
- the weight laws' moments by Monte Carlo (4 SE);
- Hermite polynomials/tensors against numpy and against derivatives of the Gaussian density
  (H^{a…}(y)·φ_K(y) = (−1)^n ∂ⁿφ_K/∂y_a…, computed by autodiff);
- the multivariate Edgeworth density: normalised, and its marginal is the 1-D density;
- bad input raises ValueError/TypeError naming the argument.
"""
from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import hermite_e as npherm

from widenets import duals
from widenets.edgeworth import theory

def inputs(p: int, d: int = 3, seed: int = 7) -> jnp.ndarray:
    """p fixed random inputs (the same for every test, whatever runs before it)."""
    return jnp.asarray(np.random.default_rng(seed).normal(size=(p, d)))


def pairings(K: np.ndarray) -> np.ndarray:
    """(K_ab K_cd + K_ac K_bd + K_ad K_bc) as a (p, p, p, p) array."""
    return (np.einsum("ab,cd->abcd", K, K) + np.einsum("ac,bd->abcd", K, K)
            + np.einsum("ad,bc->abcd", K, K))


# --------------------------------------------------------------------------- identity activation
@pytest.mark.parametrize("law", [theory.gaussian_weights(), theory.uniform_weights(),
                                 theory.rademacher_weights()], ids=lambda l: l.name)
def test_one_hidden_layer_identity_closed_form(law) -> None:
    x = inputs(3)
    C_W, C_b, n = 1.7, 0.3, 5
    K0 = C_b + C_W * np.asarray(x @ x.T) / x.shape[1]
    out = theory.one_hidden_layer(x, duals.identity(), n, C_W=C_W, C_b=C_b, law=law)
    np.testing.assert_allclose(out.K, C_b + C_W * K0, rtol=1e-12)
    # κ(abcd) = (C_W²/n)[m4 ⟨h_a h_b h_c h_d⟩ − pairings] = (C_W²/n)(m4 − 1)·pairings(K0)
    np.testing.assert_allclose(out.kappa4, C_W**2 / n * (law.m4 - 1) * pairings(K0), rtol=1e-10,
                               atol=1e-12)
    q = np.diagonal(K0)
    # (Rademacher: 15 − 45 + 30 = 0, so κ6 = 0 up to rounding of the O(K³) terms)
    np.testing.assert_allclose(out.kappa6, C_W**3 / n**2 * (15 * law.m6 - 45 * law.m4 + 30) * q**3,
                               rtol=1e-10, atol=1e-12 * float(np.max(q)) ** 3)
    np.testing.assert_allclose(out.gamma2, C_W**2 / n * (3 * law.m4 - 3) * q**2
                               / np.diagonal(np.asarray(out.K)) ** 2, rtol=1e-10, atol=1e-12)


def test_deep_linear_network_closed_form_with_unequal_widths() -> None:
    """Identity σ: K' = C_b + C_W K, D = Kronecker delta, δK = 0,
    Cov Ĝ' = (C_W²/n)(K_ac K_bd + K_ad K_bc) + C_W² Cov Ĝ (recursion coded here in numpy)."""
    x = inputs(2)
    C_W, C_b, widths = 0.9, 0.2, (6, 11, 4)
    out = theory.mlp_cumulants(x, duals.identity(), widths, C_W=C_W, C_b=C_b)
    K = C_b + C_W * np.asarray(x @ x.T) / x.shape[1]
    cov = np.zeros((2,) * 4)
    for layer, n in enumerate(widths):
        np.testing.assert_allclose(out.K[layer], K, rtol=1e-12)
        np.testing.assert_allclose(out.cov_G[layer], cov, rtol=1e-9, atol=1e-14)
        cov = C_W**2 / n * (np.einsum("ac,bd->abcd", K, K) + np.einsum("ad,bc->abcd", K, K)) + C_W**2 * cov
        K = C_b + C_W * K
    np.testing.assert_allclose(out.K[-1], K, rtol=1e-12)
    np.testing.assert_allclose(out.cov_G[-1], cov, rtol=1e-9)
    np.testing.assert_allclose(out.delta_K, 0.0, atol=1e-12)
    np.testing.assert_allclose(out.V[-1], widths[-1] * cov, rtol=1e-9)


def test_cov_G_is_linear_in_inverse_widths() -> None:
    """At layer 3, Cov Ĝ = α/n₁ + β/n₂ exactly at leading order: fit α, β from three width pairs,
    predict a fourth."""
    x = inputs(2)
    dual = duals.erf()

    def cov3(n1, n2):
        return np.asarray(theory.mlp_cumulants(x, dual, (n1, n2), C_W=1.3, C_b=0.1).cov_G[2])

    base, wider1, wider2 = cov3(10, 10), cov3(20, 10), cov3(10, 20)
    alpha, beta = 20 * (base - wider1), 20 * (base - wider2)
    np.testing.assert_allclose(cov3(40, 5), alpha / 40 + beta / 5, rtol=1e-9, atol=1e-15)
    assert np.all(np.abs(alpha) > 0) and np.any(np.abs(beta) > 1e-6)


def test_cumulant_symmetries() -> None:
    out = theory.mlp_cumulants(inputs(2), duals.tanh(), (8, 8, 8), C_W=1.2, C_b=0.05)
    k4, cov = np.asarray(out.kappa4[-1]), np.asarray(out.cov_G[-1])
    for perm in itertools.permutations(range(4)):
        np.testing.assert_allclose(np.transpose(k4, perm), k4, rtol=1e-12, atol=1e-15)
    for perm in [(1, 0, 2, 3), (0, 1, 3, 2), (2, 3, 0, 1)]:
        np.testing.assert_allclose(np.transpose(cov, perm), cov, rtol=1e-12, atol=1e-15)
    # diagonal excess kurtosis is 3 cov(aa, aa)/K_aa²
    K = np.asarray(out.K[-1])
    for a in range(2):
        np.testing.assert_allclose(out.gamma2[-1, a], 3 * cov[a, a, a, a] / K[a, a] ** 2, rtol=1e-12)


# --------------------------------------------------------------------------- weight laws
@pytest.mark.parametrize("law", [theory.gaussian_weights(), theory.uniform_weights(),
                                 theory.rademacher_weights()], ids=lambda l: l.name)
def test_weight_law_moments_by_monte_carlo(law) -> None:
    """E v² = 1, E v⁴ = m4, E v⁶ = m6 (unit variance) within 4 SE of 10⁶ draws; symmetric."""
    v = np.asarray(law.sample(jax.random.PRNGKey(3), (1_000_000,)), dtype=np.float64)
    for power, target in ((1, 0.0), (2, 1.0), (3, 0.0), (4, law.m4), (6, law.m6)):
        sample = v**power
        se = sample.std(ddof=1) / math.sqrt(v.size)
        if se == 0:  # Rademacher: v² ≡ 1
            assert np.all(sample == target)
        else:
            assert abs(sample.mean() - target) <= 4 * se, (law.name, power, sample.mean(), se)


# --------------------------------------------------------------------------- Hermite machinery
@pytest.mark.parametrize("n", range(0, 9))
def test_hermite_e_matches_numpy(n: int) -> None:
    u = np.linspace(-4, 4, 41)
    coef = np.zeros(n + 1)
    coef[n] = 1
    np.testing.assert_allclose(theory.hermite_e(n, u), npherm.hermeval(u, coef), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_hermite_tensor_one_input_is_scaled_hermite_polynomial(order: int) -> None:
    y, K = np.linspace(-3, 3, 13), 1.7
    got = np.asarray(theory.hermite_tensor(y[:, None], np.array([[K]]), order)).reshape(y.size)
    np.testing.assert_allclose(got, K ** (-order / 2) * np.asarray(theory.hermite_e(order, y / math.sqrt(K))),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("order", [2, 3, 4])
def test_hermite_tensor_equals_derivatives_of_the_gaussian_density(order: int) -> None:
    """H^{a1…an}(y) φ_K(y) = (−1)^n ∂ⁿφ_K(y)/∂y_a1…∂y_an (the defining Rodrigues formula)."""
    A = np.random.default_rng(11).normal(size=(2, 2))
    K = jnp.asarray(A @ A.T + 0.5 * np.eye(2))
    kinv = jnp.linalg.inv(K)

    def density(y):
        return jnp.exp(-0.5 * y @ kinv @ y)  # the normalisation cancels

    deriv = density
    for _ in range(order):
        deriv = jax.jacfwd(deriv)
    for y in (jnp.asarray([0.3, -0.7]), jnp.asarray([1.1, 0.4])):
        expected = (-1) ** order * np.asarray(deriv(y)) / float(density(y))
        np.testing.assert_allclose(theory.hermite_tensor(y, K, order), expected, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- multivariate Edgeworth
def _grid_density(K, kappa4, points: int = 401):
    """The density on a square grid of ±10 standard deviations of the wider coordinate."""
    half_width = 10.0 * math.sqrt(float(np.max(np.diagonal(K))))
    t = np.linspace(-half_width, half_width, points)
    Y = np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1)
    dens = np.asarray(theory.edgeworth_pdf_multivariate(jnp.asarray(Y), K, kappa4))
    return t, dens


def test_multivariate_edgeworth_normalised_and_marginal_is_the_1d_density() -> None:
    out = theory.one_hidden_layer(inputs(2), duals.relu(), 12, C_W=2.0, C_b=0.1)
    K, k4 = np.asarray(out.K), np.asarray(out.kappa4)
    t, dens = _grid_density(K, k4)
    dt = t[1] - t[0]
    np.testing.assert_allclose(dens.sum() * dt * dt, 1.0, rtol=1e-8)
    marginal = dens.sum(axis=1) * dt  # ∫ p(y_a, y_b) dy_b
    expected = np.asarray(theory.edgeworth_pdf(jnp.asarray(t), K[0, 0], k4[0, 0, 0, 0] / K[0, 0] ** 2))
    np.testing.assert_allclose(marginal, expected, rtol=1e-7, atol=1e-12)
    # the second moments are K (the κ4 term integrates to zero against quadratics)
    cov = np.einsum("i,j,ij->", t, t, dens) * dt * dt
    np.testing.assert_allclose(cov, K[0, 1], rtol=1e-7)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call,err,match",
    [
        (lambda: theory.one_hidden_layer(jnp.ones(3), duals.relu(), 4), ValueError, "x"),
        (lambda: theory.one_hidden_layer(jnp.ones((1, 3)), duals.relu(), 0), ValueError, "width"),
        (lambda: theory.one_hidden_layer(jnp.ones((1, 3)), duals.relu(), 4, C_W=-1.0), ValueError, "C_W"),
        (lambda: theory.one_hidden_layer(jnp.ones((1, 3)), "relu", 4), TypeError, "dual"),
        (lambda: theory.mlp_cumulants(jnp.ones((1, 3)), duals.relu(), (4, 0)), ValueError, "widths"),
        (lambda: theory.mlp_cumulants(jnp.ones((2, 3)), duals.relu(), (4,)), ValueError, "x"),
        (lambda: theory.mlp_cumulants(jnp.full((1, 3), jnp.nan), duals.relu(), (4,)), ValueError, "x"),
        (lambda: theory.edgeworth_pdf(0.0, -1.0, 0.1), ValueError, "K"),
        (lambda: theory.edgeworth_pdf(0.0, 1.0, 0.1, order=3), ValueError, "order"),
        (lambda: theory.edgeworth_pdf(0.0, 1.0, 0.1, order=2), ValueError, "kappa6"),
        (lambda: theory.edgeworth_pdf_multivariate(jnp.zeros(2), -jnp.eye(2), jnp.zeros((2,) * 4)),
         ValueError, "K"),
        (lambda: theory.edgeworth_pdf_multivariate(jnp.zeros(2), jnp.eye(2), jnp.zeros((2,) * 3)),
         ValueError, "kappa4"),
        (lambda: theory.hermite_tensor(jnp.zeros(2), jnp.eye(2), -1), ValueError, "order"),
    ],
)
def test_bad_input_names_the_argument(call, err, match) -> None:
    with pytest.raises(err, match=match):
        call()
