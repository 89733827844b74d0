"""`gradient_descent_mse_ensemble` against an independent computation of the ensemble.

The outputs of one network, linearised, are f_t(x) = f0(x) + B_t(x) (y − f0(X)) with
B_t(x) = K(x, X) K⁻¹ (I − e^{−sK}) (built here with `scipy.linalg.expm` and `numpy.linalg.solve`),
an affine map of f0 ~ GP(0, 𝒦). Its mean B_t y and covariance [I, −B] 𝒦_joint [I, −B]ᵀ are
computed from the joint NNGP of (x_test, X) — no ensemble formula is reused. t = ∞ with
get='nngp' must equal the NNGP posterior (`gp_inference`).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from widenets.predict import gp_inference, gradient_descent_mse_ensemble

from .problems import relu_problem, spd_expm

LR = 0.6


@pytest.fixture(scope="module")
def prob():
    p = relu_problem()
    fn = gradient_descent_mse_ensemble(p["kernel_fn"], jnp.asarray(p["x"]), jnp.asarray(p["y"]), LR)
    return p, fn


def _reference(p, g, t, test=True):
    k = p[f"{g}_dd"]
    n = len(k)
    s = LR * t / p["y"].size
    b = np.linalg.solve(k, np.eye(n) - spd_expm(k, s))  # K⁻¹(I − e^{−sK})
    if test:
        kx, kxx, kxd = p[f"{g}_td"] @ b, p["nngp_tt"], p["nngp_td"]
    else:
        kx, kxx, kxd = k @ b, p["nngp_dd"], p["nngp_dd"]
    mean = kx @ p["y"]
    # f = f0(x) − kx f0(X) + kx y: covariance of [I, −kx] applied to the joint NNGP
    cov = kxx - kx @ kxd.T - kxd @ kx.T + kx @ p["nngp_dd"] @ kx.T
    return mean, cov


@pytest.mark.parametrize("g", ["nngp", "ntk"])
@pytest.mark.parametrize("test", [True, False], ids=["test", "train"])
def test_mean_and_covariance_match_linearised_ensemble(prob, g, test):
    p, fn = prob
    ts = [0.0, 2.0, 30.0]
    out = fn(jnp.asarray(ts), jnp.asarray(p["xt"]) if test else None, g, True)
    assert out.mean.shape == (3,) + ((5,) if test else (12,)) + (3,)
    for i, t in enumerate(ts):
        mean, cov = _reference(p, g, t, test)
        np.testing.assert_allclose(out.mean[i], mean, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(out.covariance[i], cov, rtol=1e-8, atol=1e-10)
        c = np.asarray(out.covariance[i])
        np.testing.assert_allclose(c, c.T, rtol=0, atol=1e-12 * np.abs(c).max())
        assert np.linalg.eigvalsh(c).min() > -1e-10 * np.abs(c).max()


def test_infinite_time_nngp_is_posterior(prob):
    p, fn = prob
    post = gp_inference(
        type("K", (), {"nngp": jnp.asarray(p["nngp_dd"]), "ntk": jnp.asarray(p["ntk_dd"])})(),
        jnp.asarray(p["y"]))
    ref = post("nngp", jnp.asarray(p["nngp_td"]), jnp.asarray(p["nngp_tt"]))
    for t in (None, 1e9):
        out = fn(t, jnp.asarray(p["xt"]), "nngp", True)
        np.testing.assert_allclose(out.mean, ref.mean, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(out.covariance, ref.covariance, rtol=1e-8, atol=1e-10)
    closed = p["nngp_tt"] - p["nngp_td"] @ np.linalg.solve(p["nngp_dd"], p["nngp_td"].T)
    np.testing.assert_allclose(ref.covariance, closed, rtol=1e-8, atol=1e-10)


def test_mean_only_and_get_conventions(prob):
    p, fn = prob
    out = fn(5.0, jnp.asarray(p["xt"]))
    assert out._fields == ("nngp", "ntk") and out.ntk.shape == (5, 3)
    cov = fn(5.0, jnp.asarray(p["xt"]), "ntk", True)
    np.testing.assert_allclose(out.ntk, cov.mean, rtol=1e-12)


def test_first_call_under_jit(prob):
    """Kernels and eigendecompositions cached during a jit trace must be concrete (no leaked
    tracers): a fresh predictor first called under `jax.jit`, then eagerly."""
    import jax

    p, fn = prob
    fresh = gradient_descent_mse_ensemble(p["kernel_fn"], jnp.asarray(p["x"]), jnp.asarray(p["y"]), LR)
    xt = jnp.asarray(p["xt"])
    jitted = jax.jit(lambda t: fresh(t, xt, "ntk", True))(jnp.asarray([1.0, 4.0]))
    eager = fresh(jnp.asarray([1.0, 4.0]), xt, "ntk", True)
    np.testing.assert_allclose(jitted.mean, eager.mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jitted.covariance, eager.covariance, rtol=1e-12, atol=1e-14)
