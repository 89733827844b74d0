"""`gradient_descent_mse`: identities of gradient flow, each against an independent reference.

References: f(0) = f0; the GP posterior mean solved with `numpy.linalg.solve` at t = ∞; the
ODE df/dt = −(η/|y|) K (f − y) by a central finite difference in t; the semigroup property
f(t1 + t2) = flow_{t2}(f(t1)); `scipy.linalg.expm` for finite t; the traced kernel K against
the untraced K ⊗ I.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets.predict import gradient_descent_mse

from .problems import relu_problem, spd_expm

LR = 0.8


@pytest.fixture(scope="module")
def prob():
    p = relu_problem()
    fn = gradient_descent_mse(jnp.asarray(p["ntk_dd"]), jnp.asarray(p["y"]), LR)
    return p, fn


def _call(fn, p, t):
    return fn(t, jnp.asarray(p["f0"]), jnp.asarray(p["f0t"]), jnp.asarray(p["ntk_td"]))


def test_t0_returns_initial_outputs(prob):
    p, fn = prob
    train, test = _call(fn, p, 0.0)
    np.testing.assert_array_equal(train, p["f0"])
    np.testing.assert_array_equal(test, p["f0t"])


def test_infinite_time_is_ntk_posterior_mean(prob):
    p, fn = prob
    train, test = _call(fn, p, None)
    want = p["f0t"] + p["ntk_td"] @ np.linalg.solve(p["ntk_dd"], p["y"] - p["f0"])
    np.testing.assert_array_equal(train, p["y"])
    np.testing.assert_allclose(test, want, rtol=1e-9, atol=1e-12)
    inf_train, inf_test = _call(fn, p, jnp.asarray([np.inf]))
    np.testing.assert_allclose(inf_test[0], test, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(inf_train[0], train, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("t", [0.3, 4.0, 40.0])
def test_matches_expm(prob, t):
    p, fn = prob
    s = LR * t / p["y"].size
    e = spd_expm(p["ntk_dd"], s)
    r = p["y"] - p["f0"]
    train, test = _call(fn, p, t)
    np.testing.assert_allclose(train, p["y"] - e @ r, rtol=1e-10, atol=1e-12)
    want = p["f0t"] + p["ntk_td"] @ np.linalg.solve(p["ntk_dd"], (np.eye(len(e)) - e) @ r)
    np.testing.assert_allclose(test, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("t", [0.5, 5.0])
def test_satisfies_gradient_flow_ode(prob, t):
    p, fn = prob
    h = 1e-4
    (tr_m, tr_0, tr_p), (te_m, _, te_p) = _call(fn, p, jnp.asarray([t - h, t, t + h]))
    scale = LR / p["y"].size
    rhs_train = -scale * p["ntk_dd"] @ (np.asarray(tr_0) - p["y"])
    rhs_test = -scale * p["ntk_td"] @ (np.asarray(tr_0) - p["y"])
    np.testing.assert_allclose((tr_p - tr_m) / (2 * h), rhs_train, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose((te_p - te_m) / (2 * h), rhs_test, rtol=1e-6, atol=1e-9)


def test_semigroup(prob):
    p, fn = prob
    t1, t2 = 1.5, 6.0
    train1, test1 = _call(fn, p, t1)
    train12, test12 = fn(t2, train1, test1, jnp.asarray(p["ntk_td"]))
    train, test = _call(fn, p, t1 + t2)
    np.testing.assert_allclose(train12, train, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(test12, test, rtol=1e-10, atol=1e-12)


def test_time_axes_and_single_outputs(prob):
    p, fn = prob
    ts = np.array([[0.0, 1.0, 2.0], [5.0, 10.0, np.inf]])
    train, test = _call(fn, p, jnp.asarray(ts))
    assert train.shape == (2, 3) + p["y"].shape and test.shape == (2, 3) + p["f0t"].shape
    for idx in np.ndindex(ts.shape):
        t = None if np.isinf(ts[idx]) else float(ts[idx])
        a, b = _call(fn, p, t)
        np.testing.assert_allclose(train[idx], a, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(test[idx], b, rtol=1e-12, atol=1e-14)
    only_train = fn(2.0, jnp.asarray(p["f0"]))
    np.testing.assert_allclose(only_train, train[0, 2], rtol=1e-12, atol=1e-14)
    only_test = fn(2.0, None, jnp.asarray(p["f0t"]), jnp.asarray(p["ntk_td"]))
    # fx_train_0=None means residual y − 0 (NT's convention)
    want = fn(2.0, jnp.zeros_like(jnp.asarray(p["f0"])), jnp.asarray(p["f0t"]), jnp.asarray(p["ntk_td"]))[1]
    np.testing.assert_allclose(only_test, want, rtol=1e-12, atol=1e-14)


def test_untraced_kernel_with_identity_matches_traced(prob):
    p, fn = prob
    k = p["y"].shape[1]
    kdd = np.einsum("ij,cd->ijcd", p["ntk_dd"], np.eye(k))
    ktd = np.einsum("ij,cd->ijcd", p["ntk_td"], np.eye(k))
    fn_u = gradient_descent_mse(jnp.asarray(kdd), jnp.asarray(p["y"]), LR, trace_axes=())
    for t in (3.0, None):
        a = fn_u(t, jnp.asarray(p["f0"]), jnp.asarray(p["f0t"]), jnp.asarray(ktd))
        b = _call(fn, p, t)
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-12)


def test_relative_regulariser_is_mean_diagonal(prob):
    p, _ = prob
    rel = gradient_descent_mse(jnp.asarray(p["ntk_dd"]), jnp.asarray(p["y"]), LR, diag_reg=0.01)
    absolute = gradient_descent_mse(jnp.asarray(p["ntk_dd"]), jnp.asarray(p["y"]), LR,
                                    diag_reg=0.01 * float(np.mean(np.diag(p["ntk_dd"]))),
                                    diag_reg_absolute_scale=True)
    for t in (2.0, None):
        for u, v in zip(_call(rel, p, t), _call(absolute, p, t)):
            np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_jit_and_float32(prob):
    p, fn = prob
    jitted = jax.jit(lambda t: _call(fn, p, t))
    for u, v in zip(jitted(jnp.asarray([0.5, 3.0])), _call(fn, p, jnp.asarray([0.5, 3.0]))):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-14)
    f32 = lambda a: jnp.asarray(a, dtype=jnp.float32)  # noqa: E731
    fn32 = gradient_descent_mse(f32(p["ntk_dd"]), f32(p["y"]), LR)
    train, test = fn32(3.0, f32(p["f0"]), f32(p["f0t"]), f32(p["ntk_td"]))
    assert train.dtype == test.dtype == jnp.float32
    ref = _call(fn, p, 3.0)
    np.testing.assert_allclose(train, ref[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(test, ref[1], rtol=1e-4, atol=1e-5)
