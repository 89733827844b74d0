"""Special cases reduce to simpler units, and the documented zero-variance conventions hold.

All comparisons are float64 on the same inputs: random valid covariances (fixed seed) plus
degenerate ones. Units that share code must agree to rounding (rtol 1e-13); closed forms
written independently in the test agree to a few ulps of the formula (rtol 1e-12).
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals

from .refs import close


@pytest.fixture(scope="module")
def q():
    """Random valid covariances (incl. exactly collinear pairs) plus degenerate triples."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(2, 30, 5)) * rng.uniform(0.2, 2.0, size=(2, 30, 1))
    b[:5] = a[:5] * rng.uniform(-2, 2, size=(5, 1))  # exactly collinear pairs: |cos θ| = 1
    q11, q22, q12 = (np.mean(u * v, axis=1) for u, v in ((a, a), (b, b), (a, b)))
    degenerate = np.array([[0, 0, 0], [0, 1.3, 0], [0.7, 0, 0], [1, 1, 1], [2, 2, -2]], float).T
    return tuple(jnp.asarray(np.concatenate([v, d])) for v, d in zip((q11, q22, q12), degenerate))


def assert_same(d1, d2, q, rtol=1e-13):
    for f1, f2 in ((d1.nngp, d2.nngp), (d1.ntk, d2.ntk)):
        np.testing.assert_allclose(np.asarray(f1(*q)), np.asarray(f2(*q)), rtol=rtol, atol=rtol)
    close(d1.nngp_diag(q[0]), d2.nngp_diag(q[0]), rtol=rtol, atol=rtol)
    x = jnp.linspace(-2.5, 2.5, 11)
    np.testing.assert_allclose(np.asarray(d1.fn(x)), np.asarray(d2.fn(x)), rtol=rtol, atol=rtol)


def test_abrelu_0_1_is_relu(q):
    assert_same(duals.abrelu(0, 1), duals.relu(), q, rtol=0)


@pytest.mark.parametrize("a", [0.7, -1.3])
def test_abrelu_a_a_is_linear(q, a):
    dual = duals.abrelu(a, a)
    np.testing.assert_allclose(np.asarray(dual.nngp(*q)), a * a * np.asarray(q[2]), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(dual.ntk(*q)), np.full(q[2].shape, a * a), rtol=1e-14)
    assert_same(duals.abrelu(1, 1), duals.identity(), q)


def test_leaky_relu_and_abs_are_abrelu(q):
    assert_same(duals.leaky_relu(0.15), duals.abrelu(0.15, 1), q, rtol=0)
    assert_same(duals.abs_(), duals.abrelu(-1, 1), q, rtol=0)


def test_abs_and_relu_closed_forms(q):
    """The closed forms of docs/theory/duals.md written out with numpy's arccos (independent of `correlation`)."""
    q11, q22, q12 = (np.asarray(v) for v in q)
    ok = q11 * q22 > 0
    cos = np.clip(np.where(ok, q12 / np.sqrt(np.where(ok, q11 * q22, 1)), 0), -1, 1)
    theta = np.arccos(cos)
    root = np.sqrt(np.maximum(q11 * q22 - q12**2, 0))
    # arccos near |cos| = 1 and sqrt(P − q12²) carry ~1e-8 relative error: compare loosely
    relu = duals.relu()
    close(relu.nngp(*q), (root + (np.pi - theta) * q12) / (2 * np.pi), atol=1e-7)
    np.testing.assert_allclose(np.asarray(relu.ntk(*q)), (np.pi - theta) / (2 * np.pi), atol=1e-7)
    ab = duals.abs_()
    close(ab.nngp(*q), (2 / np.pi) * (root + (np.pi / 2 - theta) * q12), atol=1e-7)
    np.testing.assert_allclose(np.asarray(ab.ntk(*q)), 1 - 2 * theta / np.pi, atol=1e-7)


