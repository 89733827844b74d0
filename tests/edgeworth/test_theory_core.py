"""Core theory checks against independent references (scipy quad recursions, closed forms)."""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate

from widenets import duals
from widenets.edgeworth.theory import (
    edgeworth_cdf,
    edgeworth_pdf,
    gaussian_weights,
    mlp_cumulants,
    one_hidden_layer,
    uniform_weights,
)
from tests.edgeworth._helpers_theory import scalar_recursion

# q0 = |x|²/d = 0.5 keeps every variance ≤ 0.5 for tanh (C_W = 1), where the deg-48/64
# Gauss–Hermite error of tanh averages is ≈ 2e-10 relative (measured against scipy quad),
# hence rtol 1e-8.
def test_single_input_matches_scalar_recursion_tanh() -> None:
    widths = (20, 80, 40, 10)
    x = jnp.full((1, 2), math.sqrt(0.5))
    th = mlp_cumulants(x, duals.tanh(), widths, C_W=1.0, C_b=0.0)
    ref = scalar_recursion("tanh", 0.5, widths, 1.0, 0.0)
    np.testing.assert_allclose(np.asarray(th.K[:, 0, 0]), ref["K"], rtol=1e-8)
    np.testing.assert_allclose(np.asarray(th.cov_G[:, 0, 0, 0, 0]), ref["cov"], rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(np.asarray(th.delta_K[:, 0, 0]), ref["delta"], rtol=1e-7, atol=1e-15)
    np.testing.assert_allclose(np.asarray(th.chi_par[:, 0]), ref["chi"], rtol=1e-8)


def test_relu_criticality_closed_form() -> None:
    """C_W = 2: χ∥ = 1, K constant, V^ℓ = 5K²(ℓ−1), δK = 0 (GH exact for ReLU, p = 1)."""
    n, L = 16, 5
    th = mlp_cumulants(jnp.ones((1, 3)), duals.relu(), (n,) * L, C_W=2.0, C_b=0.0)
    np.testing.assert_allclose(np.asarray(th.chi_par), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(th.K[:, 0, 0]), 2.0, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(th.V[:, 0, 0, 0, 0]), 5 * 4.0 * np.arange(L + 1), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(th.delta_K), 0.0, atol=1e-12)


@pytest.mark.parametrize("make", [duals.tanh, duals.erf])
def test_two_inputs_second_layer_equals_one_hidden_layer(make) -> None:
    x = jnp.asarray([[1.0, 0.0], [0.6, 0.8]]) * math.sqrt(2)
    th = mlp_cumulants(x, make(), (12, 12), C_W=1.3, C_b=0.1)
    one = one_hidden_layer(x, make(), 12, C_W=1.3, C_b=0.1, law=gaussian_weights())
    np.testing.assert_allclose(np.asarray(th.kappa4[1]), np.asarray(one.kappa4), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.asarray(th.K[1]), np.asarray(one.K), rtol=1e-12)


def test_duplicate_inputs_raise() -> None:
    with pytest.raises(ValueError, match="`x`"):
        mlp_cumulants(jnp.ones((2, 3)), duals.tanh(), (8,))


@pytest.mark.parametrize("law", [gaussian_weights(), uniform_weights()])
def test_one_hidden_layer_relu_closed_form(law) -> None:
    """⟨relu²⟩ = q/2, ⟨relu⁴⟩ = 3q²/2, ⟨relu⁶⟩ = 15q³/2 at q = K¹."""
    C_W, C_b, n = 1.7, 0.3, 7
    q = C_b + C_W * 1.4
    out = one_hidden_layer(jnp.full((1, 1), math.sqrt(1.4)), duals.relu(), n, C_W=C_W, C_b=C_b, law=law)
    s2, s4, s6 = q / 2, 1.5 * q**2, 7.5 * q**3
    K = C_b + C_W * s2
    k4 = C_W**2 / n * (law.m4 * s4 - 3 * s2**2)
    k6 = C_W**3 / n**2 * (law.m6 * s6 - 15 * law.m4 * s4 * s2 + 30 * s2**3)
    np.testing.assert_allclose([float(out.K[0, 0]), float(out.kappa4[0, 0, 0, 0]), float(out.kappa6[0]),
                                float(out.gamma2[0])], [K, k4, k6, k4 / K**2], rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2])
def test_edgeworth_pdf_moments_and_cdf(order: int) -> None:
    K, g2, k6 = 1.7, 0.8, 0.9
    kw = dict(kappa6=k6, order=order)
    pdf = lambda y: float(edgeworth_pdf(y, K, g2, **kw))  # noqa: E731
    mom = [scipy.integrate.quad(lambda y, k=k: y**k * pdf(y), -40, 40, epsabs=1e-13, limit=200)[0]
           for k in (0, 2, 4, 6)]
    np.testing.assert_allclose(mom[0], 1.0, rtol=1e-10)
    np.testing.assert_allclose(mom[1], K, rtol=1e-10)
    np.testing.assert_allclose(mom[2] - 3 * mom[1] ** 2, g2 * K**2, rtol=1e-9)
    if order == 2:
        k6_num = mom[3] - 15 * mom[2] * mom[1] + 30 * mom[1] ** 3
        np.testing.assert_allclose(k6_num, k6, rtol=1e-8)
    for y in (-2.0, 0.3, 1.5):
        ref = scipy.integrate.quad(pdf, -40, y, epsabs=1e-14)[0]
        np.testing.assert_allclose(float(edgeworth_cdf(y, K, g2, **kw)), ref, atol=1e-11)
