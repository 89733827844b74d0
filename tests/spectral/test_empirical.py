"""Spectral bias of finite networks (docs/theory/spectral.md) and the helpers behind it.

Test 4 — per-degree GD rates of a wide two-layer ReLU network on the circle against the NTK.
On n equispaced points the infinite-width Gram Θ/n is circulant; its eigenvalue on the Fourier
modes ±k is exactly λ_k = DFT(κ(cos θ_j))/n = Σ_m μ_{|k+mn|} (`circle_gram_eigenvalues`, checked
against the Funk–Hecke μ_k of `theory` below), and GD shrinks the degree-k residual by
(1 − ηλ_k) per step. A finite network deviates through three measured sources:

  1. the fluctuation of its NTK at initialisation: λ̂_k = tr(Π_k Θ̂_0 Π_k)/(n N_k) is a mean over
     the m i.i.d. hidden units of per-unit terms with expectation λ_k (one hidden layer, NTK
     parameterisation: E Θ̂_0 = Θ exactly), so its SE is the per-unit SD/√m, O(m^{−1/2});
  2. the drift Θ̂_t − Θ̂_0 during training: Weyl's inequality bounds the shift of any Rayleigh
     quotient or eigenvalue of η Θ̂/n by η‖Θ̂_T − Θ̂_0‖₂/n (measured at the end of training,
     the drift grows monotonically);
  3. Θ̂_0 is not exactly circulant, so the degree-k residual mixes slightly with other degrees:
     the GD rate of the model linearised with Θ̂_0 (exact lazy prediction, `linear_residuals`)
     differs from its Rayleigh quotient ηλ̂_k by an amount computed from Θ̂_0 alone.
The network is centred, f_θ(x) − f_θ₀(x) (same NTK; r_k(0) is then the target's own component,
Chizat, Oyallon & Bach 2019, arXiv:1812.07956), with target amplitude 0.25 so that training is
lazy (the trained-vs-linearised gap grows ∝ amplitude/√m: measured 0.2%, 2%, 15% for k = 4 at
amplitudes 0.1, 0.25, 1, width 4096).

Test 5 — Snake (φ(x) = x + sin²(ax)/a; Ziyin et al. 2020, arXiv:2006.08195) extrapolates sin x
beyond its training interval where ReLU and tanh networks do not; and the Snake NNGP/NTK of
`widenets.stax` agree with Monte Carlo over finite networks (one hidden layer: the empirical
kernels are unbiased, so 4 SE).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import empirical_ntk_fn, monte_carlo_kernel_fn
from widenets.spectral import empirical as E
from widenets.spectral import theory

# ----------------------------------------------------------------------------- helpers


def test_circle_fft_equals_projectors_and_parseval():
    x = E.circle_points(24, offset=0.3)
    r = np.random.default_rng(0).normal(size=(3, 24, 1))
    fft = E.degree_projection(r, x, 11, method="fft")
    proj = E.degree_projection(r, x, 11, method="projector")
    np.testing.assert_allclose(fft, proj, rtol=1e-12, atol=1e-14)
    nyquist = np.abs(np.fft.fft(r[..., 0], axis=-1)[:, 12] / 24) ** 2
    np.testing.assert_allclose(fft.sum(-1) + nyquist, np.mean(r[..., 0] ** 2, -1), rtol=1e-12)
    assert E.projector_defect(x, 11) < 1e-12


def test_harmonic_targets_have_their_degree():
    x = E.circle_points(32)
    y = E.harmonic_target(x, [1, 3], [2.0, -1.0])
    power = E.degree_projection(y, x, 8)
    np.testing.assert_allclose(power[[1, 3]], [2.0, 0.5], rtol=1e-12)  # a²/2 for sin kθ
    assert np.sum(np.delete(power, [1, 3])) < 1e-24
    # zonal harmonic P_2^{(3)}(⟨x, e⟩) on the 2-sphere: mean square 1/N(3, 2) = 1/5; the
    # sampled projectors are exact only as n → ∞, the leak is bounded by `projector_defect`
    xs = np.asarray(E.sphere_points(jax.random.key(0), 200, 3))
    z = E.harmonic_target(xs, [2], [1.0], directions=[[0.0, 0.0, 1.0]])
    p = E.degree_projection(z, xs, 4)
    defect = E.projector_defect(xs, 4)
    total = float(np.mean(z**2))
    assert abs(p[2] - total) <= defect * total
    assert np.sum(np.delete(p, 2)) <= 2 * defect * total
    assert E.projector_defect(np.asarray(E.sphere_points(jax.random.key(1), 50, 3)), 4) > defect


def test_circle_gram_eigenvalues_are_aliased_funk_hecke():
    """λ_k = Σ_m μ_{|k+mn|}: the exact eigenvalues of K/n on n equispaced points."""
    n = 16
    kappa = theory.dot_product_kernel(stax.serial(stax.Dense(8), stax.Relu(), stax.Dense(1)), 2, "ntk")
    lam = E.circle_gram_eigenvalues(kappa, n)
    k_top = 64 * n
    mu = theory.funk_hecke_eigenvalues(kappa, 2, k_top)
    aliased = [sum(mu[abs(k + j * n)] for j in range(-70, 71) if abs(k + j * n) <= k_top) for k in range(n // 2 + 1)]
    # omitted tail 2 Σ_{j > 64} μ_{jn} with μ_k ≈ μ_K (K/k)² for even k: ≈ 2 μ_K K/n
    tail = 2 * mu[k_top] * k_top / n
    np.testing.assert_allclose(lam, aliased, rtol=0, atol=1.5 * tail)
    assert tail < 1e-4 * mu[0]
    x = E.circle_points(n)
    gram = np.asarray(kappa(np.clip(x @ x.T, -1, 1)))
    np.testing.assert_allclose(E.degree_rayleigh_quotients(gram, x, n // 2 - 1), lam[: n // 2], atol=1e-14)


def test_fit_decay_rates_and_convergence_steps_on_exact_curves():
    steps = np.arange(0, 300)
    rho = np.array([0.3, 0.05, 0.01])
    r = 2.0 * (1 - rho)[None, :] ** steps[:, None]
    np.testing.assert_allclose(E.fit_decay_rates(steps, r), rho, rtol=1e-12)
    np.testing.assert_allclose(E.convergence_steps(steps, r), np.log(10) / -np.log(1 - rho), rtol=1e-12)
    with pytest.raises(ValueError, match="floor"):
        E.fit_decay_rates(steps, r, floor=1.5)
    with pytest.raises(ValueError, match="r_k"):
        E.fit_decay_rates(steps, r[:-1])


def test_input_checks_name_the_argument():
    x = E.circle_points(8)
    with pytest.raises(ValueError, match="unit-norm"):
        E.degree_projection(np.zeros(8), 2 * x, 2)
    with pytest.raises(ValueError, match="residual"):
        E.degree_projection(np.zeros(7), x, 2)
    with pytest.raises(ValueError, match="k_max"):
        E.degree_projection(np.zeros(8), x, 4, method="fft")
    with pytest.raises(ValueError, match="coefficients"):
        E.harmonic_target(x, [1, 2], [1.0])
    with pytest.raises(ValueError, match="directions"):
        E.harmonic_target(np.asarray(E.sphere_points(jax.random.key(0), 5, 3)), [1], [1.0])
    with pytest.raises(TypeError, match="key"):
        E.sphere_points(0, 5, 3)


# ----------------------------------------------------------------------------- test 4

N_POINTS, WIDTH, DEGREES, AMPLITUDE, K_MAX = 64, 4096, (1, 2, 4), 0.25, 8
FLOOR = 0.1  # fitting window: r_k(t) ≥ 0.1 r_k(0) (the first decade)


@pytest.fixture(scope="module")
def relu_run():
    x = E.circle_points(N_POINTS)
    y = E.harmonic_target(x, DEGREES, [AMPLITUDE] * len(DEGREES))
    init_fn, apply_raw, kernel_fn = stax.serial(stax.Dense(WIDTH), stax.Relu(), stax.Dense(1))
    kappa = theory.dot_product_kernel(kernel_fn, 2, "ntk")  # unit-norm inputs, as x
    lam = E.circle_gram_eigenvalues(kappa, N_POINTS, K_MAX)
    eta = 0.25 / lam[0]
    _, params = init_fn(jax.random.key(0), x.shape)

    def apply_fn(p, inputs):
        return apply_raw(p, inputs) - apply_raw(params, inputs)

    # 1. per-unit decomposition of the degree-k Rayleigh quotient of Θ̂_0
    jac = jax.jacobian(lambda p: apply_raw(p, x)[:, 0])(params)
    j_w1, j_w2 = np.asarray(jac[0][0]), np.asarray(jac[2][0])[:, :, 0]  # (n, 2, m), (n, m)
    per_unit = E.unit_degree_contributions(np.concatenate([j_w1, j_w2[:, None, :]], axis=1), x, K_MAX)
    ntk_fn = jax.jit(empirical_ntk_fn(apply_fn, vmap_axes=0))
    ntk_0 = np.asarray(ntk_fn(x, None, params))
    lam_hat = E.degree_rayleigh_quotients(ntk_0, x, K_MAX)
    # 2. training, long enough for the slowest degree to fall by 10 and a bit
    n_steps = int(math.ceil(1.3 * math.log(10) / -math.log1p(-eta * lam[max(DEGREES)])))
    steps = np.arange(n_steps + 1)
    run = E.train_and_project(apply_fn, params, x, y, eta, steps, K_MAX)
    ntk_t = np.asarray(ntk_fn(x, None, run.trajectory.params))
    # 3. the lazy prediction with the network's own Θ̂_0
    lin = E.linear_residuals(ntk_0, np.asarray(apply_fn(params, x)) - y, eta, steps)
    r_lin = np.sqrt(E.degree_projection(lin, x, K_MAX))
    return dict(
        eta=eta, lam=lam, lam_hat=lam_hat, per_unit=per_unit,
        se=per_unit.std(axis=1, ddof=1) / math.sqrt(WIDTH),
        steps=steps, r=run.residual_norms, r_lin=r_lin,
        rho=E.fit_decay_rates(steps, run.residual_norms, floor=FLOOR),
        rho_lin=E.fit_decay_rates(steps, r_lin, floor=FLOOR),
        drift=eta * np.linalg.norm(ntk_t - ntk_0, 2) / N_POINTS,
    )


def test_empirical_ntk_fourier_eigenvalues_match_theory(relu_run):
    """Source 1: λ̂_k (finite network at init) vs the exact finite-n λ_k, within 4 SE."""
    d = relu_run
    np.testing.assert_allclose(d["per_unit"].mean(axis=1), d["lam_hat"], rtol=0, atol=1e-12 * d["lam_hat"][0])
    for k in (0,) + DEGREES:
        z = (d["lam_hat"][k] - d["lam"][k]) / d["se"][k]
        print(f"k={k}: λ̂/λ = {d['lam_hat'][k] / d['lam'][k]:.4f}, SE/λ = {d['se'][k] / d['lam'][k]:.4f}, "
              f"z = {z:+.2f}")
        assert abs(z) <= 4
    # every hidden unit's features lack odd harmonics ≥ 3, so the zeros hold at any width
    assert np.max(np.abs(d["lam_hat"][3::2])) <= 1e-12 * d["lam_hat"][0]


def test_fitted_rates_match_linearised_empirical_ntk(relu_run):
    """Source 2: trained network vs GD with Θ̂_0 frozen; bound η‖Θ̂_T − Θ̂_0‖₂/n (Weyl)."""
    d = relu_run
    for k in DEGREES:
        print(f"k={k}: ρ = {d['rho'][k]:.5f}, ρ_lin = {d['rho_lin'][k]:.5f}, "
              f"ratio {d['rho'][k] / d['rho_lin'][k]:.4f}, "
              f"|Δ| = {abs(d['rho'][k] - d['rho_lin'][k]):.2e} ≤ drift {d['drift']:.2e}")
        assert abs(d["rho"][k] - d["rho_lin"][k]) <= d["drift"]


def _rate_tolerance(d, k):
    """4 SE of the init fluctuation + the drift bound + the mode coupling of Θ̂_0 (module docstring)."""
    coupling = abs(d["rho_lin"][k] - d["eta"] * d["lam_hat"][k])
    return 4 * d["eta"] * d["se"][k] + d["drift"] + coupling


def test_fitted_rates_match_ntk_theory(relu_run):
    """ρ_k (trained) vs ηλ_k (infinite-width NTK on these points), within the three sources."""
    d = relu_run
    for k in DEGREES:
        theory_rate = d["eta"] * d["lam"][k]
        tol = _rate_tolerance(d, k)
        print(f"k={k}: ρ/ηλ = {d['rho'][k] / theory_rate:.4f} (tolerance ±{tol / theory_rate:.3f}), "
              f"ρ/ηλ̂ = {d['rho'][k] / (d['eta'] * d['lam_hat'][k]):.4f}, "
              f"ρ_lin/ηλ = {d['rho_lin'][k] / theory_rate:.4f}")
        assert abs(d["rho"][k] - theory_rate) <= tol


def test_convergence_time_increases_with_degree(relu_run):
    """Steps to shrink r_k by 10: increasing in k, and ln 10/(−ln(1 − ρ)) for ρ in the band above."""
    d = relu_run
    t10 = E.convergence_steps(d["steps"], d["r"])[list(DEGREES)]
    print("t10 measured", np.round(t10, 2), "theory",
          np.round([math.log(10) / -math.log1p(-d["eta"] * d["lam"][k]) for k in DEGREES], 2))
    assert np.all(np.isfinite(t10)) and np.all(np.diff(t10) > 0)
    for k, t in zip(DEGREES, t10):
        rate, tol = d["eta"] * d["lam"][k], _rate_tolerance(d, k)
        lo = math.log(10) / -math.log1p(-(rate + tol))
        hi = math.log(10) / -math.log1p(-max(rate - tol, 1e-12))
        assert lo <= t <= hi


# ----------------------------------------------------------------------------- test 5

SNAKE_A, PERIODS_T = 1.0, 4 * math.pi
N_SEEDS = 8


def _extrapolation_errors(activation):
    """Out-of-interval MSEs of ``N_SEEDS`` networks trained by Adam on sin x, x ∈ [−T, T]."""
    x_in = np.linspace(-PERIODS_T, PERIODS_T, 128, dtype=np.float32)[:, None]
    x_out = np.concatenate([np.linspace(-1.5 * PERIODS_T, -PERIODS_T, 50),
                            np.linspace(PERIODS_T, 1.5 * PERIODS_T, 50)]).astype(np.float32)[:, None]
    init_fn, apply_fn, _ = stax.serial(stax.Dense(64, b_std=1.0, parameterization="standard"), activation,
                                       stax.Dense(1, b_std=1.0, parameterization="standard"))
    params, losses = E.train_adam_mse_ensemble(init_fn, apply_fn, jax.random.key(7), N_SEEDS, x_in,
                                               np.sin(x_in), n_steps=1500, learning_rate=1e-2)
    errs = [E.extrapolation_error(apply_fn, jax.tree.map(lambda p: p[i], params), x_in, np.sin(x_in),
                                  x_out, np.sin(x_out)) for i in range(N_SEEDS)]
    return np.array([e.inside for e in errs]), np.array([e.outside for e in errs]), losses


def test_snake_extrapolates_periodic_target():
    """Snake's out-of-interval error is below ReLU's and tanh's by ≥ 4 SE of the difference.

    Errors across seeds are heavy-tailed (a tanh or ReLU network occasionally runs far off), so
    the comparison is made on log10 MSE, whose spread is even, and on the raw MSE.
    """
    results = {name: _extrapolation_errors(act) for name, act in
               (("snake", stax.Snake(SNAKE_A)), ("relu", stax.Relu()), ("tanh", stax.Elementwise(fn=jnp.tanh)))}
    logs = {}
    for name, (inside, outside, _) in results.items():
        lg = np.log10(outside)
        logs[name] = (lg.mean(), lg.std(ddof=1) / math.sqrt(N_SEEDS))
        print(f"{name}: MSE inside {inside.mean():.2e}, outside {outside.mean():.3f} ± "
              f"{outside.std(ddof=1) / math.sqrt(N_SEEDS):.3f}; "
              f"log10 outside {logs[name][0]:.3f} ± {logs[name][1]:.3f}")
    assert results["snake"][0].mean() < 0.01  # it fits the training interval
    for other in ("relu", "tanh"):
        diff = logs[other][0] - logs["snake"][0]
        se = math.hypot(logs[other][1], logs["snake"][1])
        raw = results[other][1].mean() - results["snake"][1].mean()
        raw_se = math.hypot(*(results[n][1].std(ddof=1) for n in (other, "snake"))) / math.sqrt(N_SEEDS)
        print(f"{other} − snake: log10 {diff:.3f} ± {se:.3f} ({diff / se:.1f} SE), MSE {raw:.3f} ± {raw_se:.3f} "
              f"({raw / raw_se:.1f} SE)")
        assert diff >= 4 * se
        assert raw >= 4 * raw_se


def test_snake_kernels_match_monte_carlo():
    """stax.Snake NNGP/NTK vs the mean of finite networks' kernels (unbiased: one hidden layer)."""
    x = np.linspace(-2.0, 2.0, 5)[:, None]
    init_fn, apply_fn, kernel_fn = stax.serial(stax.Dense(512, W_std=1.5, b_std=0.5), stax.Snake(SNAKE_A),
                                               stax.Dense(1, b_std=0.5))
    mc = monte_carlo_kernel_fn(init_fn, apply_fn, jax.random.key(3), 128, networks_per_batch=64,
                               standard_error=True)(x, None)
    exact = kernel_fn(x, None, ("nngp", "ntk"))
    for name, ex, mean, se in (("nngp", exact[0], mc.nngp, mc.nngp_se), ("ntk", exact[1], mc.ntk, mc.ntk_se)):
        z = np.abs(np.asarray(mean) - np.asarray(ex)) / np.asarray(se)
        rel_se = np.max(np.asarray(se) / np.abs(np.asarray(ex)))
        print(f"Snake {name}: max |MC − exact|/SE = {z.max():.2f}, max rel SE {rel_se:.3f}")
        assert np.all(z <= 4)
