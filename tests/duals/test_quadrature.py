"""Gauss–Hermite expectations, `numerical`, `tanh` and `from_nngp_fn`.

Exactness: a deg-node rule integrates polynomials of degree ≤ 2·deg − 1 exactly, so
polynomial integrands are compared at rounding level (rtol 1e-13).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals
from widenets.duals import _quadrature

from .refs import close, gh_reference


def test_gaussian_expectation_moments_dtype_and_transforms():
    var = jnp.asarray([0.0, 0.5, 2.0, 7.0])
    # E[z⁶] = 15 var³ needs degree 6 ≤ 2·deg − 1, i.e. deg ≥ 4
    got = duals.gaussian_expectation(lambda z: z**6, var, deg=4)
    np.testing.assert_allclose(np.asarray(got), 15 * np.asarray(var) ** 3, rtol=1e-13)
    # E[cos z] = exp(−var/2), entire: converged at the default deg
    close(duals.gaussian_expectation(jnp.cos, var), np.exp(-np.asarray(var) / 2), rtol=1e-13)
    low = duals.gaussian_expectation(jnp.cos, var.astype(jnp.float32))
    assert low.dtype == jnp.float32
    jitted = jax.jit(lambda v: duals.gaussian_expectation(lambda z: z**2, v, deg=2))
    np.testing.assert_allclose(np.asarray(jax.vmap(jitted)(var)), np.asarray(var), rtol=1e-14)


def test_gaussian_expectation_2d_exact_moments_broadcast_and_symmetry():
    q11 = jnp.asarray([[0.0], [0.4], [1.0]])
    q22 = jnp.asarray([[0.0, 0.3, 2.0, 1.0]])
    root = jnp.sqrt(q11 * q22)
    q12 = jnp.stack([jnp.zeros(4), 0.5 * root[1], -root[2]])  # incl. cos θ = −1
    tanh2 = lambda u, v: jnp.tanh(u) * jnp.tanh(v)  # noqa: E731

    @jax.jit  # one compilation for the whole test
    def run(q11, q22, q12):
        return (
            duals.gaussian_expectation_2d(lambda u, v: u * u * v * v, q11, q22, q12, deg=3),
            duals.gaussian_expectation_2d(lambda u, v: u * v**3, q11, q22, q12, deg=3),
            duals.gaussian_expectation_2d(tanh2, q11, q22, q12),
            duals.gaussian_expectation_2d(tanh2, q22.T, q11.T, q12.T),
        )

    m22, m13, a, b = (np.asarray(o) for o in run(q11, q22, q12))
    assert m22.shape == (3, 4)
    np.testing.assert_allclose(m22, np.asarray(q11 * q22 + 2 * q12**2), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(m13, np.asarray(3 * q12 * q22), rtol=1e-13, atol=1e-15)
    # swapping the variances swaps (u, v) node by node: exact symmetry for symmetric f
    np.testing.assert_array_equal(a, b.T)


def test_scan_path_equals_vectorized_path(monkeypatch):
    q = (jnp.asarray([1.0, 0.3]), jnp.asarray([0.5, 0.0]), jnp.asarray([0.2, 0.0]))
    f = lambda u, v: jnp.sin(u) * jnp.exp(0.1 * v)  # noqa: E731
    run = lambda: jax.jit(lambda *q: duals.gaussian_expectation_2d(f, *q, deg=7))(*q)  # noqa: E731
    vectorized = run()
    monkeypatch.setattr(_quadrature, "VECTORIZE_LIMIT", 0)
    scanned = run()
    np.testing.assert_allclose(np.asarray(scanned), np.asarray(vectorized), rtol=1e-14, atol=1e-15)


def test_numerical_is_exact_for_polynomials_and_robust():
    """φ = x³ − x: a 4-node rule is exact, so `numerical` must equal `polynomial`."""
    num = duals.numerical(lambda x: x**3 - x, deg=4)
    poly = duals.polynomial([0.0, -1.0, 0.0, 1.0])
    q11 = jnp.asarray([0.0, 0.0, 1.3, 2.0, 2.0, 1e-12, 0.7])
    q22 = jnp.asarray([0.0, 0.8, 0.7, 0.5, 0.5, 1e-12, 0.7])
    q12 = jnp.asarray([0.0, 0.0, 0.4, 1.0, -1.0, 1e-12, -0.1])  # zero variance, |cos θ| = 1
    run = jax.jit(jax.vmap(lambda a, b, c: (num.nngp(a, b, c), num.ntk(a, b, c))))
    for got, want in zip(run(q11, q22, q12), (poly.nngp(q11, q22, q12), poly.ntk(q11, q22, q12))):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(num.nngp_diag(q11)), np.asarray(poly.nngp_diag(q11)), rtol=1e-12)
    # derivative by autodiff equals the given one
    given = duals.numerical(lambda x: x**3 - x, deg=4, dfn=lambda x: 3 * x**2 - 1)
    close(given.ntk(q11, q22, q12), num.ntk(q11, q22, q12), rtol=1e-13)


def test_numerical_sin_matches_closed_form():
    """Entire φ: the default 25-node rule is converged to ~1e-12 at unit variance."""
    num, closed = duals.numerical(jnp.sin), duals.sin()
    q = (jnp.asarray([1.0, 0.4]), jnp.asarray([0.6, 1.1]), jnp.asarray([0.3, -0.5]))
    for f, g in ((num.nngp, closed.nngp), (num.ntk, closed.ntk)):
        np.testing.assert_allclose(np.asarray(f(*q)), np.asarray(g(*q)), atol=1e-12)


@pytest.mark.parametrize(
    "q, tol",
    [
        # measured errors of the 48-node rule: ~3e-9 (T) and ~5e-8 (Tdot) at q ≈ 1,
        # growing like the distance of tanh's poles (±iπ/2) shrinks relative to √q
        ((1.0, 1.0, 0.5), 2e-7),
        ((0.5, 0.9, -0.6), 2e-7),
        ((0.3, 0.3, 0.3), 2e-7),
        ((2.0, 1.5, 1.2), 1e-4),
    ],
)
def test_tanh_accuracy(q, tol):
    """Against a 200-node numpy rule (converged to ~1e-13 for these variances)."""
    dual = duals.tanh()
    ref = gh_reference(lambda u, v: np.tanh(u) * np.tanh(v), *q, deg=200)
    dref = gh_reference(lambda u, v: (1 - np.tanh(u) ** 2) * (1 - np.tanh(v) ** 2), *q, deg=200)
    assert abs(float(dual.nngp(*q)) - ref) <= tol
    assert abs(float(dual.ntk(*q)) - dref) <= tol


def test_from_nngp_fn_broadcast_dtype_and_ntk_fn():
    calls = []

    def nngp_fn(q11, q22, q12):
        calls.append(q12.shape)
        return jnp.asarray(q12 + 0.1 * q11 * q22, jnp.float64)  # returns float64 regardless

    dual = duals.from_nngp_fn(jnp.sin, nngp_fn, name="Custom")
    q11, q22 = jnp.ones((3, 1), jnp.float32), jnp.full((1, 4), 2.0, jnp.float32)
    q12 = jnp.zeros((3, 4), jnp.float32)
    t, td = dual.nngp(q11, q22, q12), dual.ntk(q11, q22, q12)
    assert t.dtype == td.dtype == jnp.float32 and t.shape == td.shape == (3, 4)
    assert calls[0] == (3, 4)  # called on broadcast arrays
    np.testing.assert_allclose(np.asarray(td), 1.0)
    assert dual.name == "Custom"
    # a given ntk_fn is used as is
    given = duals.from_nngp_fn(None, nngp_fn, lambda a, b, c: 7.0 + 0 * c)
    np.testing.assert_array_equal(np.asarray(given.ntk(q11, q22, q12)), 7.0)
    with pytest.raises(ValueError, match="fn"):
        given.dfn(jnp.ones(2))
    # scalar-only user code wrapped in jnp.vectorize (what the stax layer does for NT order)
    scalar = jnp.vectorize(lambda a, b, c: jnp.where(c > 0, c * c, c) + a * b)
    wrapped = duals.from_nngp_fn(None, scalar)
    c = jnp.asarray([-0.5, 0.5])
    np.testing.assert_allclose(np.asarray(wrapped.ntk(1.0, 1.0, c)), [1.0, 1.0], rtol=1e-15)


def test_quadrature_helpers_are_jittable_with_constant_args():
    out = jax.jit(lambda q: duals.tanh().nngp(q, q, 0.5 * q))(jnp.asarray([1.0, 2.0]))
    assert out.shape == (2,) and np.all(np.isfinite(np.asarray(out)))
    assert math.isclose(float(duals.gaussian_expectation(lambda z: z**4, 2.0)), 12.0, rel_tol=1e-14)
