"""Polynomial (Hermite/Mehler) and arc-cosine (Cho & Saul) duals against independent forms."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

from widenets import duals

from .refs import close, gh_reference


def _cho_saul_j(degree: int):
    """J_d(θ) = (−1)^d sin^{2d+1}θ ((1/sinθ) ∂/∂θ)^d ((π − θ)/sinθ), Cho & Saul 2009 eq. 4."""
    theta = sympy.Symbol("theta")
    expr = (sympy.pi - theta) / sympy.sin(theta)
    for _ in range(degree):
        expr = sympy.diff(expr, theta) / sympy.sin(theta)
    expr = (-1) ** degree * sympy.sin(theta) ** (2 * degree + 1) * expr
    return sympy.lambdify(theta, expr, "numpy")


@pytest.mark.parametrize("degree", range(6))
def test_arccos_kernel_matches_cho_saul_definition(degree):
    """T(1, 1, cos θ) = J_d(θ)/(2π), J_d evaluated from its definition (sympy, numpy)."""
    theta = np.linspace(0.05, math.pi - 0.05, 23)
    ref = _cho_saul_j(degree)(theta) / (2 * math.pi)
    # scale: T(q, q, q)·(q11 q22)^{d/2} at θ = 0; evaluate at other variances too
    dual = duals.rectified_monomial(degree)
    for q11, q22 in ((1.0, 1.0), (0.3, 2.5)):
        r = math.sqrt(q11 * q22)
        ones = jnp.ones(theta.shape)
        got = np.asarray(dual.nngp(q11 * ones, q22 * ones, jnp.asarray(r * np.cos(theta))))
        # the definition's 1/sinθ powers cancel in floating point with error ~1e-13
        np.testing.assert_allclose(got, r**degree * ref, rtol=1e-10, atol=1e-12 * r**degree)


@pytest.mark.parametrize("degree", range(5))
def test_arccos_kernel_endpoints(degree):
    """θ = 0: E[Θ(u)u^{2d}] = (2d−1)!!/2·q^d; θ = π: 0 (d ≥ 1) or 0 (d = 0, u v < 0 a.s.)."""
    dual = duals.rectified_monomial(degree)
    q = jnp.asarray([0.7, 1.0, 3.0])
    dfact = math.prod(range(2 * degree - 1, 0, -2))
    close(dual.nngp(q, q, q), dfact / 2 * np.asarray(q) ** degree, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(dual.nngp(q, q, -q)), 0.0, atol=1e-15)
    # approaching the endpoints: continuous, no NaN (arctan2 angle, no division)
    for eps in (1e-4, 1e-8, 1e-12, 0.0):
        c = 1 - eps
        for sgn in (1, -1):
            t = float(dual.nngp(1.0, 1.0, sgn * c))
            assert math.isfinite(t)
    g = jax.grad(dual.nngp, argnums=2)(1.0, 1.0, 0.3)
    assert math.isfinite(float(g))


@pytest.mark.parametrize("degree", range(7))
def test_monomial_matches_quadrature(degree):
    """Gauss–Hermite with 20 nodes is exact for φ(u)φ(v) of degree ≤ 39 in each variable."""
    dual = duals.monomial(degree)
    for q in ((1.3, 0.7, 0.4), (2.0, 0.5, -0.8), (0.0, 1.2, 0.0), (1.5, 1.5, -1.5)):
        ref = gh_reference(lambda u, v: (u * v) ** degree, *q, deg=20)
        dref = gh_reference(lambda u, v: degree**2 * (u * v) ** (degree - 1) if degree else 0 * u, *q, deg=20)
        scale = math.prod(range(2 * degree - 1, 0, -2)) * max(q[0], q[1], 1) ** degree
        assert abs(float(dual.nngp(*q)) - ref) <= 1e-12 * scale
        assert abs(float(dual.ntk(*q)) - dref) <= 1e-12 * scale * max(degree, 1) ** 2


def test_polynomial_matches_quadrature():
    rng = np.random.default_rng(3)
    coef = rng.normal(size=6)
    dual = duals.polynomial(coef)
    p, dp = np.polynomial.Polynomial(coef), np.polynomial.Polynomial(coef).deriv()
    for q in ((1.3, 0.7, 0.4), (2.0, 0.5, -0.8), (0.0, 1.2, 0.0), (0.0, 0.0, 0.0)):
        ref = gh_reference(lambda u, v: p(u) * p(v), *q, deg=20)
        dref = gh_reference(lambda u, v: dp(u) * dp(v), *q, deg=20)
        np.testing.assert_allclose(float(dual.nngp(*q)), ref, rtol=1e-12)
        np.testing.assert_allclose(float(dual.ntk(*q)), dref, rtol=1e-12)
    close(dual.fn(jnp.asarray([0.3, -1.2])), p(np.array([0.3, -1.2])), rtol=1e-14)


def test_too_large_degrees_raise():
    with pytest.raises(ValueError, match="degree"):
        duals.monomial(400)
    with pytest.raises(ValueError, match="degree"):
        duals.rectified_monomial(400)
