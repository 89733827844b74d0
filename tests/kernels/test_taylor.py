"""`linearize` and `taylor_expand` against their defining identities.

References: the function itself at the expansion point; exact affinity (second difference
zero); the empirical NTK of f at θ₀ (the NTK of f_lin at any θ); models that are linear or
quadratic in θ, whose expansions of degree ≥ 1 or ≥ 2 are exact; and the error slope
log|f − f_d| vs log|δ| = d + 1 on a smooth model (fitted, like diffrax's order tests).
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import empirical_ntk_fn, linearize, taylor_expand

rng = np.random.default_rng(8)
X = rng.normal(size=(4, 3))
INIT, APPLY, _ = stax.serial(stax.Dense(6, b_std=0.3), stax.Erf(), stax.Dense(2, b_std=0.2))
P0 = INIT(jax.random.key(9), X.shape)[1]
DIRECTION = jax.tree.map(lambda a: jnp.asarray(rng.normal(size=a.shape)), P0)


def shift(params, t):
    return jax.tree.map(lambda a, d: a + t * d, params, DIRECTION)


def test_linearize_value_affinity_and_ntk():
    f_lin = linearize(APPLY, P0)
    np.testing.assert_allclose(f_lin(P0, X), APPLY(P0, X), rtol=1e-14)
    a, b, c = (f_lin(shift(P0, t), X) for t in (0.0, 0.7, 1.4))
    np.testing.assert_allclose(a - 2 * b + c, 0, atol=1e-12)  # exactly affine in p
    assert not np.allclose(b, APPLY(shift(P0, 0.7), X))  # but not f itself
    ntk_lin = jax.jit(empirical_ntk_fn(f_lin, ()))(X, None, shift(P0, 0.9))
    np.testing.assert_allclose(ntk_lin, jax.jit(empirical_ntk_fn(APPLY, ()))(X, None, P0), rtol=1e-12)


def test_linear_model_is_its_own_linearization_and_quadratic_its_own_degree_2():
    def linear(p, x):
        return {"y": x @ p["W"] + p["b"][None, :], "none": None}

    def quadratic(p, x):
        return jnp.sum((x @ p["W"]) ** 2, axis=-1) * p["b"][0] + x @ p["b"][:3]

    p0 = {"W": jnp.asarray(rng.normal(size=(3, 2))), "b": jnp.asarray(rng.normal(size=3))[:2]}
    p1 = jax.tree.map(lambda a: a + 0.8, p0)
    np.testing.assert_allclose(linearize(linear, p0)(p1, X)["y"], linear(p1, X)["y"], rtol=1e-13)
    q0 = {"W": p0["W"], "b": jnp.asarray(rng.normal(size=3))}
    q1 = jax.tree.map(lambda a: a - 0.6, q0)  # b[0]·(xW)² is cubic in θ: degree 3 is exact
    np.testing.assert_allclose(taylor_expand(quadratic, q0, 3)(q1, X), quadratic(q1, X), rtol=1e-12)
    q1 = {"W": q0["W"] - 0.6, "b": q0["b"]}  # with b fixed, quadratic in W: degree 2 exact
    np.testing.assert_allclose(taylor_expand(quadratic, q0, 2)(q1, X), quadratic(q1, X), rtol=1e-12)
    assert not np.allclose(taylor_expand(quadratic, q0, 1)(q1, X), quadratic(q1, X))


def test_degree_0_and_1():
    p1 = shift(P0, 0.3)
    np.testing.assert_allclose(taylor_expand(APPLY, P0, 0)(p1, X), APPLY(P0, X), rtol=1e-15)
    np.testing.assert_allclose(taylor_expand(APPLY, P0, 1)(p1, X), linearize(APPLY, P0)(p1, X),
                               rtol=1e-14)


@pytest.mark.parametrize("degree", [1, 2, 3])
def test_error_slope_is_degree_plus_one(degree):
    """|f(θ₀ + tδ) − f_d(θ₀ + tδ)| = C t^{d+1} + O(t^{d+2}): fitted slope within 0.15."""
    f_d = jax.jit(taylor_expand(APPLY, P0, degree))
    ts = np.array([0.02, 0.04, 0.08])
    errs = [float(jnp.max(jnp.abs(APPLY(shift(P0, t), X) - f_d(shift(P0, t), X)))) for t in ts]
    slope = np.polyfit(np.log(ts), np.log(errs), 1)[0]
    assert abs(slope - (degree + 1)) < 0.15, (slope, errs)


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: linearize("f", P0), TypeError, "f"),
        (lambda: taylor_expand(APPLY, P0, -1), ValueError, "degree"),
        (lambda: taylor_expand(APPLY, P0, 1.5), TypeError, "degree"),
        (lambda: linearize(APPLY, P0)(P0[:1], X), ValueError, "structure"),
        (lambda: linearize(APPLY, P0)(jax.tree.map(lambda a: a[..., :1], P0), X), ValueError,
         "leaf shapes"),
    ],
)
def test_bad_arguments(call, error, name):
    with pytest.raises(error, match=name):
        call()
