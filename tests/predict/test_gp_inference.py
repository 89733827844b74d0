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


def test_empirical_kernels_feed_predict_as_in_neural_tangents_readme():
    """The README's function-space pattern on a stax MLP (the README itself, verbatim:
    test_nt_readme_flow.py): `empirical_kernel_fn` returns an array for a string ``get``
    (into `gradient_descent_mse`) and a namedtuple otherwise (into `gp_inference`). References: the closed forms of the same kernels, e^{−ηtK/|y|} by
    scipy's expm and K_td K⁻¹ (·) by numpy's solve. Tolerances: derived, the NTK's condition
    number (~1e3 here) times float64 round-off, with a margin."""
    import jax

    import widenets as nt

    from .problems import spd_expm

    p = relu_problem()
    init_fn, apply_fn, _ = stax.serial(stax.Dense(64, W_std=1.5, b_std=0.1), stax.Relu(),
                                       stax.Dense(3, W_std=1.5, b_std=0.1))
    x, xt, y = (jnp.asarray(p[k]) for k in ("x", "xt", "y"))
    shapes = jax.eval_shape(lambda key: init_fn(key, x.shape)[1], jax.random.key(0))  # no compile
    rng = np.random.default_rng(1)
    params = jax.tree.map(lambda s: jnp.asarray(rng.standard_normal(s.shape)), shapes)
    kernel_fn = jax.jit(nt.empirical_kernel_fn(apply_fn, vmap_axes=0), static_argnums=2)
    ntk_dd = kernel_fn(x, None, "ntk", params)
    ntk_td = kernel_fn(xt, x, "ntk", params)
    f0, f0t = apply_fn(params, x), apply_fn(params, xt)
    train, test = nt.predict.gradient_descent_mse(ntk_dd, y)(5.0, f0, f0t, ntk_td)
    k, ktd = np.asarray(ntk_dd), np.asarray(ntk_td)
    decay = spd_expm(k, 5.0 / y.size)
    np.testing.assert_allclose(train, y + decay @ (f0 - y), rtol=1e-9, atol=1e-12)
    shift = ktd @ np.linalg.solve(k, (np.eye(len(k)) - decay) @ (y - f0))
    np.testing.assert_allclose(test, f0t + shift, rtol=1e-9, atol=1e-12)
    both_dd, both_td = kernel_fn(x, None, None, params), kernel_fn(xt, x, None, params)
    assert both_dd._fields == ("nngp", "ntk")
    mean = gp_inference(both_dd, y)("ntk", both_td)  # (the 3-channel NNGP has rank 3 < 12)
    np.testing.assert_allclose(mean, ktd @ np.linalg.solve(k, p["y"]), rtol=1e-9, atol=1e-12)
