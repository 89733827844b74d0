"""Contract test: every public `Dual` constructor through jit, dtype, shapes, degenerate
inputs, nngp_diag consistency, float32-vs-float64 agreement and positive semi-definiteness.

Tolerances are relative to the Cauchy–Schwarz bound |T(q11, q22, q12)| ≤ √(T(q11,·)T(q22,·))
(T(q, q, q) = E[φ²]), the natural scale of each entry: an error budget in units of that scale
is independent of the activation's magnitude.
"""
from __future__ import annotations

import functools
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals

from .refs import BY_ID, NON_CONSTRUCTORS, REGISTRY

# (q11, q22, q12): zero variances, |cos θ| = 1 (both signs), tiny and huge variances, mixed.
BASE_TRIPLES = [
    (0.0, 0.0, 0.0),
    (0.0, 1.0, 0.0),
    (1.0, 0.0, 0.0),
    (1.0, 1.0, 1.0),
    (1.0, 1.0, -1.0),
    (2.0, 0.5, 1.0),
    (2.0, 0.5, -1.0),
    (3.0, 2.0, 0.5),
    (0.7, 1.9, -0.6),
    (1e-12, 1e-12, 1e-12),
    (1e-12, 1e-12, -1e-12),
    (1e-12, 2e-12, 0.0),
    (1e-12, 1e12, 1.0),
    (1e12, 1e-12, -1.0),
    (1e12, 1e-12, 0.3),
    (1e12, 1e12, 1e12),
    (1e12, 1e12, -1e12),
    (1e12, 2e12, 0.4e12),
]


def triples(max_q: float) -> np.ndarray:
    keep = [t for t in BASE_TRIPLES if max(t) <= max_q]
    keep += [(max_q, max_q, max_q), (max_q, max_q, -max_q), (max_q, 0.5 * max_q, 0.1 * max_q)]
    return np.array(keep, dtype=np.float64).T


def test_registry_covers_every_constructor():
    public = {n for n in dir(duals) if not n.startswith("_")} - NON_CONSTRUCTORS
    # factories only: the `Dual` subclasses they return are covered in test_values.py
    public = {n for n in public if callable(getattr(duals, n)) and not isinstance(getattr(duals, n), type)}
    assert public == {e.constructor for e in REGISTRY}


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.id)
@pytest.mark.parametrize(
    "shapes",
    [((4, 1), (1, 3), (4, 3)), ((5,), (5,), (5,)), ((), (), (2, 3)), ((2, 3), (2, 3), ())],
)
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_shapes_and_dtypes(entry, shapes, dtype):
    dual = entry.make()
    args = [jax.ShapeDtypeStruct(s, dtype) for s in shapes]
    expected = jnp.broadcast_shapes(*shapes)
    for out in (jax.eval_shape(dual.nngp, *args), jax.eval_shape(dual.ntk, *args)):
        assert out.shape == expected and out.dtype == dtype
    diag = jax.eval_shape(dual.nngp_diag, args[0])
    assert diag.shape == shapes[0] and diag.dtype == dtype


