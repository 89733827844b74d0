"""The ensemble samplers of `widenets.edgeworth.empirical`.

References each assertion compares against:
- the "gram" (conditional-Gaussian) sampler and the "weights" (real weight matrices) sampler
  draw from the same law; they use different random numbers, so their estimates are
  independent and must agree within 4 combined SE (√(SE₁² + SE₂²));
- the first layer is exactly N(0, K¹), K¹ = C_b + C_W x xᵀ/d: covariance within 4 SE, all
  fourth cumulants 0 within 4 SE, and a Kolmogorov–Smirnov test;
- one hidden layer: E y² = C_b + C_W⟨σ²⟩_{K¹} and κ4 = (C_W²/n)[m4⟨σ⁴⟩ − 3⟨σ²⟩²] exactly
  (sum of n i.i.d. terms; Antognini 2019, arXiv:1908.10030), ⟨σ²⟩ from the dual's closed form / Gauss–Hermite.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from widenets import duals
from widenets.edgeworth.empirical import (
    covariance,
    excess_kurtosis,
    fourth_cumulant,
    joint_cumulant4,
    sample_one_hidden_layer,
    sample_preactivations,
    second_moment,
)

from ._helpers_empirical import N_SE, UnhashableLaw, agree, key_for, unit_inputs, weight_laws, within

ACTS = {"tanh": (duals.tanh, 1.0, 0.0), "relu": (duals.relu, 2.0, 0.0)}


def _layer_stats(z):
    return {
        "E z²": second_moment(z),
        "cov": covariance(z),
        "κ4": fourth_cumulant(z),
        "κ(0,0,1,1)": joint_cumulant4(z, 0, 0, 1, 1),
        "κ(0,1,1,1)": joint_cumulant4(z, 0, 1, 1, 1),
    }


@pytest.mark.slow
@pytest.mark.parametrize("act", sorted(ACTS))
def test_gram_and_weights_samplers_agree_in_law(act):
    """Per layer, E z², E z_a z_b, κ4 and two joint cumulants: gram vs weights within 4 SE.

    Widths (4, 4) and C_b = 0.2 make the 1/n effects large; the test also checks that the
    readout's excess kurtosis is itself > 4 SE away from 0, so agreement is not just two noisy
    zeros. (Narrower/deeper ReLU nets are so heavy-tailed that κ4's SE is itself noisy.)
    """
    make, C_W, _ = ACTS[act]
    x = unit_inputs(2)
    M = 20_000
    kw = dict(C_W=C_W, C_b=0.2, n_networks=M, n_out=2, keep=3)
    gram = sample_preactivations(key_for(1, len(act)), x, make(), (4, 4), method="gram", **kw)
    wts = sample_preactivations(key_for(2, len(act)), x, make(), (4, 4), method="weights", **kw)
    assert [z.shape for z in gram] == [z.shape for z in wts] == [(M, 3, 2)] * 2 + [(M, 2, 2)]
    for layer, (zg, zw) in enumerate(zip(gram, wts), start=1):
        sg, sw = _layer_stats(zg), _layer_stats(zw)
        for name in sg:
            assert agree(sg[name], sw[name]), (act, layer, name, sg[name], sw[name])
    g2 = excess_kurtosis(gram[-1])
    assert np.all(np.asarray(g2.value) > N_SE * np.asarray(g2.stderr)), g2  # a real 1/n effect


@pytest.mark.parametrize("method", ["gram", "weights"])
def test_first_layer_is_exactly_gaussian_with_kernel_K1(method):
    """z¹ ~ N(0, K¹) exactly: covariance, κ4 = 0, joint κ4 = 0, and a KS test of z¹/√K¹."""
    C_W, C_b = 1.7, 0.3
    x = unit_inputs(2) * jnp.asarray([[1.0], [0.6]])
    K1 = C_b + C_W * np.asarray(x @ x.T) / x.shape[1]
    (z1, _) = sample_preactivations(key_for(3, len(method)), x, duals.erf(), (4,), C_W=C_W, C_b=C_b,
                                    n_networks=20_000, keep=4, method=method)
    assert within(covariance(z1), K1)
    assert within(fourth_cumulant(z1), 0.0)
    assert within(joint_cumulant4(z1, 0, 0, 1, 1), 0.0)
    assert within(joint_cumulant4(z1, 0, 1, 1, 1), 0.0)
    u = np.asarray(z1[:, 0, 0]) / math.sqrt(K1[0, 0])  # one neuron per network: i.i.d.
    assert scipy.stats.kstest(u, "norm").pvalue > 1e-4


@pytest.mark.slow
def test_chunking_does_not_change_samples():
    """Same keys, different chunk sizes (vmap over all vs lax.map batches): same numbers."""
    x, relu = unit_inputs(2), duals.relu()
    for method in ("gram", "weights"):
        a = sample_preactivations(key_for(4), x, relu, (3,), C_W=2.0, n_networks=9, keep=2, method=method)
        b = sample_preactivations(key_for(4), x, relu, (3,), C_W=2.0, n_networks=9, keep=2, method=method,
                                  chunk=4)  # two chunks of 4 under lax.map + a remainder of 1
        for za, zb in zip(a, b):
            np.testing.assert_allclose(np.asarray(za), np.asarray(zb), rtol=1e-12, atol=1e-12)


def test_keep_and_dtype_and_typed_rbg_key():
    x = unit_inputs(2).astype(jnp.float32)
    out = sample_preactivations(jax.random.key(0, impl="rbg"), x, duals.tanh(), (2, 5), n_networks=3,
                                keep=4, n_out=3, dtype=jnp.float32, method="weights")
    assert [z.shape for z in out] == [(3, 2, 2), (3, 4, 2), (3, 3, 2)]
    assert all(z.dtype == jnp.float32 for z in out)


def test_gram_sampler_handles_singular_gram_duplicate_inputs():
    """Duplicate inputs make Ĝ singular: the eigen-factor still samples, and z(x) = z(x').

    Rows a, b of the factor L (L Lᵀ = Ĝ) satisfy |L_a − L_b|² = Ĝ_aa + Ĝ_bb − 2Ĝ_ab = 0, so both
    inputs get the same ξ L_aᵀ; numerically the eigenvalues that should be 0 come out O(ε|Ĝ|)
    and enter through √λ, so |z_a − z_b| = O(√ε)·|z| ≈ 1e-8|z| in float64; we allow 1e-6|z|.
    """
    x = jnp.concatenate([unit_inputs(2), unit_inputs(1)], axis=0)  # rows 0 and 2 identical
    out = sample_preactivations(key_for(5), x, duals.relu(), (2, 2), C_W=2.0, n_networks=500, keep=2)
    for z in out:
        assert np.all(np.isfinite(np.asarray(z)))
        scale = float(np.max(np.abs(np.asarray(z))))
        np.testing.assert_allclose(np.asarray(z[..., 0]), np.asarray(z[..., 2]), atol=1e-6 * scale)


def _one_layer_exact(dual, x, C_W, C_b, n, m4):
    K1 = C_b + C_W * float(jnp.sum(x[0] ** 2)) / x.shape[1]
    s2 = float(dual.nngp_diag(jnp.asarray(K1)))
    s4 = float(duals.gaussian_expectation(lambda t: dual.fn(t) ** 4, K1, deg=80))
    return C_b + C_W * s2, (C_W**2 / n) * (m4 * s4 - 3 * s2**2)


@pytest.mark.parametrize("law_name", ["gaussian", "uniform", "rademacher"])
@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_one_hidden_layer_exact_moments(act, law_name):
    """E y² = C_b + C_W⟨σ²⟩ and κ4 = (C_W²/n)[m4⟨σ⁴⟩ − 3⟨σ²⟩²] (exact at width n = 3), 4 SE."""
    make, C_W, _ = ACTS[act]
    law = weight_laws()[law_name]
    x = unit_inputs(1)
    C_b, n = 0.1, 3
    y = sample_one_hidden_layer(key_for(6, len(act), len(law_name)), x, make(), n, C_W=C_W, C_b=C_b,
                                law=law, n_networks=100_000)
    assert y.shape == (100_000, 1)
    K, k4 = _one_layer_exact(make(), x, C_W, C_b, n, float(law.m4))
    assert within(second_moment(y[:, 0]), K), (second_moment(y[:, 0]), K)
    est = fourth_cumulant(y[:, 0])
    assert within(est, k4), (est, k4)
    if law_name == "gaussian":  # m4⟨σ⁴⟩ − 3⟨σ²⟩² = 3 Var σ² > 0: the 1/n effect is resolved
        assert abs(k4) > N_SE * float(est.stderr)


def test_one_hidden_layer_accepts_any_duck_typed_law():
    """Any object with ``sample(key, shape, dtype)`` works, hashable or not; N(0, 1) here, so the
    samples equal those of the theory module's Gaussian law drawn from the same key."""
    x = unit_inputs(1)
    a = sample_one_hidden_layer(key_for(10), x, duals.relu(), 4, C_W=2.0, law=UnhashableLaw(), n_networks=5)
    b = sample_one_hidden_layer(key_for(10), x, duals.relu(), 4, C_W=2.0, law=weight_laws()["gaussian"],
                                n_networks=5)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)


# --- bad input ----------------------------------------------------------------------------

class _NoSample:
    pass


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        (dict(key=np.zeros(3)), TypeError, "key"),
        (dict(key="seed"), TypeError, "key"),
        (dict(widths=()), ValueError, "widths"),
        (dict(widths=5), TypeError, "widths"),
        (dict(widths=(4, 0)), ValueError, "widths[1]"),
        (dict(widths=(4, 2.5)), TypeError, "widths[1]"),
        (dict(n_networks=0), ValueError, "n_networks"),
        (dict(n_networks=3.0), TypeError, "n_networks"),
        (dict(method="exact"), ValueError, "method"),
        (dict(keep=0), ValueError, "keep"),
        (dict(n_out=0), ValueError, "n_out"),
        (dict(chunk=0), ValueError, "chunk"),
        (dict(C_W=-1.0), ValueError, "C_W"),
        (dict(C_b=float("nan")), ValueError, "C_b"),
        (dict(x=np.ones(3)), ValueError, "x"),
        (dict(x=np.ones((2, 3, 1))), ValueError, "x"),
        (dict(x=np.array([[1.0, np.nan, 0.0]])), ValueError, "x"),
        (dict(dual=np.tanh), TypeError, "dual"),
        (dict(dtype=jnp.int32), TypeError, "dtype"),
    ],
)
def test_sample_preactivations_rejects_bad_input(kwargs, exc, name):
    args = dict(key=key_for(7), x=unit_inputs(2), dual=duals.relu(), widths=(4,), n_networks=2)
    args.update(kwargs)
    key, x, dual, widths = args.pop("key"), args.pop("x"), args.pop("dual"), args.pop("widths")
    with pytest.raises(exc, match=f"`{name}`".replace("[", r"\[").replace("]", r"\]")):
        sample_preactivations(key, x, dual, widths, **args)


def test_dual_without_fn_is_rejected():
    kernel_only = duals.from_nngp_fn(None, lambda a, b, c: c, lambda a, b, c: c, name="kernel only")
    with pytest.raises(ValueError, match="`dual`"):
        sample_preactivations(key_for(8), unit_inputs(1), kernel_only, (3,), n_networks=2)


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [(dict(law=_NoSample()), TypeError, "law"), (dict(width=0), ValueError, "width"),
     (dict(n_networks=-1), ValueError, "n_networks"), (dict(x=np.ones(2)), ValueError, "x")],
)
def test_sample_one_hidden_layer_rejects_bad_input(kwargs, exc, name):
    args = dict(x=unit_inputs(1), width=3, law=weight_laws()["gaussian"], n_networks=2)
    args.update(kwargs)
    x, width = args.pop("x"), args.pop("width")
    with pytest.raises(exc, match=f"`{name}`"):
        sample_one_hidden_layer(key_for(9), x, duals.relu(), width, **args)
