"""`gp_inference` against closed forms solved with `numpy.linalg.solve` (Rasmussen & Williams
2006, eqs. 2.23–2.24 for the NNGP; Lee et al. 2019 for the NTK ensemble at t = ∞), plus NT's
calling conventions (kernel objects, `get`, training set)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.predict import Gaussian, gp_inference

from .problems import relu_problem


@pytest.fixture(scope="module")
def prob():
    p = relu_problem()
    kernel_fn = p["kernel_fn"]
    x, xt = jnp.asarray(p["x"]), jnp.asarray(p["xt"])
    kernels = {"dd": kernel_fn(x, None), "td": kernel_fn(xt, x), "tt": kernel_fn(xt, None)}
    assert isinstance(kernels["dd"], stax.Kernel)  # the widenets Kernel record is accepted as-is
    return p, kernels, gp_inference(kernels["dd"], jnp.asarray(p["y"]))


def _closed_forms(p):
    solve = np.linalg.solve
    nngp = {
        "mean": p["nngp_td"] @ solve(p["nngp_dd"], p["y"]),
        "cov": p["nngp_tt"] - p["nngp_td"] @ solve(p["nngp_dd"], p["nngp_td"].T),
    }
    a = solve(p["ntk_dd"], p["ntk_td"].T)  # Θ⁻¹ Θ_dt
    cross = p["ntk_td"] @ solve(p["ntk_dd"], p["nngp_td"].T)
    ntk = {
        "mean": p["ntk_td"] @ solve(p["ntk_dd"], p["y"]),
        "cov": p["nngp_tt"] + a.T @ p["nngp_dd"] @ a - cross - cross.T,
    }
    ntkgp = {
        "mean": ntk["mean"],
        "cov": p["ntk_tt"] - p["ntk_td"] @ solve(p["ntk_dd"], p["ntk_td"].T),
    }
    return {"nngp": nngp, "ntk": ntk, "ntkgp": ntkgp}


def test_posterior_matches_closed_forms(prob):
    p, kernels, fn = prob
    ref = _closed_forms(p)
    out = fn(("nngp", "ntk", "ntkgp"), kernels["td"], kernels["tt"])
    for g in ("nngp", "ntk", "ntkgp"):
        gauss = getattr(out, g)
        assert isinstance(gauss, Gaussian)
        np.testing.assert_allclose(gauss.mean, ref[g]["mean"], rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(gauss.covariance, ref[g]["cov"], rtol=1e-8, atol=1e-10)
        cov = np.asarray(gauss.covariance)
        np.testing.assert_allclose(cov, cov.T, rtol=0, atol=1e-12 * np.abs(cov).max())
        assert np.linalg.eigvalsh(cov).min() > -1e-10 * np.abs(cov).max()


def test_get_conventions(prob):
    p, kernels, fn = prob
    both = fn(None, kernels["td"])
    assert type(both).__name__ == "Gaussians" and both._fields == ("nngp", "ntk")
    np.testing.assert_array_equal(fn("ntk", kernels["td"]), both.ntk)
    swapped = fn(("NTK", "nngp"), kernels["td"])
    assert swapped._fields == ("ntk", "nngp")
    # an array kernel stands for every `get`
    arr = gp_inference(jnp.asarray(p["nngp_dd"]), jnp.asarray(p["y"]))
    np.testing.assert_allclose(arr("nngp", jnp.asarray(p["nngp_td"])), both.nngp, rtol=1e-12)


def test_training_set_is_targets_with_zero_covariance(prob):
    p, _, fn = prob
    out = fn(None, None, True)
    for g in ("nngp", "ntk"):
        np.testing.assert_array_equal(getattr(out, g).mean, p["y"])
        np.testing.assert_array_equal(getattr(out, g).covariance, np.zeros((12, 12)))


def test_train_points_as_test_points_interpolate(prob):
    """K_td = K (test inputs = training inputs): the posterior interpolates, covariance 0."""
    p, kernels, fn = prob
    out = fn("nngp", kernels["dd"], kernels["dd"])
    np.testing.assert_allclose(out.mean, p["y"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(out.covariance, 0, atol=1e-8 * np.abs(p["nngp_dd"]).max())
