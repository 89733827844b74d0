"""`empirical_ntk_vp_fn`: Θ(x1, x2) v without the NTK, against the explicit NTK times v.

Reference: the untraced empirical NTK (``empirical_ntk_fn(f, trace_axes=())``, itself
checked against hand-written Jacobians and neural-tangents' golden values), contracted with
v over x2's examples and output axes; for pytree outputs, explicit Jacobians by
`jax.jacrev`. Both sides are sums of the same products in another order: rtol 1e-12
(regression value (source: float64 round-off of O(1) sums of ~100 terms)). NT's own
outputs: test_nt_api_parity.py.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import empirical_ntk_fn, empirical_ntk_vp_fn

RTOL = 1e-12  # regression value (source: see the module docstring)
rng = np.random.default_rng(11)
X1 = rng.normal(size=(5, 3))
X2 = rng.normal(size=(4, 3))
INIT, APPLY, _ = stax.serial(stax.Dense(7, b_std=0.3), stax.Erf(), stax.Dense(2, b_std=0.1))
PARAMS = INIT(jax.random.key(1), X1.shape)[1]


def explicit(x1, x2, v):
    theta = jax.jit(empirical_ntk_fn(APPLY, trace_axes=()))(x1, x2, PARAMS)  # (N1, N2, k, k')
    return np.einsum("ijab,jb->ia", theta, v)


@pytest.mark.parametrize("x2", [X2, None], ids=["cross", "gram"])
def test_matches_explicit_ntk_times_vector(x2):
    v = rng.normal(size=(4 if x2 is not None else 5, 2))
    out = jax.jit(empirical_ntk_vp_fn(APPLY, X1, x2, PARAMS))(v)
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out, explicit(X1, X1 if x2 is None else x2, v), rtol=RTOL)


def test_pytree_outputs_and_keyword_pairs():
    """f returns a dict of two arrays and takes a per-call keyword; Θ v sums over both
    outputs' Jacobians: Θ v = J1 (J2ᵀ v) with J by jax.jacrev."""

    def f(p, x, shift=0.0):
        h = jnp.tanh(x @ p["W"] + shift)
        return {"a": h @ p["V"], "b": jnp.sum(h, axis=1, keepdims=True)}

    p = {"W": jnp.asarray(rng.normal(size=(3, 6))), "V": jnp.asarray(rng.normal(size=(6, 2)))}
    s1, s2 = 0.2, -0.4
    v = {"a": jnp.asarray(rng.normal(size=(4, 2))), "b": jnp.asarray(rng.normal(size=(4, 1)))}
    out = jax.jit(empirical_ntk_vp_fn(f, X1, X2, p, shift=(s1, s2)))(v)
    j1 = jax.jit(jax.jacrev(lambda q: f(q, X1, s1)))(p)
    j2 = jax.jit(jax.jacrev(lambda q: f(q, X2, s2)))(p)
    # J2ᵀ v per parameter leaf, then J1 applied to it
    jtv = {leaf: sum(np.tensordot(np.asarray(j2[o][leaf]), np.asarray(v[o]), axes=([0, 1], [0, 1]))
                     for o in v) for leaf in p}
    for o in ("a", "b"):
        ref = sum(np.tensordot(np.asarray(j1[o][leaf]), jtv[leaf], axes=jtv[leaf].ndim) for leaf in p)
        np.testing.assert_allclose(out[o], ref, rtol=RTOL)


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: empirical_ntk_vp_fn("f", X1, X2, PARAMS), TypeError, "`f`"),
        (lambda: empirical_ntk_vp_fn(APPLY, None, X2, PARAMS), ValueError, "`x1`"),
        (lambda: empirical_ntk_vp_fn(APPLY, X1, X2, PARAMS)(np.ones((5, 2))), ValueError, "cotangents"),
    ],
)
def test_bad_arguments_name_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
