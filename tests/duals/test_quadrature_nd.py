"""`gaussian_expectation_nd`: the p-dimensional Gauss–Hermite rule.

References: Isserlis/Wick moments (sum over pairings, enumerated independently here), the
closed form E exp(aᵀz) = exp(aᵀKa/2), and the existing 1-D/2-D rules of widenets.duals.
"""
from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals
from widenets.duals import _quadrature


def perfect_matchings(items: tuple[int, ...]):
    """All perfect matchings of a tuple of positions (independent of widenets)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for i, other in enumerate(rest):
        for m in perfect_matchings(rest[:i] + rest[i + 1 :]):
            yield [(first, other)] + m


def wick(cov: np.ndarray, idx: tuple[int, ...]) -> float:
    """E[z_{i1} … z_{ik}] for z ~ N(0, cov): Σ over perfect matchings of Π cov (Isserlis)."""
    if len(idx) % 2:
        return 0.0
    return sum(
        math.prod(cov[idx[a], idx[b]] for a, b in m) for m in perfect_matchings(tuple(range(len(idx))))
    )


def random_cov(p: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(p, p))
    return a @ a.T / p + 0.2 * np.eye(p)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_moments_match_isserlis(p: int) -> None:
    """All moments of total degree ≤ 6 with deg = 4 (exact up to degree 7)."""
    cov = random_cov(p, seed=p)
    indices = [
        idx for k in (2, 3, 4, 6) for idx in itertools.combinations_with_replacement(range(p), k)
    ]
    got = duals.gaussian_expectation_nd(
        lambda z: jnp.stack([jnp.prod(z[jnp.array(idx)]) for idx in indices]), cov, deg=4
    )
    expected = [wick(cov, idx) for idx in indices]  # odd moments: 0
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12, atol=1e-12)


def test_pytree_outputs_and_exponential_closed_form() -> None:
    cov = random_cov(3, seed=7)
    a = np.array([0.3, -0.5, 0.2])
    out = duals.gaussian_expectation_nd(
        lambda z: {"exp": jnp.exp(jnp.dot(jnp.asarray(a), z)), "outer": jnp.outer(z, z)}, cov, deg=20
    )
    # E exp(aᵀz) = exp(aᵀKa/2); the GH rule converges super-exponentially for this entire f
    np.testing.assert_allclose(float(out["exp"]), math.exp(a @ cov @ a / 2), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(out["outer"]), cov, rtol=1e-12, atol=1e-13)


def test_one_dimension_reduces_to_the_1d_rule() -> None:
    """p = 1: the same nodes and weights as `gaussian_expectation`, so equal to rounding."""
    for var in (0.3, 1.0, 4.0):
        for f in (lambda z: jnp.tanh(z) ** 2, lambda z: jnp.maximum(z, 0) ** 3 * jnp.cos(z)):
            nd = duals.gaussian_expectation_nd(lambda z, f=f: f(z[0]), [[var]], deg=32)
            one = duals.gaussian_expectation(f, var, deg=32)
            np.testing.assert_allclose(float(nd), float(one), rtol=1e-14, atol=1e-16)


def test_two_dimensions_agree_with_the_2d_rule() -> None:
    """Different factorisations (eigen vs Cholesky-like), same exact values for polynomials of
    degree ≤ 2·deg − 1 and, for an entire integrand, both within rounding of the closed form."""
    q11, q22, q12 = 1.3, 0.7, -0.4
    cov = [[q11, q12], [q12, q22]]
    poly = lambda u, v: u**4 * v**2 - 3 * u * v**3 + v**6  # noqa: E731
    nd = duals.gaussian_expectation_nd(lambda z: poly(z[0], z[1]), cov, deg=5)
    two = duals.gaussian_expectation_2d(poly, q11, q22, q12, deg=5)
    np.testing.assert_allclose(float(nd), float(two), rtol=1e-12)
    smooth = lambda u, v: jnp.exp(0.5 * u - 0.3 * v)  # noqa: E731
    nd = duals.gaussian_expectation_nd(lambda z: smooth(z[0], z[1]), cov, deg=24)
    two = duals.gaussian_expectation_2d(smooth, q11, q22, q12, deg=24)
    exact = math.exp((0.25 * q11 + 0.09 * q22 - 0.3 * q12) / 2)
    np.testing.assert_allclose([float(nd), float(two)], [exact, exact], rtol=1e-13)


def test_singular_covariances() -> None:
    """Duplicate inputs (rank 1) equal the 1-D rule; a rank-2 3×3 covariance keeps Isserlis."""
    one = duals.gaussian_expectation(lambda z: jnp.tanh(z) ** 4, 1.7, deg=40)
    nd = duals.gaussian_expectation_nd(lambda z: jnp.tanh(z[0]) ** 2 * jnp.tanh(z[1]) ** 2,
                                       [[1.7, 1.7], [1.7, 1.7]], deg=40)
    np.testing.assert_allclose(float(nd), float(one), rtol=1e-13)
    b = np.random.default_rng(3).normal(size=(3, 2))
    cov = b @ b.T  # rank 2
    assert np.linalg.matrix_rank(cov) == 2
    indices = [(0, 0, 1, 1), (0, 1, 2, 2), (2, 2, 2, 2, 1, 0)]
    got = duals.gaussian_expectation_nd(
        lambda z: jnp.stack([jnp.prod(z[jnp.array(idx)]) for idx in indices]), cov, deg=4
    )
    np.testing.assert_allclose(np.asarray(got), [wick(cov, idx) for idx in indices], rtol=1e-11, atol=1e-12)
    zero = duals.gaussian_expectation_nd(lambda z: jnp.cos(z).sum(), np.zeros((2, 2)), deg=8)
    assert float(zero) == 2.0


def test_chunked_scan_path_equals_vectorised_path(monkeypatch) -> None:
    cov = random_cov(3, seed=11)
    f = lambda z: {"a": jnp.outer(jnp.tanh(z), jnp.tanh(z)), "b": jnp.sin(z[0])}  # noqa: E731
    full = duals.gaussian_expectation_nd(f, cov, deg=9)
    monkeypatch.setattr(_quadrature, "VECTORIZE_LIMIT", 50)  # 729 nodes × 10 values → chunks of 5
    chunked = duals.gaussian_expectation_nd(f, cov, deg=9)
    np.testing.assert_allclose(np.asarray(chunked["a"]), np.asarray(full["a"]), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(float(chunked["b"]), float(full["b"]), atol=1e-15)


def test_jit_and_dtype() -> None:
    cov = random_cov(2, seed=5)
    f = lambda z: jnp.tanh(z[0]) * jnp.tanh(z[1])  # noqa: E731
    eager = duals.gaussian_expectation_nd(f, cov, deg=16)
    jitted = jax.jit(lambda c: duals.gaussian_expectation_nd(f, c, deg=16))(jnp.asarray(cov))
    np.testing.assert_allclose(float(jitted), float(eager), rtol=1e-13)
    out32 = duals.gaussian_expectation_nd(f, jnp.asarray(cov, jnp.float32), deg=16)
    assert out32.dtype == jnp.float32
    np.testing.assert_allclose(float(out32), float(eager), rtol=1e-5)


@pytest.mark.parametrize(
    "cov,err,match",
    [
        (np.ones(3), ValueError, "cov"),
        (np.ones((2, 3)), ValueError, "cov"),
        (np.zeros((0, 0)), ValueError, "cov"),
        (np.array([[1.0, 0.5], [0.2, 1.0]]), ValueError, "symmetric"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), ValueError, "positive semi-definite"),
        (np.array([[np.nan, 0.0], [0.0, 1.0]]), ValueError, "cov"),
        ("cov", TypeError, "cov"),
    ],
)
def test_bad_covariance(cov, err, match) -> None:
    with pytest.raises(err, match=match):
        duals.gaussian_expectation_nd(lambda z: z[0], cov)


def test_bad_f_and_deg() -> None:
    with pytest.raises(TypeError, match="`f`"):
        duals.gaussian_expectation_nd(3.0, np.eye(2))
    with pytest.raises(ValueError, match="`deg`"):
        duals.gaussian_expectation_nd(lambda z: z[0], np.eye(2), deg=0)