def test_zero_variance_conventions():
    """cos θ := 0 at zero variance, i.e. φ'(0) (φ(0) for steps) = mean of one-sided limits."""
    z, one = jnp.zeros(3), jnp.asarray([1.0, 2.0, 0.0])
    np.testing.assert_array_equal(np.asarray(duals.relu().ntk(z, one, z)), 0.25)  # (1/2)²
    np.testing.assert_array_equal(np.asarray(duals.relu().nngp(z, one, z)), 0.0)
    np.testing.assert_allclose(np.asarray(duals.abrelu(0.5, 1.5).ntk(z, one, z)), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(np.asarray(duals.sign().nngp(z, one, z)), 0.0)
    step = duals.rectified_monomial(0)
    np.testing.assert_array_equal(np.asarray(step.nngp(z, one, z)), 0.25)  # Θ(0) = 1/2
    np.testing.assert_array_equal(np.asarray(step.nngp_diag(z)), 0.25)
    np.testing.assert_array_equal(np.asarray(step.fn(z)), 0.5)
    np.testing.assert_array_equal(np.asarray(duals.rectified_monomial(1).ntk(z, one, z)), 0.25)


def test_sign_is_arcsin_and_has_zero_ntk(q):
    q11, q22, q12 = (np.asarray(v) for v in q)
    ok = q11 * q22 > 0
    cos = np.clip(np.where(ok, q12 / np.sqrt(np.where(ok, q11 * q22, 1)), 0), -1, 1)
    sign = duals.sign()
    np.testing.assert_allclose(np.asarray(sign.nngp(*q)), 2 / np.pi * np.arcsin(cos), atol=1e-7)
    np.testing.assert_array_equal(np.asarray(sign.ntk(*q)), 0.0)
    np.testing.assert_array_equal(np.asarray(sign.nngp_diag(jnp.asarray([0.0, 1e-300, 3.0]))), [0, 1, 1])


def test_cos_is_shifted_sin(q):
    assert_same(duals.cos(1.3, 0.8, 0.2), duals.sin(1.3, 0.8, 0.2 + math.pi / 2), q)


@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.5])
def test_rbf_is_sin(q, gamma):
    dual = duals.rbf(gamma)
    assert_same(dual, duals.sin(math.sqrt(2), math.sqrt(2 * gamma), math.pi / 4), q, rtol=1e-12)
    q11, q22, q12 = (np.asarray(v) for v in q)
    t = np.exp(-gamma * (q11 + q22 - 2 * q12))
    np.testing.assert_allclose(np.asarray(dual.nngp(*q)), t, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(dual.ntk(*q)), 2 * gamma * t, rtol=1e-13)


def test_sigmoid_like_is_erf(q):
    assert_same(duals.sigmoid_like(), duals.erf(0.5, 1 / 2.4020563531719796, 0.5), q, rtol=0)


@pytest.mark.parametrize("degree", range(7))
def test_monomial_is_polynomial_e_d(q, degree):
    assert_same(duals.monomial(degree), duals.polynomial([0.0] * degree + [1.0]), q, rtol=0)


def test_monomial_low_degrees(q):
    q11, q22, q12 = (np.asarray(v) for v in q)
    p = q11 * q22
    for degree, t, td in (
        (0, 1 + 0 * p, 0 * p),
        (1, q12, 1 + 0 * p),
        (2, 2 * q12**2 + p, 4 * q12),
        (3, 6 * q12**3 + 9 * q12 * p, 18 * q12**2 + 9 * p),
    ):
        dual = duals.monomial(degree)
        np.testing.assert_allclose(np.asarray(dual.nngp(*q)), t, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(np.asarray(dual.ntk(*q)), td, rtol=1e-13, atol=1e-15)


def test_identity_is_polynomial_x(q):
    assert_same(duals.identity(), duals.polynomial([0.0, 1.0]), q)


def test_rectified_monomial_1_is_relu(q):
    assert_same(duals.rectified_monomial(1), duals.relu(), q, rtol=1e-13)


@pytest.mark.parametrize("degree", [1, 2, 3, 4])
def test_rectified_monomial_ntk_is_d2_times_lower_order(q, degree):
    upper, lower = duals.rectified_monomial(degree), duals.rectified_monomial(degree - 1)
    np.testing.assert_allclose(np.asarray(upper.ntk(*q)), degree**2 * np.asarray(lower.nngp(*q)), rtol=1e-15)


def test_from_nngp_fn_autodiff_matches_exp(q):
    """Exp(a, b)'s T handed over as a user function: Tdot by autodiff = b²T."""
    a, b = 0.8, 0.6
    user = duals.from_nngp_fn(None, lambda q11, q22, q12: a * a * jnp.exp(b * b * ((q11 + q22) / 2 + q12)))
    ref = duals.exp(a, b)
    for f1, f2 in ((user.nngp, ref.nngp), (user.ntk, ref.ntk)):
        np.testing.assert_allclose(np.asarray(f1(*q)), np.asarray(f2(*q)), rtol=1e-14)