def _gram_inputs() -> tuple[np.ndarray, np.ndarray]:
    """Covariances of 8 random vectors (fixed seed), incl. a nearly collinear pair."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 5)) * rng.uniform(0.3, 1.5, size=(8, 1))
    x[7] = x[6] * 1.01 + 1e-3
    k = x @ x.T / x.shape[1]
    return np.diag(k), k


@functools.lru_cache(maxsize=None)
def _jitted(entry_id: str, n: int):
    dual = BY_ID[entry_id].make()

    @jax.jit
    def run(a, b, c):
        return dual.nngp(a, b, c), dual.ntk(a, b, c), dual.nngp_diag(b[n : 3 * n])

    return run


@functools.lru_cache(maxsize=None)
def _outputs(entry_id: str, dtype_name: str, rounded: bool = False) -> dict[str, np.ndarray]:
    """Everything the contract tests look at, from one jitted function per (dual, dtype).

    All maps are evaluated on concatenated inputs — the degenerate/extreme triples, their
    (q, q, q) diagonals and the Gram-matrix covariances — so that the suite compiles each
    dual once per dtype (XLA compilation is the suite's main cost). ``rounded``: inputs
    rounded to float32 first, so that a float64 evaluation is the exact reference for the
    float32 one (same inputs; differences are then the algorithm's, not the input rounding's).
    """
    entry = BY_ID[entry_id]
    dtype = jnp.dtype(dtype_name)
    q11, q22, q12 = triples(entry.max_q)
    diag, k = _gram_inputs()
    n, m = q11.size, diag.size
    parts = (
        (q11, q11, q22, np.repeat(diag, m)),
        (q22, q11, q22, np.tile(diag, m)),
        (q12, q11, q22, k.ravel()),
    )
    cast = (lambda x: x.astype(np.float32)) if rounded else (lambda x: x)
    a, b, c = (jnp.asarray(cast(np.concatenate(p)), dtype=dtype) for p in parts)
    out = _jitted(entry_id, n)(a, b, c)
    assert all(o.dtype == dtype for o in out), [o.dtype for o in out]
    t, td, dg = (np.asarray(o, dtype=np.float64) for o in out)
    return {
        "t": t[:n], "td": td[:n],
        "t11": t[n : 2 * n], "t22": t[2 * n : 3 * n],
        "td11": td[n : 2 * n], "td22": td[2 * n : 3 * n],
        "diag11": dg[:n], "diag22": dg[n:],
        "gram_t": t[3 * n :].reshape(m, m), "gram_td": td[3 * n :].reshape(m, m),
    }  # fmt: skip


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.id)
def test_values_jit_finite_diag_and_float32(entry):
    """Both dtypes under jit and kept; float64 is the reference for float32."""
    dual = entry.make()
    exact = _outputs(entry.id, "float64")
    ref = _outputs(entry.id, "float64", rounded=True)
    low = _outputs(entry.id, "float32")
    for out in (exact, low):
        for key, value in out.items():
            assert np.all(np.isfinite(value)), (dual, key, value)
    # nngp_diag(q) == nngp(q, q, q): same quantity, a closed form vs the general map;
    # float64 rounding of a few dozen operations (quadrature: 2-D vs 1-D rule, same nodes)
    for d, t in (("diag11", "t11"), ("diag22", "t22")):
        np.testing.assert_allclose(exact[d], exact[t], rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(low[d], low[t], rtol=2e-5, atol=1e-37)
    # float32 vs float64 on the same (float32) inputs, in units of the Cauchy–Schwarz scale.
    # Budget 2e-4 ≈ sqrt(float32 eps): near |cos θ| = 1, θ = arccos(cos θ) turns the one
    # rounding of cos θ (6e-8) into an error ~ sqrt(2·6e-8) = 3.5e-4·(1/2π for ReLU's Tdot);
    # elsewhere the closed forms are within ~1e-6.
    # Floor: 64 float32 ulps of the map's magnitude at unit variance, for points where the
    # bound is 0 but the formula is a difference of O(1) terms (e.g. Abs' Tdot = 1 − 2θ/π
    # at zero variance).
    assert BASE_TRIPLES[3] == (1.0, 1.0, 1.0)
    unit_t, unit_td = abs(ref["t"][3]), abs(ref["td"][3])
    floor = 64 * float(np.finfo(np.float32).eps)
    bound_t = np.sqrt(np.abs(ref["diag11"] * ref["diag22"]))
    bound_td = np.sqrt(np.abs(ref["td11"] * ref["td22"]))
    np.testing.assert_array_less(np.abs(low["t"] - ref["t"]), 2e-4 * bound_t + floor * unit_t + 1e-30)
    np.testing.assert_array_less(np.abs(low["td"] - ref["td"]), 2e-4 * bound_td + floor * unit_td + 1e-30)
    # Cauchy–Schwarz itself (T is an inner product of φ(u), φ(v) in L²)
    cs = np.sqrt(np.abs(exact["diag11"] * exact["diag22"]))
    np.testing.assert_array_less(np.abs(exact["t"]), cs * (1 + 1e-9) + 1e-300)


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.id)
@pytest.mark.parametrize("key", ["gram_t", "gram_td"])
def test_gram_matrices_are_psd(entry, key):
    """T and Tdot over the covariances of random vectors are Gram matrices of φ(u_i), φ'(u_i)."""
    gram = _outputs(entry.id, "float64")[key]
    # closed forms: exact formulas, so symmetric and eigenvalues ≥ −(rounding ~1e-13);
    # quadrature: each entry carries its own quadrature error (tanh at deg 48 and these
    # variances: ≤ 1e-7, see test_quadrature); the rule itself is symmetric by construction
    tol = 1e-11 if entry.closed_form else 1e-6
    np.testing.assert_allclose(gram, gram.T, rtol=1e-13, atol=1e-13 * np.abs(gram).max())
    eig = np.linalg.eigvalsh(gram)
    assert eig[0] >= -tol * max(np.abs(eig).max(), 1e-300), eig


BAD_ARGUMENTS = [
    (duals.abrelu, ("x", 1.0), {}, TypeError, "a"),
    (duals.abrelu, (0.0, math.inf), {}, ValueError, "b"),
    (duals.leaky_relu, ("0.1",), {}, TypeError, "alpha"),
    (duals.erf, (), {"b": math.nan}, ValueError, "b"),
    (duals.sin, (), {"c": None}, TypeError, "c"),
    (duals.cos, (), {"a": "1"}, TypeError, "a"),
    (duals.rbf, (0.0,), {}, ValueError, "gamma"),
    (duals.rbf, (-1.0,), {}, ValueError, "gamma"),
    (duals.exp, (), {"b": [1.0]}, TypeError, "b"),
    (duals.gaussian, (), {"a": math.inf}, ValueError, "a"),
    (duals.snake, (0.0,), {}, ValueError, "a"),
    (duals.snake, (-1.0,), {}, ValueError, "a"),
    (duals.monomial, (-1,), {}, ValueError, "degree"),
    (duals.monomial, (2.0,), {}, TypeError, "degree"),
    (duals.monomial, (True,), {}, TypeError, "degree"),
    (duals.rectified_monomial, (-2,), {}, ValueError, "degree"),
    (duals.rectified_monomial, (1.5,), {}, TypeError, "degree"),
    (duals.polynomial, ([],), {}, ValueError, "coef"),
    (duals.polynomial, ("12",), {}, TypeError, "coef"),
    (duals.polynomial, ([1.0, "x"],), {}, TypeError, "coef[1]"),
    (duals.polynomial, ([[1.0, 2.0]],), {}, ValueError, "coef"),
    (duals.numerical, (jnp.tanh,), {"deg": 0}, ValueError, "deg"),
    (duals.numerical, (jnp.tanh,), {"deg": 2.5}, TypeError, "deg"),
    (duals.numerical, ("tanh",), {}, TypeError, "fn"),
    (duals.numerical, (jnp.tanh,), {"dfn": 3}, TypeError, "dfn"),
    (duals.tanh, (0,), {}, ValueError, "deg"),
    (duals.from_nngp_fn, (None, None), {}, TypeError, "nngp_fn"),
    (duals.from_nngp_fn, (None, lambda *a: 0.0, 1.0), {}, TypeError, "ntk_fn"),
    (duals.from_nngp_fn, (1.0, lambda *a: 0.0), {}, TypeError, "fn"),
    (duals.gaussian_expectation, (jnp.cos, 1.0), {"deg": 0}, ValueError, "deg"),
    (duals.gaussian_expectation_2d, (None, 1.0, 1.0, 0.0), {}, TypeError, "f"),
]


@pytest.mark.parametrize(
    "ctor, args, kwargs, error, name",
    BAD_ARGUMENTS,
    ids=[f"{c.__name__}-{n}-{i}" for i, (c, _, _, _, n) in enumerate(BAD_ARGUMENTS)],
)
def test_bad_arguments_raise_naming_the_argument(ctor, args, kwargs, error, name):
    with pytest.raises(error, match=re.escape(f"`{name}`")):
        ctor(*args, **kwargs)
