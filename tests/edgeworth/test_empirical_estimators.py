"""Cumulant estimators and their standard errors (`widenets.edgeworth.empirical`).

References:
- closed-form moments of known laws (all zero-mean): N(0, s²); U(−a, a): E z² = a²/3,
  γ₂ = −6/5, κ6 = 16a⁶/63; Laplace(b): E z² = 2b², κ4 = 12b⁴, γ₂ = 3, κ6 = 240b⁶;
  Student-t ν = 10: E z² = ν/(ν−2) = 5/4, γ₂ = 6/(ν−4) = 1, κ4 = γ₂·(5/4)².
  Each estimate must lie within 4 of its own SEs of the closed form.
- SE calibration: R independent replicate ensembles; the spread s_R of the R estimates vs
  their reported SEs: s_R²/mean(SE²) = 1 within 4 of its own standard error (`calibration`
  in `_helpers_empirical`, a χ²/F-type bound widened by the replicates' kurtosis, applied
  on a log scale: |log ratio| ≤ 4·SE(ratio)/ratio).
  Replicates are the "input" axis p of one (M, 1, R) array: the estimators treat inputs
  separately, so one call estimates all R.
- clustering: neurons sharing a random per-network scale have a closed-form variance of the
  neuron-averaged second moment; the clustered SE must match it, the naive (neurons as
  independent) SE must not.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals
from widenets.edgeworth.empirical import (
    Estimate,
    batch_means,
    covariance,
    excess_kurtosis,
    fourth_cumulant,
    joint_cumulant4,
    sample_preactivations,
    second_moment,
    sixth_cumulant,
)

from ._helpers_empirical import N_SE, calibration, key_for, within

STATS = {"m2": second_moment, "k4": fourth_cumulant, "g2": excess_kurtosis, "k6": sixth_cumulant}


def _laws():
    a, b, nu = 2.0, 0.7, 10.0
    return {
        "gaussian": (lambda rng, n: 1.5 * rng.standard_normal(n),
                     {"m2": 2.25, "k4": 0.0, "g2": 0.0, "k6": 0.0}),
        "uniform": (lambda rng, n: rng.uniform(-a, a, n),
                    {"m2": a**2 / 3, "k4": -1.2 * (a**2 / 3) ** 2, "g2": -1.2, "k6": 16 * a**6 / 63}),
        "laplace": (lambda rng, n: rng.laplace(0.0, b, n),
                    {"m2": 2 * b**2, "k4": 12 * b**4, "g2": 3.0, "k6": 240 * b**6}),
        # κ6's SE needs E z¹² < ∞ (ν > 12): not estimated for t₁₀
        "student_t10": (lambda rng, n: rng.standard_t(nu, n),
                        {"m2": nu / (nu - 2), "k4": 6 / (nu - 4) * (nu / (nu - 2)) ** 2, "g2": 6 / (nu - 4)}),
    }


@pytest.mark.parametrize("law", sorted(_laws()))
def test_estimators_match_closed_forms(law):
    draw, exact = _laws()[law]
    z = jnp.asarray(draw(np.random.default_rng(11 + len(law)), 400_000))
    for name, value in exact.items():
        est = STATS[name](z)
        assert est.value.shape == est.stderr.shape == ()
        assert within(est, value), (law, name, est, value)


@pytest.mark.parametrize("law", ["gaussian", "uniform", "laplace"])
def test_standard_errors_match_replicate_spread(law):
    """R = 400 replicate ensembles of M = 1000: s_R²/mean(SE²) = 1 within 4 of its SE."""
    draw, _ = _laws()[law]
    R, M = 400, 1000
    z = jnp.asarray(draw(np.random.default_rng(21 + len(law)), (M, 1, R)))
    for name, stat in STATS.items():
        est = stat(z)
        assert est.value.shape == (R,)
        cal = calibration(est.value, est.stderr)
        assert cal.z <= N_SE, (law, name, cal)


def test_gaussian_excess_kurtosis_se_is_the_textbook_sqrt_24_over_m():
    """On Gaussian data the delta-method SE of γ₂ reduces to √(24/M) (to O(1/√M) relative)."""
    R, M = 200, 4000
    z = jnp.asarray(np.random.default_rng(31).standard_normal((M, 1, R)))
    se2 = np.asarray(excess_kurtosis(z).stderr) ** 2
    assert abs(np.mean(se2) / (24 / M) - 1) <= N_SE * np.std(se2, ddof=1) / math.sqrt(R) / (24 / M)


def test_clustered_se_is_right_and_naive_se_is_too_small_for_correlated_neurons():
    """Neurons z_{j,i} = s_j g_{j,i} (shared per-network scale s_j² ~ U(0.25, 1.75), g ~ N(0,1)).

    The neuron average m_j = (1/k)Σ_i z_{j,i}² has Var m_j = Var(s²) + 2E[s⁴]/k exactly, so
    Var(Ê z²) = [Var(s²) + 2E[s⁴]/k]/M. Treating the M·k neurons as independent gives instead
    (3E[s⁴] − 1)/(kM). With k = 32: exact SE 3.6e-3·(20000/M)^½, naive 2.0e-3: the clustered
    SE must match the exact one within 4 of its own SE (the SE of a sample sd, from the
    data's kurtosis), the naive one must be off by more than that.
    """
    M, k = 20_000, 32
    rng = np.random.default_rng(41)
    s2 = rng.uniform(0.25, 1.75, (M, 1))
    z = jnp.asarray(np.sqrt(s2) * rng.standard_normal((M, k)))
    var_s2, e_s4 = 1.5**2 / 12, 1.0 + 1.5**2 / 12
    exact_se = math.sqrt((var_s2 + 2 * e_s4 / k) / M)
    clustered = second_moment(z)
    naive = second_moment(z.reshape(M * k))
    # SE of the SE: sd of ŝ over sd ≈ √((kurt_m + 2)/(4M)), kurt_m the excess kurtosis of m_j
    m = np.mean(np.asarray(z) ** 2, axis=1)
    kurt = np.mean((m - m.mean()) ** 4) / np.var(m) ** 2 - 3
    se_of_se = exact_se * math.sqrt((kurt + 2) / (4 * M))
    assert abs(float(clustered.stderr) - exact_se) <= N_SE * se_of_se, (clustered, exact_se)
    assert abs(float(naive.stderr) - exact_se) > N_SE * se_of_se, (naive, exact_se)
    assert float(naive.stderr) / float(clustered.stderr) < 0.7  # measured 0.55
    assert within(clustered, 1.0)  # E z² = E s² = 1


@pytest.mark.slow
def test_network_neurons_clustered_se_calibrated():
    """Real networks (ReLU, C_W = 2, widths (8,)*5, k = 8 neurons of layer 5, R = 100 replicate
    ensembles of M = 1000): the clustered SE of E z² matches the replicate spread; the naive
    SE (the M·k neurons treated as independent) is smaller by a measured factor ≈ 1.75."""
    R, M, k = 100, 1000, 8
    out = sample_preactivations(key_for(51), jnp.ones((1, 3)), duals.relu(), (8,) * 5, C_W=2.0,
                                n_networks=R * M, keep=k)
    z = out[-2][:, :, 0].reshape(R, M, k).transpose(1, 2, 0)  # (M, k, R): replicates as inputs
    clustered = second_moment(z)
    naive = second_moment(z.transpose(1, 0, 2).reshape(M * k, 1, R))
    cal = calibration(clustered.value, clustered.stderr)
    assert cal.z <= N_SE, cal
    assert float(np.mean(np.asarray(clustered.stderr) / np.asarray(naive.stderr))) > 1.4


@pytest.mark.slow
def test_heavy_tailed_deep_relu_se():
    """ReLU, depth 8, width 32 (C_W = 2, C_b = 0), one input: the readout is so heavy-tailed
    that the Gaussian SE √(24/M) of γ₂ is too small by a factor ≈ 45 here (the factor depends
    on the set-up; it is always large for deep ReLU readouts). R = 40 replicate ensembles of M = 5000 (gram sampler):

    - delta-method SE: |log(s_R²/mean(SE²))| within 4 of its SE (the bound is wide — the
      replicate γ₂'s are themselves heavy-tailed, which `calibration` accounts for);
    - naive SE: log(s_R²/(24/M)) is > 4 of its SE above 0.
    """
    R, M = 40, 5000
    out = sample_preactivations(key_for(61), jnp.ones((1, 3)), duals.relu(), (32,) * 8, C_W=2.0,
                                n_networks=R * M)
    z = out[-1][:, 0, 0].reshape(R, M).T[:, None, :]  # (M, 1, R)
    g2 = excess_kurtosis(z)
    cal = calibration(g2.value, g2.stderr)
    assert cal.z <= N_SE, cal
    naive = calibration(g2.value, np.full(R, math.sqrt(24 / M)))
    assert naive.ratio > 1 and naive.z > N_SE, naive
    assert cal.mean_se / math.sqrt(24 / M) > 10


def test_batch_means_agrees_with_delta_method():
    """Batch-means SE (B = 50) vs delta-method SE of γ₂ on Laplace data: equal up to the batch SE's
    own relative error 1/√(2(B − 1)) ≈ 0.10 (4 of them: 40 %)."""
    z = jnp.asarray(np.random.default_rng(71).laplace(0.0, 1.0, 100_000))
    delta = excess_kurtosis(z)
    bm = batch_means(excess_kurtosis, z, 50)
    assert float(bm.value) == float(delta.value)
    rel = abs(float(bm.stderr) / float(delta.stderr) - 1)
    assert rel <= N_SE / math.sqrt(2 * 49), rel


def test_shapes_and_identities():
    z = jnp.asarray(np.random.default_rng(81).standard_normal((50, 3, 4)))
    for stat in STATS.values():
        e = stat(z)
        assert e.value.shape == e.stderr.shape == (4,)
    assert second_moment(z[:, 0, 0]).value.shape == ()
    assert second_moment(z[:, :, 0]).value.shape == ()
    np.testing.assert_allclose(joint_cumulant4(z, 2, 2, 2, 2).value, fourth_cumulant(z).value[2], rtol=1e-12)
    np.testing.assert_allclose(joint_cumulant4(z, 2, 2, 2, 2).stderr, fourth_cumulant(z).stderr[2], rtol=1e-10)
    cov = covariance(z)
    assert cov.value.shape == (4, 4)
    np.testing.assert_allclose(np.diag(cov.value), second_moment(z).value, rtol=1e-12)
    np.testing.assert_allclose(cov.value, cov.value.T, rtol=1e-12)
    # joint cumulant is symmetric in its indices
    np.testing.assert_allclose(joint_cumulant4(z, 0, 1, 2, 3).value, joint_cumulant4(z, 3, 1, 0, 2).value,
                               rtol=1e-12)


def test_float32_samples_give_float32_estimates():
    z = jnp.asarray(np.random.default_rng(82).standard_normal(1000), dtype=jnp.float32)
    assert excess_kurtosis(z).value.dtype == jnp.float32


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: second_moment(np.ones(1)), ValueError, "samples"),
        (lambda: second_moment(np.ones((3, 2, 2, 2))), ValueError, "samples"),
        (lambda: fourth_cumulant(np.array([1.0, np.nan, 2.0])), ValueError, "samples"),
        (lambda: excess_kurtosis("abc"), TypeError, "samples"),
        (lambda: joint_cumulant4(np.ones((5, 1)), 0, 0, 0, 0), ValueError, "samples"),
        (lambda: joint_cumulant4(np.ones((5, 1, 2)), 0, 0, 2, 0), ValueError, "c"),
        (lambda: joint_cumulant4(np.ones((5, 1, 2)), 0, -1, 0, 0), ValueError, "b"),
        (lambda: batch_means(second_moment, np.ones(10), 1), ValueError, "n_batches"),
        (lambda: batch_means(second_moment, np.ones(10), 6), ValueError, "n_batches"),
        (lambda: Estimate(jnp.zeros(2), jnp.zeros(3)), ValueError, "stderr"),
    ],
)
def test_estimators_reject_bad_input(call, exc, name):
    with pytest.raises(exc, match=f"`{name}`"):
        call()
