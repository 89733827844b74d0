"""One GD step of a linear MLP (`widenets.mup.theory`): the exact polynomial against jax.grad,
the sympy infinite-width limit against finite-width coefficients, and the acceptance test —
under μP η*_n → η*_∞ at rate ≈ n^{−1/2}, under SP η*_n → 0 (Hayou 2025, arXiv:2511.01734;
docs/theory/mup.md).

Statistics use fixed keys; tolerances come from standard errors over seeds (jackknife for the
fitted slopes, whose widths share random draws)."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

from widenets.mup import theory

P = np.polynomial.polynomial
WIDTHS = (64, 128, 256, 512, 1024, 2048)
N_SEEDS = 16
L_ACCEPT = 1  # W_0 (input), W_1 (hidden), V (output): every role


def regression_data(n_data: int = 16, d: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, I), y = Xβ/√d + 0.1 ε (β, ε standard normal)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_data, d))
    beta = rng.standard_normal(d)
    return x, x @ beta / np.sqrt(d) + 0.1 * rng.standard_normal(n_data)


def jackknife(stat, samples: np.ndarray) -> tuple[float, float]:
    """(stat(samples), delete-one-seed jackknife SE) for samples with seeds on axis 0."""
    s = samples.shape[0]
    reps = np.array([stat(np.delete(samples, i, axis=0)) for i in range(s)])
    return float(stat(samples)), float(np.sqrt((s - 1) / s * np.sum((reps - reps.mean()) ** 2)))


def loglog_slope(values: np.ndarray) -> float:
    return float(np.polyfit(np.log(WIDTHS), np.log(values), 1)[0])


# ----------------------------------------------------------------------------- exactness
def gd_step_loss(x, y, weights, lrs, eta):
    """Reference: the loss after one explicit GD step, with jax.grad."""
    def loss(ws):
        h = x
        for w in ws[:-1]:
            h = h @ w.T
        return 0.5 * jnp.mean((h @ ws[-1] - y) ** 2)

    ws = [jnp.asarray(w) for w in weights]
    grads = jax.grad(loss)(ws)
    return float(loss([w - eta * c * g for w, c, g in zip(ws, lrs, grads)]))


def test_polynomial_equals_autodiff_gd_step():
    """Exactness (float64): the degree-2(L+2) polynomial at several η equals the loss after an
    explicit jax.grad step, with rectangular layers and arbitrary per-layer multipliers."""
    x, y = regression_data(n_data=10, d=5)
    rng = np.random.default_rng(1)
    shapes = [(24, 5), (20, 24), (16, 20), (12, 16), (12,)]  # L = 3
    weights = [rng.standard_normal(s) / math.sqrt(s[-1]) for s in shapes]
    lrs = [1.7, 1.0, 0.6, 0.9, 0.3]
    coeffs = theory.one_step_loss_polynomial(x, y, weights, lrs)
    assert coeffs.shape == (2 * 3 + 5,)
    etas = [0.0, 0.013, 0.31, 1.2, 4.0]
    errs = [abs(P.polyval(eta, coeffs) / gd_step_loss(x, y, weights, lrs, eta) - 1) for eta in etas]
    print(f"\nexactness: max relative error {max(errs):.2e} over η = {etas}")
    assert max(errs) < 1e-10
    pred = theory.one_step_predictor_polynomial(x, y, weights, lrs)
    init_u = weights[-1] @ weights[3] @ weights[2] @ weights[1] @ weights[0]
    np.testing.assert_allclose(pred[0], init_u, rtol=1e-12)


def test_gd_losses_match_polynomial_and_two_autodiff_steps():
    """`gd_losses` (numerical multi-step) at one step equals the exact polynomial, and its
    two-step loss equals two explicit jax.grad steps."""
    x, y = regression_data(n_data=10, d=5)
    sc = theory.linear_mlp_scalings("mup", 32, 4, input_dim=5)
    ws = theory.init_linear_mlp(jax.random.key(7), sc, 2)
    lrs = sc.lr_multipliers(2)
    etas = np.array([0.05, 0.4, 1.3])
    losses = theory.gd_losses(x, y, ws, lrs, etas, 2)
    coeffs = theory.one_step_loss_polynomial(x, y, ws, lrs)
    np.testing.assert_allclose(losses[:, 1], P.polyval(etas, coeffs), rtol=1e-10)

    def loss(w):
        h = x
        for m in w[:-1]:
            h = h @ m.T
        return 0.5 * jnp.mean((h @ w[-1] - y) ** 2)

    for eta, got in zip(etas, losses[:, 2]):
        w = [jnp.asarray(m) for m in ws]
        for _ in range(2):
            w = [m - eta * c * g for m, c, g in zip(w, lrs, jax.grad(loss)(w))]
        assert got == pytest.approx(float(loss(w)), rel=1e-10)


def test_zero_readout_makes_the_step_linear_in_eta():
    """V = 0: a_ℓ = 0, only V moves, so f₁ is exactly affine in η (P[2:] = 0), with slope
    −η c_V h_L(g)ᵀh_L(x) → κ = σ^{2(L+1)} n₀/d (`limit_one_step_scale`, zero_readout)."""
    x, y = regression_data()
    sc = theory.linear_mlp_scalings("mup", 64, 8, input_dim=8, zero_readout=True)
    ws = theory.init_linear_mlp(jax.random.key(3), sc, 2)
    pred = theory.one_step_predictor_polynomial(x, y, ws, sc.lr_multipliers(2))
    assert np.all(pred[2:] == 0) and np.any(pred[1] != 0)
    assert theory.limit_one_step_scale(2, input_dim=8, base_width=8, zero_readout=True) == pytest.approx(1.0)


def test_scalings_coincide_at_base_width_and_match_parametrization_presets():
    """At n = n₀ SP, μP and NTP are the same network and LRs; at other widths the effective
    scalings equal those of `widenets.mup` presets (TP V Table 3)."""
    ref = theory.linear_mlp_scalings("sp", 64, 64, 1.3, input_dim=8)
    for name in ("mup", "μP", "ntp"):
        sc = theory.linear_mlp_scalings(name, 64, 64, 1.3, input_dim=8)
        np.testing.assert_allclose(sc.init_std + sc.lr, ref.init_std + ref.lr, rtol=1e-14)
    mup = theory.linear_mlp_scalings("mup", 512, 64, input_dim=8)
    np.testing.assert_allclose(np.square(mup.init_std), [1 / 8, 1 / 512, 64 / 512**2], rtol=1e-12)
    np.testing.assert_allclose(mup.lr, [8.0, 1.0, 1 / 8], rtol=1e-12)
    presets = pytest.importorskip("widenets.mup._parametrization")
    for name, preset in (("sp", presets.SP), ("mup", presets.MUP), ("ntp", presets.NTP)):
        mine = theory.linear_mlp_scalings(name, 512, 64, 0.9, input_dim=8)
        theirs = theory.scalings_from_parametrization(preset, 512, 64, input_dim=8, sigma=0.9)
        np.testing.assert_allclose(theirs.init_std + theirs.lr, mine.init_std + mine.lr, rtol=1e-12)


def test_optimal_learning_rate_is_the_global_minimiser():
    # (η − 1)²: interior minimum; η⁴ − 4η² + η (two wells, the left deeper): global one kept
    assert theory.optimal_learning_rate([1.0, -2.0, 1.0], 5.0) == pytest.approx(1.0, rel=1e-12)
    quartic = [0.0, 1.0, -4.0, 0.0, 1.0]
    eta = theory.optimal_learning_rate(quartic, 2.0)
    grid = np.linspace(0, 2, 200001)
    assert eta == pytest.approx(grid[np.argmin(P.polyval(grid, quartic))], abs=1e-4)
    assert theory.optimal_learning_rate([1.0, -1.0], 0.5) == 0.5  # decreasing: right endpoint
    assert theory.optimal_learning_rate([1.0, 1.0, 1.0], 3.0) == 0.0  # no step helps


# ----------------------------------------------------------------------------- the limit
def test_term_exponents_and_limit_scale_sympy():
    """Width orders of the expansion (module docstring): μP k-layer terms are O(n^{−(k−1)/2});
    SP in c = η n/n₀: hidden/readout singletons O(1), input O(1/n); κ closed forms."""
    L = 2
    mup = theory.one_step_term_exponents(L, "mup")
    assert all(p == sympy.Rational(-(len(s) - 1), 2) for s, p in mup.items())
    sp = theory.one_step_term_exponents(L, "sp")
    assert sp[(0,)] == -1 and all(sp[(s,)] == 0 for s in range(1, L + 2))
    assert max(p for s, p in sp.items() if len(s) > 1) == -1
    d, n0, sigma = sympy.symbols("d n_0 sigma", positive=True)
    for name in ("mup", "ntp"):
        expr = theory.limit_one_step_scale_expr(L, name)
        assert sympy.simplify(expr - sigma ** (2 * L + 2) * (1 + (L + 1) * n0 / d)) == 0
    assert sympy.simplify(theory.limit_one_step_scale_expr(L, "sp") - (L + 1) * n0 * sigma ** (2 * L + 2) / d) == 0


@pytest.fixture(scope="module")
def sampled():
    """Exact one-step polynomials, μP and SP (n₀ = 1, L = 1), 16 seeds × widths 64…2048."""
    x, y = regression_data()
    polys = theory.sample_one_step_polynomials(jax.random.key(0), x, y, L_ACCEPT, WIDTHS, n_seeds=N_SEEDS)
    limit = theory.limit_one_step_loss(x, y, L_ACCEPT)
    eta_inf = theory.limit_optimal_learning_rate(x, y, L_ACCEPT)
    optima = {name: theory.optimal_learning_rate(p, 10 * eta_inf) for name, p in polys.items()}
    return polys, limit, eta_inf, optima


def test_limit_polynomial_matches_finite_width_coefficients(sampled):
    """The sympy limit L_∞ (degree 2) against the finite-width μP coefficients: the seed means
    of the η⁰…η³ coefficients agree with (L_∞, 0) within 4 SE at n ≥ 512, and the RMS distance
    to the limit (to 0 beyond η²) falls with width like n^{−1/2}…n^{−1} (fluctuations
    O(n^{−1/2}), bias O(1/n))."""
    polys, limit, _, _ = sampled
    coeffs = polys["mup"]
    target = np.concatenate([limit, np.zeros(coeffs.shape[-1] - 3)])
    dev = coeffs - target
    se = coeffs.std(axis=0, ddof=1) / math.sqrt(N_SEEDS)
    z = dev.mean(axis=0) / se
    print("\nlimit coefficients", np.round(limit, 5), "\nmean at n=2048", np.round(coeffs[:, -1].mean(0), 5))
    print("z-scores (widths × powers)\n", np.round(z, 2))
    assert np.all(np.abs(z[3:, :4]) < 4)  # η⁴…: means are E[φ₂²]-type (> 0), checked by the RMS
    for k in range(coeffs.shape[-1] - 2):  # the top powers are O(n^{−L−1}) and vanish fast
        slope, slope_se = jackknife(lambda a: loglog_slope(np.sqrt(np.mean(a**2, axis=0))), dev[:, :, k])
        print(f"η^{k}: RMS slope {slope:.3f} ± {slope_se:.3f}")
        assert slope < -0.3 + 2 * slope_se


def test_mup_optimum_converges_and_sp_optimum_vanishes(sampled):
    """Acceptance: μP |η*_n − η*_∞| (seed mean) has log-log slope in [−0.8, −0.3]
    over n = 64…2048 (theory −1/2, Hayou 2025); SP η*_n has slope ≤ −0.5 (theory −1)."""
    _, _, eta_inf, optima = sampled
    mup, sp = optima["mup"], optima["sp"]
    dev = np.abs(mup - eta_inf)
    se = lambda a: a.std(axis=0, ddof=1) / math.sqrt(N_SEEDS)  # noqa: E731
    print(f"\nη*_∞ = {eta_inf:.5f}")
    for j, n in enumerate(WIDTHS):
        print(f"n={n:5d}  μP η*_n {mup[:, j].mean():.5f} ± {se(mup)[j]:.5f}  |η*_n − η*_∞| "
              f"{dev[:, j].mean():.5f} ± {se(dev)[j]:.5f}   SP η*_n {sp[:, j].mean():.6f} ± {se(sp)[j]:.6f}")
    mup_slope, mup_se = jackknife(lambda a: loglog_slope(a.mean(axis=0)), dev)
    sp_slope, sp_se = jackknife(lambda a: loglog_slope(a.mean(axis=0)), sp)
    print(f"slopes: μP {mup_slope:.3f} ± {mup_se:.3f}, SP {sp_slope:.3f} ± {sp_se:.3f}")
    assert -0.8 <= mup_slope <= -0.3
    assert abs(mup_slope + 0.5) < 4 * mup_se + 0.1
    assert sp_slope <= -0.5
    assert abs(sp_slope + 1.0) < 4 * sp_se + 0.1
    assert abs(mup[:, -1].mean() - eta_inf) < 4 * se(mup)[-1]


def test_sp_and_ntp_limits_given_the_init_output():
    """SP: n η*_n/n₀ → c*(f₀), NTP: η*_n → η*_∞(f₀), the limits conditional on the init's
    O(1) output f₀ on X (`limit_optimal_learning_rate(..., f0=...)`); error O(n^{−1/2})."""
    x, y = regression_data()
    errors = {}
    for name in ("sp", "ntp"):
        for n in (128, 2048):
            errs = []
            for seed in range(3):
                sc = theory.linear_mlp_scalings(name, n, 1, input_dim=x.shape[1])
                ws = theory.init_linear_mlp(jax.random.key(100 + seed), sc, L_ACCEPT)
                f0 = x @ theory.one_step_predictor_polynomial(x, y, ws, sc.lr_multipliers(L_ACCEPT))[0]
                limit = theory.limit_optimal_learning_rate(x, y, L_ACCEPT, parametrization=name, f0=f0)
                coeffs = theory.one_step_loss_polynomial(x, y, ws, sc.lr_multipliers(L_ACCEPT))
                eta = theory.optimal_learning_rate(coeffs, 10 * limit / (n if name == "sp" else 1))
                errs.append(abs((eta * n if name == "sp" else eta) / limit - 1))
            errors[name, n] = float(np.mean(errs))
    print("\nrelative error of the f₀-conditional limit", errors)
    for name in ("sp", "ntp"):
        assert errors[name, 2048] < 0.1 and errors[name, 2048] < errors[name, 128]


# ----------------------------------------------------------------------------- bad input
_BX, _BY = regression_data(n_data=4, d=3)
_BW = [np.ones((5, 3)), np.ones((5, 5)), np.ones(5)]
_BAD_SHAPE = [_BW[0], np.ones((5, 4)), _BW[2]]
_BAD_VALUE = [_BW[0], np.full((5, 5), np.nan), _BW[2]]
_LRS = [1.0, 1.0, 1.0]
BAD_INPUTS = [
    pytest.param(lambda: theory.one_step_loss_polynomial(_BX[:, 0], _BY, _BW, _LRS), ValueError, "`x`", id="x-1d"),
    pytest.param(lambda: theory.one_step_loss_polynomial(_BX, _BY[:3], _BW, _LRS), ValueError, "`y`", id="y-length"),
    pytest.param(lambda: theory.one_step_loss_polynomial(_BX, _BY, _BAD_SHAPE, _LRS), ValueError, r"`weights\[1\]`",
                 id="weights-shape"),
    pytest.param(lambda: theory.one_step_loss_polynomial(_BX, _BY, [_BW[0], _BW[1], np.ones(4)], _LRS), ValueError,
                 r"`weights\[2\]`", id="readout-shape"),
    pytest.param(lambda: theory.one_step_loss_polynomial(_BX, _BY, _BAD_VALUE, _LRS), ValueError, r"`weights\[1\]`",
                 id="weights-nan"),
    pytest.param(lambda: theory.one_step_loss_polynomial(_BX, _BY, _BW[0], _LRS), TypeError, "`weights`",
                 id="weights-not-a-list"),
    pytest.param(lambda: theory.one_step_loss_polynomial(_BX, _BY, _BW, _LRS[:2]), ValueError, "`lr_multipliers`",
                 id="lr-multipliers-length"),
    pytest.param(lambda: theory.one_step_loss_polynomial(_BX, _BY, _BW, [1.0, "a", 1.0]), TypeError,
                 r"`lr_multipliers\[1\]`", id="lr-multiplier-type"),
    pytest.param(lambda: theory.optimal_learning_rate([1.0, 2.0], 0.0), ValueError, "`eta_max`", id="eta-max"),
    pytest.param(lambda: theory.gd_losses(_BX, _BY, _BW, _LRS, np.ones((2, 2)), 1), ValueError, "`etas`", id="etas-2d"),
    pytest.param(lambda: theory.gd_losses(_BX, _BY, _BW, _LRS, [0.1], -1), ValueError, "`steps`", id="steps-negative"),
    pytest.param(lambda: theory.optimal_learning_rate(np.ones((2, 0)), 1.0), ValueError, "`coeffs`", id="coeffs-empty"),
    pytest.param(lambda: theory.linear_mlp_scalings("adam", 8, 8, input_dim=3), ValueError, "`name`", id="scalings-name"),
    pytest.param(lambda: theory.linear_mlp_scalings("mup", 0, 8, input_dim=3), ValueError, "`width`", id="width-zero"),
    pytest.param(lambda: theory.linear_mlp_scalings("mup", 8, 8, -1.0, input_dim=3), ValueError, "`sigma`",
                 id="sigma-negative"),
    pytest.param(lambda: theory.linear_mlp_scalings("mup", 8, 2.5, input_dim=3), TypeError, "`base_width`",
                 id="base-width-float"),
    pytest.param(lambda: theory.init_linear_mlp(0, theory.linear_mlp_scalings("sp", 8, 8, input_dim=3), 1), TypeError,
                 "`key`", id="key-int"),
    pytest.param(lambda: theory.limit_one_step_loss(_BX, _BY, 1, parametrization="mf"), ValueError,
                 "`parametrization`", id="limit-parametrization"),
    pytest.param(lambda: theory.limit_one_step_loss(_BX, _BY, -1), ValueError, "`hidden_layers`",
                 id="hidden-layers-negative"),
    pytest.param(lambda: theory.limit_one_step_loss(_BX, _BY, 1, f0=np.ones(3)), ValueError, "`f0`", id="f0-length"),
    pytest.param(lambda: theory.sample_one_step_polynomials(jax.random.key(0), _BX, _BY, 1, [8, 0]), ValueError,
                 r"`widths\[1\]`", id="widths-zero"),
    pytest.param(lambda: theory.scalings_from_parametrization("mup", 8, 8, input_dim=3), TypeError,
                 "`parametrization`", id="parametrization-str"),
]


@pytest.mark.parametrize(("fn", "err", "match"), BAD_INPUTS)
def test_bad_inputs_name_the_argument(fn, err, match):
    with pytest.raises(err, match=match):
        fn()


def test_optimal_learning_rate_over_leading_axes():
    """A (..., degree + 1) array gives the per-row minimisers, shape (...)."""
    rows = np.array([[1.0, -2.0, 1.0], [0.5, -1.0, 2.0], [1.0, 1.0, 0.0], [2.0, -6.0, 3.0]])
    expected = [theory.optimal_learning_rate(r, 4.0) for r in rows]
    np.testing.assert_array_equal(theory.optimal_learning_rate(rows.reshape(2, 2, 3), 4.0), np.reshape(expected, (2, 2)))
    np.testing.assert_allclose(expected, [1.0, 0.25, 0.0, 1.0], rtol=1e-12)
