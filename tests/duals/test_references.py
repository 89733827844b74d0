"""Closed forms against independent references.

* Smooth (entire) activations: a 120×120-node Gauss–Hermite rule written in numpy
  (`refs.gh_reference`, eigen-decomposed covariance). For entire φ of at most exponential
  growth and the moderate variances used here, that rule has converged to ~1e-14, so a
  tolerance of 1e-10 (in units of the Cauchy–Schwarz bound √(E[φ(u)²]E[φ(v)²])) leaves
  room for rounding only.
* Non-smooth activations (and Snake, which is not in neural-tangents): Monte Carlo with
  M = 2^20 samples; tolerance 5 standard errors estimated from the sample itself (a
  two-sided 5σ miss has probability 6e-7 per comparison; seeds are fixed anyway).
* Tdot = ∂T/∂q12 (Price's theorem) by JAX autodiff (forward mode) wherever φ is absolutely
  continuous.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from .refs import BY_ID, REGISTRY, gh_reference, hermgauss, mc_moments

QUAD_TRIPLES = [
    (1.3, 0.7, 0.4),
    (2.0, 0.5, -0.8),
    (0.9, 1.1, 0.99 * math.sqrt(0.99)),
    (0.6, 0.6, -0.6),  # cos θ = −1
    (1.5, 1.5, 1.5),  # cos θ = 1
    (0.0, 1.2, 0.0),  # zero variance
    (0.25, 1.8, 0.1),
]
INTERIOR = [t for t in QUAD_TRIPLES if 0 < abs(t[2]) < math.sqrt(t[0] * t[1])]
MC_TRIPLES = [(1.3, 0.7, 0.4), (2.0, 0.5, -0.8), (0.9, 1.1, 0.98 * math.sqrt(0.99)), (1.0, 1.0, -0.95)]

SMOOTH = [e for e in REGISTRY if e.entire]
MC_IDS = [
    "relu", "abrelu", "leaky_relu", "abs_", "sign", "rectified_monomial(0)",
    "rectified_monomial(1)", "rectified_monomial(2)", "rectified_monomial(3)", "snake",
]  # fmt: skip
ABS_CONTINUOUS = [e for e in REGISTRY if e.abs_continuous]


ALL_TRIPLES = tuple(dict.fromkeys(QUAD_TRIPLES + INTERIOR + MC_TRIPLES))


@functools.lru_cache(maxsize=None)
def _all_maps(entry_id: str) -> dict[tuple, tuple[float, float, float]]:
    """{triple: (T, Tdot, ∂T/∂q12 by autodiff)} in float64, from one compilation per dual."""
    dual = BY_ID[entry_id].make()
    q11, q22, q12 = (jnp.asarray(x, dtype=jnp.float64) for x in np.array(ALL_TRIPLES).T)

    @jax.jit
    def run(a, b, c):
        # forward-mode derivative with a ones tangent = elementwise ∂T/∂q12 (T is elementwise)
        t, slope = jax.jvp(lambda c: dual.nngp(a, b, c), (c,), (jnp.ones_like(c),))
        return t, dual.ntk(a, b, c), slope

    out = np.stack([np.asarray(o) for o in run(q11, q22, q12)], axis=1)
    return {q: tuple(row) for q, row in zip(ALL_TRIPLES, out)}


def _maps(entry_id: str, triples: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = _all_maps(entry_id)
    return tuple(np.array([table[q][k] for q in triples]) for k in range(3))


def _mean_square(g, q: float, deg: int = 200) -> float:
    """E[g(u)²], u ~ N(0, q), by a 1-D numpy Gauss–Hermite rule."""
    z, w = hermgauss(deg)
    return float(np.sum(w * g(math.sqrt(q) * z) ** 2))


def _cs_bound(g, q11, q22, q12):
    """Cauchy–Schwarz bound √(E[g(u)²] E[g(v)²]) on |E[g(u)g(v)]|: the natural scale."""
    return math.sqrt(_mean_square(g, q11) * _mean_square(g, q22))


@pytest.mark.parametrize("entry", SMOOTH, ids=lambda e: e.id)
def test_smooth_closed_forms_match_quadrature(entry):
    t, td, _ = _maps(entry.id, QUAD_TRIPLES)

    def pair(g):
        return lambda u, v: g(u) * g(v)

    for i, q in enumerate(QUAD_TRIPLES):
        for value, g in ((t[i], entry.phi), (td[i], entry.dphi)):
            ref = gh_reference(pair(g), *q)
            tol = 1e-10 * _cs_bound(g, *q) + 1e-15
            assert abs(value - ref) <= tol, (q, value, ref, value - ref)


@pytest.fixture(scope="module")
def normals():
    rng = np.random.default_rng(20240601)
    return rng.standard_normal(2**20), rng.standard_normal(2**20)


@pytest.mark.parametrize("entry_id", MC_IDS)
def test_closed_forms_match_monte_carlo(entry_id, normals):
    entry = BY_ID[entry_id]
    t, td, _ = _maps(entry_id, MC_TRIPLES)
    for i, q in enumerate(MC_TRIPLES):
        for value, g in ((t[i], entry.phi), (td[i], entry.dphi)):
            mean, se = mc_moments(lambda u, v: g(u) * g(v), *q, *normals)
            # se == 0 only for φ' ≡ 0 (Sign, step): then the value must be exactly 0
            assert abs(value - mean) <= 5 * se + 1e-15, (q, value, mean, se)


@pytest.mark.parametrize("entry", ABS_CONTINUOUS, ids=lambda e: e.id)
def test_tdot_is_derivative_of_t(entry):
    """Price's theorem: E[φ'(u)φ'(v)] = ∂/∂q12 E[φ(u)φ(v)] for absolutely continuous φ."""
    _, td, grad = _maps(entry.id, INTERIOR)
    # closed forms: analytically equal, so rounding only (cond. ~1e3 at most here);
    # quadrature (tanh): derivative of the rule vs the rule for φ', each off by its own
    # quadrature error (≤ 3e-5 for q ≤ 2 at deg 48, see test_quadrature)
    rtol = 1e-11 if entry.closed_form else 1e-4
    np.testing.assert_allclose(td, grad, rtol=rtol, atol=rtol * np.abs(td).max())


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.id)
def test_fn_and_derivative_are_the_named_activation(entry):
    dual = entry.make()
    x = np.linspace(-3.1, 2.9, 41)  # avoids x = 0, where one-sided rules differ
    xj = jnp.asarray(x)
    np.testing.assert_allclose(np.asarray(dual.fn(xj)), entry.phi(x), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(np.asarray(dual.dfn(xj)), entry.dphi(x), rtol=1e-12, atol=1e-12)
