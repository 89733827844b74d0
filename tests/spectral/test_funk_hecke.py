"""Funk–Hecke spectra of dot-product kernels (`widenets.spectral.theory`).

References used, each independent of the code under test:
  * closed forms: multiplicities and polynomial-space dimensions; the Gegenbauer expansion of
    e^{st} (modified Bessel functions) and of t^m; scipy's Legendre/Chebyshev/Gegenbauer and
    spherical harmonics (addition theorem); the arc-cosine form of the ReLU NTK (Cho & Saul
    2009) and 30-digit mpmath integrals of it;
  * linear algebra: eigenvalues of the Gram matrix K/n computed by stax's own kernel_fn on
    equispaced points of the circle (circulant: exact up to aliasing) and on random points of
    S² (Monte Carlo, with standard errors across seeds);
  * the ReLU-NTK decay slopes over k ∈ [12, 40] (≈ −2.97, −3.87 at d = 3, 4) fitted to
    eigenvalues computed independently by mpmath quadrature, and their approach to the
    asymptotic exponent −d (Bietti & Mairal 2019, arXiv:1905.12173).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.special as sc

from widenets import stax
from widenets.predict.empirical import mse_loss
from widenets.spectral import theory
from widenets.spectral._sphere import gauss_gegenbauer, gauss_theta

RELU_NTK = stax.serial(stax.Dense(512), stax.Relu(), stax.Dense(1))  # bias-free two-layer
ERF_NET = stax.serial(stax.Dense(512, b_std=0.5), stax.Erf(), stax.Dense(512, b_std=0.5), stax.Erf(),
                      stax.Dense(1, b_std=0.5))


def relu_ntk_closed_form(t: np.ndarray, d: int) -> np.ndarray:
    """Two-layer bias-free ReLU NTK for unit-norm inputs in the NT normalisation (input kernel
    t/d): Θ = (k₁(t) + t·k₀(t))/d with the arc-cosine kernels of Cho & Saul 2009,
    k₀ = E[φ'(u)φ'(v)] = (π − θ)/(2π), k₁ = E[φ(u)φ(v)] = (sin θ + (π − θ) t)/(2π), θ = arccos t."""
    theta = np.arccos(np.clip(t, -1.0, 1.0))
    k0 = (np.pi - theta) / (2 * np.pi)
    k1 = (np.sin(theta) + (np.pi - theta) * t) / (2 * np.pi)
    return (k1 + t * k0) / d


def exp_spectrum(d: int, k_max: int, s: float) -> np.ndarray:
    """μ_k of e^{st} on S^{d−1}: Γ(d/2)(2/s)^ν I_{k+ν}(s), ν = (d−2)/2 (from the Gegenbauer
    expansion e^{st} = Γ(ν)(s/2)^{−ν} Σ (k+ν) I_{k+ν}(s) C_k^ν(t); d = 2: I_k(s))."""
    nu = (d - 2) / 2
    k = np.arange(k_max + 1)
    return sc.gamma(d / 2) * (2 / s) ** nu * sc.iv(k + nu, s)


def monomial_spectrum(d: int, k_max: int, m: int) -> np.ndarray:
    """μ_k of t^m: Γ(d/2) m! / (2^m j! Γ(j + k + d/2)), j = (m − k)/2, for k ≤ m, m − k even."""
    mu = np.zeros(k_max + 1)
    for k in range(min(k_max, m) + 1):
        if (m - k) % 2 == 0:
            j = (m - k) // 2
            mu[k] = math.exp(sc.gammaln(d / 2) + sc.gammaln(m + 1) - m * math.log(2)
                             - sc.gammaln(j + 1) - sc.gammaln(j + k + d / 2))
    return mu


def random_sphere(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# ------------------------------------------------------------------ multiplicities, polynomials


def test_multiplicity_closed_forms():
    assert [theory.multiplicity(3, k) for k in range(8)] == [2 * k + 1 for k in range(8)]
    assert [theory.multiplicity(2, k) for k in range(8)] == [1] + [2] * 7
    np.testing.assert_array_equal(theory.multiplicity(4, np.arange(6)), [(k + 1) ** 2 for k in range(6)])
    for d in (2, 3, 4, 5, 7, 10):
        for big_k in range(13):
            dim = math.comb(big_k + d - 1, d - 1) + math.comb(big_k + d - 2, d - 1)
            assert sum(theory.multiplicity(d, k) for k in range(big_k + 1)) == dim


def test_zonal_polynomial_matches_scipy():
    t = np.linspace(-1, 1, 401)
    k = np.arange(61)[:, None]
    np.testing.assert_allclose(theory.zonal_polynomial(k, 3, t), sc.eval_legendre(k, t), atol=1e-12)
    np.testing.assert_allclose(theory.zonal_polynomial(k, 2, t), sc.eval_chebyt(k, t), atol=1e-12)
    k = np.arange(31)[:, None]
    for d in (4, 5, 10):
        alpha = (d - 2) / 2
        ref = sc.eval_gegenbauer(k, alpha, t) / sc.eval_gegenbauer(k, alpha, 1.0)
        np.testing.assert_allclose(theory.zonal_polynomial(k, d, t), ref, atol=1e-12)


@pytest.mark.parametrize("d", [2, 3, 10, 100])
def test_zonal_polynomial_bounded_and_orthogonal(d):
    """|P_k| ≤ 1, P_k(±1) = (±1)^k up to k = 500; ∫ P_j P_k dσ = δ_jk / N(d, k) for j, k ≤ 200
    by the Gauss–Gegenbauer rule (exact at degree 400 with 210 nodes). The diagonal is a sum of
    positive terms (relative error measured ≤ 3e−12); off-diagonal entries cancel down to the
    rounding floor (measured ≤ 5e−14), which is why they are checked in absolute terms."""
    t = np.linspace(-1, 1, 201)
    k = np.arange(501)[:, None]
    p = theory.zonal_polynomial(k, d, t)
    assert np.max(np.abs(p)) <= 1 + 1e-12
    np.testing.assert_allclose(p[:, -1], 1.0, atol=1e-12)
    np.testing.assert_allclose(p[:, 0], (-1.0) ** np.arange(501), atol=1e-12)
    nodes, w = gauss_gegenbauer(210, d)
    q = theory.zonal_polynomial(np.arange(201)[:, None], d, nodes)
    gram = (q * w) @ q.T
    np.testing.assert_allclose(np.diag(gram) * theory.multiplicity(d, np.arange(201)), 1.0, rtol=1e-11)
    assert np.max(np.abs(gram - np.diag(np.diag(gram)))) <= 1e-13


def test_addition_theorem_circle_and_sphere():
    """Σ_j Y_kj(x) Y_kj(y) = N(d, k) P_k(⟨x, y⟩) with Y orthonormal in the probability measure."""
    a, b = 0.7, -2.1
    for k in range(8):  # circle: Y_k1 = √2 cos kθ, Y_k2 = √2 sin kθ
        lhs = 2 * (np.cos(k * a) * np.cos(k * b) + np.sin(k * a) * np.sin(k * b)) if k else 1.0
        assert lhs == pytest.approx(theory.multiplicity(2, k) * theory.zonal_polynomial(k, 2, np.cos(a - b)), abs=1e-13)
    (th1, ph1), (th2, ph2) = (0.4, 1.3), (2.2, 5.0)
    cos_xy = np.cos(th1) * np.cos(th2) + np.sin(th1) * np.sin(th2) * np.cos(ph1 - ph2)
    for ell in range(11):  # S²: scipy's Y_ℓ^m are orthonormal for the area measure 4π·σ
        m = np.arange(-ell, ell + 1)
        lhs = 4 * np.pi * np.sum(sc.sph_harm_y(ell, m, th1, ph1) * np.conj(sc.sph_harm_y(ell, m, th2, ph2))).real
        assert lhs == pytest.approx(theory.multiplicity(3, ell) * theory.zonal_polynomial(ell, 3, cos_xy), abs=1e-12)


# ------------------------------------------------------------------ Funk–Hecke against closed forms


@pytest.mark.parametrize("d", [2, 3, 4, 10, 100])
def test_closed_form_spectra(d):
    """e^{st} (Bessel) and t^m: error ≤ 1e−12·μ_0 for every k ≤ 200, both quadrature rules."""
    k_max = 200
    ref_exp = exp_spectrum(d, k_max, 1.5)
    ref_mono = monomial_spectrum(d, k_max, 7) + 0.5 * monomial_spectrum(d, k_max, 4)
    for quadrature in theory.QUADRATURES:
        mu = theory.funk_hecke_eigenvalues(lambda t: np.exp(1.5 * t), d, k_max, quadrature=quadrature)
        np.testing.assert_allclose(mu, ref_exp, rtol=0, atol=1e-12 * ref_exp[0])
        big = ref_exp > 1e-4 * ref_exp[0]
        np.testing.assert_allclose(mu[big], ref_exp[big], rtol=1e-10)
        mu = theory.funk_hecke_eigenvalues(lambda t: t**7 + 0.5 * t**4, d, k_max, quadrature=quadrature)
        np.testing.assert_allclose(mu, ref_mono, rtol=0, atol=1e-12 * np.max(ref_mono))
    # a jax callable works as well
    mu = theory.funk_hecke_eigenvalues(lambda t: jnp.exp(1.5 * t), d, 20)
    np.testing.assert_allclose(mu, ref_exp[:21], rtol=0, atol=1e-12 * ref_exp[0])


def test_relu_ntk_against_arc_cosine_form_and_mpmath():
    """stax's κ(t) equals the arc-cosine closed form; μ_k equals a 30-digit mpmath integral."""
    d = 3
    t = np.linspace(-1, 1, 201)
    kappa = theory.dot_product_kernel(RELU_NTK, d)
    np.testing.assert_allclose(kappa(t), relu_ntk_closed_form(t, d), rtol=0, atol=1e-15)
    mu = theory.spectrum(RELU_NTK, d, 40)
    mpmath.mp.dps = 30

    def integrand(k):
        def f(s):
            theta = mpmath.acos(s)
            return (mpmath.sin(theta) + 2 * (mpmath.pi - theta) * s) / (2 * mpmath.pi * d) * mpmath.legendre(k, s)
        return f

    for k in (0, 1, 2, 3, 4, 10, 11, 40):
        ref = float(mpmath.quad(integrand(k), mpmath.linspace(-1, 1, k // 4 + 2)) / 2)  # c_3 = 1/2
        assert abs(mu[k] - ref) <= 1e-11 * abs(ref) + 1e-14 * mu[0], (k, mu[k], ref)
    assert mu[0] == pytest.approx(1 / 12, rel=1e-14) and mu[1] == pytest.approx(1 / 18, rel=1e-14)


def test_quadrature_accuracy_study():
    """θ-Gauss–Legendre reaches rounding on the ReLU NTK; t-Gauss–Gegenbauer only algebraically.

    Measured (k ≤ 200, d = 3, error vs 3000 θ-nodes): θ rule ≤ 2e−15 absolute (μ_0 = 1/12) at
    the default k_max + d + 64 nodes; Gauss–Gegenbauer 5.5e−9 (267 nodes), 6.8e−11 (1000).
    """
    d, k_max = 3, 200
    kappa = lambda t: relu_ntk_closed_form(t, d)  # noqa: E731
    ref = theory.funk_hecke_eigenvalues(kappa, d, k_max, n_quad=3000)
    err_theta = np.max(np.abs(theory.funk_hecke_eigenvalues(kappa, d, k_max) - ref))
    assert err_theta <= 1e-14
    errs = [np.max(np.abs(theory.funk_hecke_eigenvalues(kappa, d, k_max, n, quadrature="gegenbauer") - ref))
            for n in (267, 1000)]
    assert errs[1] < errs[0] / 10 and errs[0] > 1e-10  # converging, but far from rounding
    _, w = gauss_theta(300, 10)
    assert abs(np.sum(w) - 1) < 1e-14


# ------------------------------------------------------------------ ReLU NTK: parity and decay


def relu_ntk_mu_mpmath(k: int, d: int) -> float:
    """μ_k of `relu_ntk_closed_form` by a 20-digit mpmath integral in θ = arccos t, where the
    integrand c_d·Θ(cos θ)·P_k(cos θ)·sin^{d−2}θ is analytic (tanh-sinh quadrature, split into
    k/4 + 1 pieces); independent of widenets' Gauss–Legendre rule and zonal recurrence."""
    mpmath.mp.dps = 20
    nu = mpmath.mpf(d - 2) / 2
    c_d = mpmath.gamma(mpmath.mpf(d) / 2) / (mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(d - 1) / 2))
    norm = mpmath.gegenbauer(k, nu, 1)

    def f(th):
        t = mpmath.cos(th)
        kernel = (mpmath.sin(th) + 2 * (mpmath.pi - th) * t) / (2 * mpmath.pi * d)
        return kernel * mpmath.gegenbauer(k, nu, t) / norm * mpmath.sin(th) ** (d - 2)

    return float(c_d * mpmath.quad(f, mpmath.linspace(0, mpmath.pi, k // 4 + 2)))


def ols_slope(ks: np.ndarray, mu: np.ndarray) -> float:
    """Least-squares slope of log μ_k on log k (plain numpy, not `fit_decay_exponent`)."""
    return float(np.polyfit(np.log(ks), np.log(mu), 1)[0])


@pytest.mark.slow
def test_relu_ntk_odd_coefficients_vanish_and_decay_exponent():
    """Odd k ≥ 3 vanish; the even-k slope of log μ_k vs log k tends to −d as the range grows.

    Measured slopes (ranges [12,40], [20,60], [40,120], [100,300]):
      d = 3: −2.967, −2.971, −2.982, −2.992;   d = 4: −3.872, −3.907, −3.948, −3.978.
    The first range is checked against the slope of mpmath eigenvalues; the approach to −d
    (Bietti & Mairal 2019) against the asymptotic theory.
    """
    ranges = [(12, 40), (20, 60), (40, 120), (100, 300)]
    even = np.arange(12, 41, 2)
    for d in (3, 4):
        mu = theory.spectrum(RELU_NTK[2], d, 300)
        assert np.max(np.abs(mu[3::2])) <= 1e-10 * mu[0]
        assert np.min(mu[0::2]) > 0 and mu[1] > 0
        slopes = [theory.fit_decay_exponent(mu, np.arange(lo, hi + 1), d, parity="even") for lo, hi in ranges]
        ref_mu = np.array([relu_ntk_mu_mpmath(int(k), d) for k in even])
        # derived: widenets' μ_k carry an absolute error ≤ 1e-14·μ_0 (test_quadrature_accuracy_study:
        # ≤ 2e-15 at d = 3), so each log μ_k moves by ≤ δ_k = 1e-14·μ_0/μ_k, and an OLS slope by
        # ≤ Σ|x_k − x̄|·δ_k / Σ(x_k − x̄)² (x = log k); mpmath's 20 digits add nothing visible.
        x = np.log(even)
        bound = np.sum(np.abs(x - x.mean()) * 1e-14 * mu[0] / ref_mu) / np.sum((x - x.mean()) ** 2)
        assert abs(slopes[0][0] - ols_slope(even, ref_mu)) <= bound, (slopes[0][0], ols_slope(even, ref_mu), bound)
        # asymptotic theory: μ_k ~ C·k^{−d} for even k, approached from above: the distance of the
        # fitted slope to −d is positive and shrinks as the range moves to higher degrees
        gaps = [s + d for s, _ in slopes]
        assert all(0 < b < a for a, b in zip(gaps, gaps[1:])), slopes
        # acceptance band: at k ∈ [100, 300] the slope is within 0.025 of −d (measured gaps
        # 0.008 (d = 3), 0.022 (d = 4); the pre-asymptotic correction shrinks roughly like 1/k)
        assert gaps[-1] < 0.025


# ------------------------------------------------------------------ Gram matrices


def _aliased(mu: np.ndarray, n: int) -> np.ndarray:
    """Eigenvalues of the circulant K/n on n equispaced points, sorted: λ_j = Σ_{k ≡ ±j mod n} μ_k
    (the circle's degree-k eigenspace is {cos kθ, sin kθ}, whose DFT frequencies are ±k)."""
    lam = np.zeros(n)
    for k, m in enumerate(mu):
        lam[k % n] += m
        if k:
            lam[(-k) % n] += m
    return np.sort(lam)[::-1]


def test_gram_eigenvalues_circle_equispaced():
    """K/n on n = 64 equispaced points of S¹ (stax kernel_fn): eigenvalues = aliased μ_k.

    λ_j = Σ_{k ≡ ±j mod n} μ_k, summed over k ≤ K. Smooth Erf NTK, K = 3n: agreement to 1e−12·μ_0
    (measured 1.5e−13, μ_0 = 0.80). ReLU NTK (μ_k ≥ 0, μ_k k² decreasing to 0.0507): the
    truncation at K = 2048 leaves a one-sided tail 0 ≤ λ_j − Σ_{k≤K} ≤ 2c[1/(K+1)² + 1/(n(K+1))],
    c = max_{K/2≤k≤K} μ_k k² (bound 7.9e−7; measured 7.7e−7: the tail is what remains), up to
    the accumulated rounding floor of the 65 summed coefficients (measured −9e−13 on the
    eigenvalues that should be 0: at d = 2 arccos(cos θ) near θ = 0 is not damped by sin^{d−2}θ).
    """
    n = 64
    theta = 2 * np.pi * np.arange(n) / n
    x = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    for layer, k_max in ((ERF_NET, 3 * n), (RELU_NTK, 32 * n)):
        eig = np.sort(np.linalg.eigvalsh(np.asarray(layer[2](x, x, get="ntk")) / n))[::-1]
        mu = theory.spectrum(layer, 2, k_max)
        diff = eig - _aliased(mu, n)
        if layer is ERF_NET:
            assert np.max(np.abs(diff)) <= 1e-12 * mu[0]
        else:
            coarse = np.array([256, 512, 1024, 2048])
            assert np.all(np.diff(mu[coarse] * coarse**2) < 0)  # μ_k k² decreasing (to 0.0507)
            ks = np.arange(k_max // 2, k_max + 1)
            c = np.max(mu[ks] * ks**2)
            tail = 2 * c * (1 / (k_max + 1) ** 2 + 1 / (n * (k_max + 1)))
            # each λ_j sums 2K/n + 1 computed μ_k; their rounding floor is read off the odd
            # coefficients, which vanish exactly (measured ≤ 2.9e−14 each)
            floor = (2 * k_max / n + 1) * np.max(np.abs(mu[3::2]))
            assert floor < 1e-10 * mu[0]  # measured 1.9e-12 = 1.2e-11·μ_0
            assert np.min(diff) >= -floor and np.max(diff) <= tail + floor


def test_gram_eigenvalues_sphere_monte_carlo():
    """K/n on n uniform points of S² (ReLU NTK): block means of the sorted eigenvalues → μ_k.

    Blocks: the predicted spectrum sorted (k = 0, 1, 2, 4, 6 with sizes 1, 3, 5, 9, 13). The
    block means carry an O(1/n) bias (measured relative +3.0%, +1.3%, +0.9% for k = 0 at
    n = 400, 800, 1200), so the test fits it out: with m(n) the mean over 6 seeds, the
    Richardson value 2 m(2n) − m(n) must agree with μ_k within 4 SE, and the bias must shrink
    with n (|m(2n) − μ_k| < |m(n) − μ_k| for every block whose bias exceeds 4 SE).
    """
    d, seeds, sizes = 3, 6, (300, 600)
    mu = theory.spectrum(RELU_NTK, d, 20)
    order = [k for k in np.argsort(-mu) if mu[k] > 1e-10 * mu[0]][:5]
    assert order == [0, 1, 2, 4, 6]
    means, ses = [], []
    for n in sizes:
        blocks = []
        for seed in range(seeds):
            x = random_sphere(n, d, seed + 100 * n)
            eig = np.sort(np.linalg.eigvalsh(np.asarray(RELU_NTK[2](x, x, get="ntk")) / n))[::-1]
            edges = np.cumsum([0] + [theory.multiplicity(d, int(k)) for k in order])
            blocks.append([eig[a:b].mean() for a, b in zip(edges, edges[1:])])
        blocks = np.asarray(blocks)
        means.append(blocks.mean(0))
        ses.append(blocks.std(0, ddof=1) / np.sqrt(seeds))
    target = mu[order]
    extrapolated = 2 * means[1] - means[0]
    se = np.sqrt(4 * ses[1] ** 2 + ses[0] ** 2)
    assert np.all(np.abs(extrapolated - target) <= 4 * se), (extrapolated / target - 1, se / target)
    biased = np.abs(means[0] - target) > 4 * ses[0]
    assert np.all(np.abs(means[1] - target)[biased] < np.abs(means[0] - target)[biased])
    assert np.all(np.abs(means[1] / target - 1) < 0.05)


# ------------------------------------------------------------------ reconstruction


def test_reconstruct_kernel():
    """κ from its spectrum on t ∈ [−0.9, 0.9]: Erf kernel to 1e−6 with k ≤ 30 (measured ~1e−14);
    ReLU NTK to 1e−6·κ(1) needs k_max ≈ 200 at d = 3 (6.7e−7; 1.6e−6 at 150) and 100 at d = 4
    (8.3e−7)."""
    t = np.linspace(-0.9, 0.9, 181)
    kappa = theory.dot_product_kernel(ERF_NET, 3, "nngp")
    err = np.max(np.abs(theory.reconstruct_kernel(theory.funk_hecke_eigenvalues(kappa, 3, 30), 3, t) - kappa(t)))
    assert err <= 1e-6 * kappa(1.0)
    for d, k_max in ((3, 200), (4, 100)):
        kappa = lambda s, d=d: relu_ntk_closed_form(s, d)  # noqa: E731
        rec = theory.reconstruct_kernel(theory.funk_hecke_eigenvalues(kappa, d, k_max), d, t)
        assert np.max(np.abs(rec - kappa(t))) <= 1e-6 * kappa(1.0)


def test_dot_product_kernel_conventions():
    """Radius √d gives the unit-variance input kernel; ReLU is 1-homogeneous, so κ scales by d."""
    t = np.linspace(-1, 1, 11)
    unit = theory.dot_product_kernel(RELU_NTK, 5)
    big = theory.dot_product_kernel(RELU_NTK[2], 5, radius=math.sqrt(5))
    np.testing.assert_allclose(big(t), 5 * unit(t), rtol=1e-13)
    assert unit(np.zeros((2, 3))).shape == (2, 3)

    def not_zonal(x1, x2=None, get=None):  # depends on the first coordinate only
        return jnp.asarray(x1)[:, :1] @ jnp.asarray(x2)[:, :1].T

    with pytest.raises(ValueError, match="not rotation invariant"):
        theory.dot_product_kernel(not_zonal, 3)


# ------------------------------------------------------------------ dynamics, fits, errors


def test_frequency_dynamics_matches_linearised_gd():
    """Linearised GD on mse_loss (½ mean) with stax's NTK on 64 equispaced circle points: the
    residual along cos 3θ decays as (1 − η μ_3)^t (λ_3 = μ_3 to 1e−13 for the Erf NTK)."""
    n, eta, steps = 64, 2.0, np.array([0, 1, 5, 20])
    theta = 2 * np.pi * np.arange(n) / n
    x = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    ntk = jnp.asarray(ERF_NET[2](x, x, get="ntk"))
    y = jnp.zeros((n, 1))
    f = jnp.asarray(np.cos(3 * theta))[:, None]
    grad = jax.grad(mse_loss)
    ratios = []
    for step in range(steps[-1] + 1):
        if step in steps:
            ratios.append(float(jnp.sum(f[:, 0] * np.cos(3 * theta)) / (n / 2)))
        f = f - eta * ntk @ grad(f, y)  # = (I − η Θ/n)(f − y) + y
    mu = theory.spectrum(ERF_NET, 2, 10)
    pred = theory.frequency_dynamics(mu, eta, steps)
    assert pred.shape == (4, 11)
    np.testing.assert_allclose(ratios, pred[:, 3], rtol=1e-11)
    np.testing.assert_allclose(pred[2], (1 - eta * mu) ** 5)


def test_fit_decay_exponent_exact_power_law():
    k = np.arange(101)
    mu = np.where(k % 2 == 0, 3.0 * np.maximum(k, 1) ** -2.5, 0.0)
    slope, se = theory.fit_decay_exponent(mu, np.arange(10, 101))
    assert slope == pytest.approx(-2.5, abs=1e-12) and se < 1e-10
    mu_noisy = mu * np.exp(0.01 * np.random.default_rng(0).normal(size=101))
    slope, se = theory.fit_decay_exponent(mu_noisy, np.arange(10, 101), parity="even")
    assert abs(slope + 2.5) < 4 * se and 0 < se < 0.05
    with pytest.raises(ValueError, match="fewer than 2"):
        theory.fit_decay_exponent(mu, np.arange(10, 101), parity="odd")


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: theory.funk_hecke_eigenvalues(np.exp, 3, -1), ValueError, "k_max"),
        (lambda: theory.funk_hecke_eigenvalues(np.exp, 1, 5), ValueError, "`d`"),
        (lambda: theory.funk_hecke_eigenvalues(3.0, 3, 5), TypeError, "kappa"),
        (lambda: theory.funk_hecke_eigenvalues(np.exp, 3, 5, quadrature="simpson"), ValueError, "quadrature"),
        (lambda: theory.funk_hecke_eigenvalues(lambda t: np.full_like(t, np.nan), 3, 5), ValueError, "kappa"),
        (lambda: theory.frequency_dynamics([1.0, np.nan], 0.1, [1]), ValueError, "mu"),
        (lambda: theory.frequency_dynamics([1.0], 0.0, [1]), ValueError, "learning_rate"),
        (lambda: theory.frequency_dynamics([1.0], 0.1, [-1]), ValueError, "steps"),
        (lambda: theory.reconstruct_kernel([1.0], 2.5, 0.0), TypeError, "`d`"),
        (lambda: theory.fit_decay_exponent([1.0, 0.5], [0, 7]), ValueError, "ks"),
        (lambda: theory.fit_decay_exponent([1.0, 0.5, 0.2], [1, 2], parity="all"), ValueError, "parity"),
        (lambda: theory.dot_product_kernel(RELU_NTK, 3, get="cov1"), ValueError, "get"),
        (lambda: theory.spectrum("relu", 3, 5), TypeError, "layer_or_kernel_fn"),
        (lambda: theory.multiplicity(3, -1), ValueError, "k"),
    ],
)
def test_bad_inputs(call, error, name):
    with pytest.raises(error, match=name):
        call()
