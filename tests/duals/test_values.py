"""Duals as values: the mean E[φ(u)], pytree/equality/hash, jit, grad and vmap over the float
parameters, and a registry of every public factory derived from ``widenets.duals.__all__``.

References: 1-D Gauss–Hermite quadrature of ``fn`` for smooth φ, fixed-seed Monte Carlo
(5 computed standard errors) for kinked φ, central finite differences for parameter
gradients, loops of concrete duals for vmap, and identities between the maps:
T(q, q, q) = E[φ(u)²], T(q11, q22, 0) = E[φ(u)]·E[φ(v)] (independence), Jensen, and, for
equal variances and q12 = ρq ≥ 0, Mehler's E[g(u)g(v)] = Σ_j c_j² ρ^j, i.e. Tdot ≥ 0 and
T ≥ E[φ(u)]².

Cost: the maps of every dual are evaluated on one fixed set of inputs (`_inputs`), in one
jit compilation over all duals (`_jitted`) plus eager evaluations of a few.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals
from widenets._struct import is_static_field

from .refs import NON_CONSTRUCTORS

_CUBIC = lambda x: x * x * x - x  # noqa: E731  (one object: equal duals need the same fn)
_USER_T = lambda q11, q22, q12: jnp.exp((q11 + q22) / 2 + q12)  # noqa: E731  (Exp(1, 1)'s T)

# Every public factory with representative arguments; a factory missing here fails
# `test_registry_covers_every_factory_and_class`.
FACTORY_ARGS: dict[str, list[tuple]] = {
    "relu": [()],
    "abrelu": [(-0.3, 1.7)],
    "leaky_relu": [(0.2,)],
    "abs_": [()],
    "identity": [()],
    "sign": [()],
    "erf": [(1.3, 0.8, 0.2)],
    "sigmoid_like": [()],
    "gelu": [(), (True,)],
    "sin": [(1.2, 0.9, 0.4)],
    "cos": [(0.7, 1.1, -0.3)],
    "rbf": [(0.6,)],
    "snake": [(0.7,)],
    "exp": [(0.8, 0.6)],
    "gaussian": [(1.1, -0.7), (0.9, 0.3)],
    "monomial": [(0,), (3,), (4,)],
    "polynomial": [([0.5, -1.0, 0.25, 0.3],)],
    "rectified_monomial": [(0,), (1,), (2,), (3,)],
    "numerical": [(_CUBIC, 4)],
    "tanh": [()],
    "from_nngp_fn": [(jnp.exp, _USER_T)],
}
# variance scale of the grids: Gaussian(0.9, 0.3) diverges once 1 − 4bq ≤ 0 (q ≥ 0.83)
SCALE = {"gaussian(0.9, 0.3)": 0.25}
# kinked φ: the mean is checked by Monte Carlo (Gauss–Hermite converges only algebraically)
KINKED = {"relu()", "abrelu(-0.3, 1.7)", "leaky_relu(0.2)", "abs_()", "sign()",
          "rectified_monomial(0)", "rectified_monomial(1)", "rectified_monomial(2)",
          "rectified_monomial(3)"}  # fmt: skip


_LABELS = {id(_CUBIC): "_CUBIC", id(_USER_T): "_USER_T"}


def _label(arg) -> str:
    return _LABELS.get(id(arg)) or getattr(arg, "__name__", None) or repr(arg)


def _case_id(name: str, args: tuple) -> str:
    return f"{name}({', '.join(_label(a) for a in args)})"


SPECS = {_case_id(n, args): (n, args) for n, arg_list in FACTORY_ARGS.items() for args in arg_list}
CASES: dict[str, duals.Dual] = {k: getattr(duals, n)(*args) for k, (n, args) in SPECS.items()}
IDS = list(CASES)

# Valid covariances (q11, q22, q12): zero variances, |cos θ| = 1, both signs of q12.
GRID = np.array(
    [(0, 0, 0), (0, 1, 0), (1, 1, 1), (1, 1, -1), (2, 0.5, 0.3), (2, 0.5, -0.9), (0.7, 1.9, 0.6), (1.3, 1.3, 0.4)],
    dtype=np.float64,
).T
N = GRID.shape[1]
Q_EQ = np.array([0.4, 1.0, 1.7])  # equal variances q11 = q22 = q ...
RHO = np.array([0.0, 0.3, 0.8, 1.0])  # ... and q12 = ρ q
# slices of the probe outputs (see `_inputs`)
T_GRID, T_INDEP, T_SAME, T_EQ = (slice(0, N), slice(N, 2 * N), slice(2 * N, 3 * N), slice(3 * N, None))
V11, V22, V_EQ = slice(0, N), slice(N, 2 * N), slice(2 * N, None)


@functools.lru_cache(maxsize=None)
def _inputs(case: str, dtype: str) -> tuple[np.ndarray, ...]:
    """One set of inputs per dual, so every map is called once on a fixed shape:
    ``(a, b, c)`` = the grid, the grid with q12 = 0, the diagonals (q11, q11, q11) and the
    equal-variance triples (q, q, ρq); ``v`` = the variances q11, q22 of the grid and Q_EQ;
    ``x`` = points for fn and dfn."""
    s = SCALE.get(case, 1.0)
    q11, q22, q12 = (s * g for g in GRID)
    qe = s * Q_EQ
    a = np.concatenate([q11, q11, q11, np.repeat(qe, RHO.size)])
    b = np.concatenate([q22, q22, q11, np.repeat(qe, RHO.size)])
    c = np.concatenate([q12, 0 * q12, q11, np.outer(qe, RHO).ravel()])
    v = np.concatenate([q11, q22, qe])
    x = np.linspace(-2.0, 2.0, 9)
    return tuple(arr.astype(dtype) for arr in (a, b, c, v, x))


def _probe(dual: duals.Dual, a, b, c, v, x) -> dict[str, jax.Array]:
    return {"t": dual.nngp(a, b, c), "td": dual.ntk(a, b, c), "diag": dual.nngp_diag(v),
            "mean": dual.mean(v), "fn": dual.fn(x), "dfn": dual.dfn(x)}  # fmt: skip


KEYS = ("t", "td", "diag", "mean", "fn", "dfn")


def _vector(dual: duals.Dual, *inputs) -> jax.Array:
    out = _probe(dual, *inputs)
    return jnp.concatenate([out[k] for k in KEYS])


def _to_numpy(out: dict, dtype: str) -> dict[str, np.ndarray]:
    for name, value in out.items():
        assert value.dtype == jnp.dtype(dtype), (name, value.dtype)  # dtype preserved
    return {n: np.asarray(v, np.float64) for n, v in out.items()}


@jax.jit
def _jitted(cases: dict[str, duals.Dual], inputs: dict[str, tuple]) -> dict:
    """Every dual in one compilation, passed as a pytree argument (float parameters traced,
    static fields part of the cache key)."""
    return {k: _probe(d, *inputs[k]) for k, d in cases.items()}


@functools.lru_cache(maxsize=None)
def _outputs() -> dict[str, dict[str, np.ndarray]]:
    """Float64 values of every dual (jit, duals as arguments)."""
    out = _jitted(CASES, {k: _inputs(k, "float64") for k in IDS})
    return {k: _to_numpy(v, "float64") for k, v in out.items()}


@functools.lru_cache(maxsize=None)
def _eager(case: str) -> dict[str, np.ndarray]:
    """Float64 values of one dual, eager (concrete Python-float parameters)."""
    return _to_numpy(_probe(CASES[case], *_inputs(case, "float64")), "float64")


# ---------------------------------------------------------------------------- registry
def test_registry_covers_every_factory_and_class():
    exported = {n: getattr(duals, n) for n in duals.__all__}
    assert set(exported) == {n for n in dir(duals) if not n.startswith("_")}
    classes = {v for v in exported.values() if isinstance(v, type) and issubclass(v, duals.Dual)}
    factories = {n for n, v in exported.items() if callable(v) and not isinstance(v, type)} - NON_CONSTRUCTORS
    assert factories == set(FACTORY_ARGS)
    assert classes - {duals.Dual} == {type(d) for d in CASES.values()}
    assert all(isinstance(d, duals.Dual) for d in CASES.values())


@pytest.mark.parametrize("case", IDS)
def test_registry_values(case):
    """Finite float64 values, dtype kept (checked in `_to_numpy`), identities between the maps."""
    out = _outputs()[case]
    for name, value in out.items():
        assert np.all(np.isfinite(value)), (case, name, value)
    t, td, diag, mean = out["t"], out["td"], out["diag"], out["mean"]
    # tolerance: float64 rounding of a few dozen operations (quadrature duals: 2-D vs 1-D
    # rule on the same nodes), as in the contract test
    rtol, tiny = 1e-12, 1e-30
    # identity: T(q, q, q) = E[φ(u)²]
    np.testing.assert_allclose(t[T_SAME], diag[V11], rtol=rtol, atol=tiny)
    # independence: T(q11, q22, 0) = E[φ(u)]·E[φ(v)], in units of the Cauchy–Schwarz bound
    scale = np.sqrt(np.abs(diag[V11] * diag[V22]))
    assert np.all(np.abs(t[T_INDEP] - mean[V11] * mean[V22]) <= rtol * scale + tiny), case
    # Jensen: E[φ(u)]² ≤ E[φ(u)²]
    assert np.all(mean**2 <= diag * (1 + rtol) + tiny), case
    # q11 = q22 = q, q12 = ρq, ρ ∈ [0, 1]: Mehler's formula E[g(u)g(v)] = Σ_j c_j² ρ^j (c_j the
    # Hermite coefficients of g(√q z)) gives Tdot ≥ 0 and T − E[φ(u)]² = Σ_{j≥1} ≥ 0; equality
    # at ρ = 0, so only rounding (of the scale: Tdot and E[φ²] at ρ = 1) can make them negative
    mean_eq, diag_eq = np.repeat(mean[V_EQ], RHO.size), np.repeat(diag[V_EQ], RHO.size)
    td_scale = np.repeat(np.abs(td[T_EQ][RHO.size - 1 :: RHO.size]), RHO.size)
    assert np.all(td[T_EQ] >= -rtol * td_scale - tiny), (case, td[T_EQ])
    assert np.all(t[T_EQ] - mean_eq**2 >= -rtol * diag_eq - tiny), (case, t[T_EQ] - mean_eq**2)


def test_registry_float32():
    """float32 inputs give float32 outputs for every map of every dual, traced (eval_shape of
    the jitted probe), and, eagerly for the closed forms, finite E[φ] and E[φ²] (Jensen;
    agreement with float64 within the contract test's float32 band, 2e-5 of √E[φ²])."""
    shapes = jax.eval_shape(_jitted, CASES, {k: _inputs(k, "float32") for k in IDS})
    assert all(s.dtype == jnp.float32 for s in jax.tree.leaves(shapes))
    for case, dual in CASES.items():
        if isinstance(dual, (duals.Numerical, duals.Tanh, duals.FromNNGP)):
            continue  # mean = `gaussian_expectation` (float32 covered in test_quadrature)
        v = _inputs(case, "float32")[3]
        mean, diag = dual.mean(v), dual.nngp_diag(v)
        assert mean.dtype == diag.dtype == jnp.float32, case
        mean, diag = np.asarray(mean, np.float64), np.asarray(diag, np.float64)
        assert np.all(np.isfinite(mean)) and np.all(np.isfinite(diag)), case
        assert np.all(mean**2 <= diag * (1 + 2e-5) + 1e-30), case
        ref = _outputs()[case]["mean"]
        assert np.all(np.abs(mean - ref) <= 2e-5 * np.sqrt(_outputs()[case]["diag"]) + 1e-30), case


# ---------------------------------------------------------------------------- mean
def _exact_gelu(x):
    return x * jax.scipy.special.ndtr(x)


@pytest.mark.parametrize("case", [c for c in IDS if c not in KINKED])
def test_mean_matches_quadrature_of_fn(case):
    """Smooth φ: E[φ(u)] against a 200-node Gauss–Hermite rule of ``fn``, at the 19
    variances of the probe (0 to 2).

    The rule is exact for polynomials of degree ≤ 399; every smooth φ here is entire (or, for
    tanh, odd, where the symmetric rule gives 0 to rounding) and of at most exponential
    growth at these variances (Gaussian(0.9, 0.3): e^{0.15 z²} at most, still geometric
    convergence), so the rule's own error is far below float64 rounding. Tolerance (derived):
    the rounding of a 200-term sum, ~200·eps ≈ 4e-14 of √E[φ²] (the Cauchy–Schwarz scale
    of |E φ|), so 1e-13. Gelu(approximate=True): its mean is by design that of the exact
    GELU (its kernel maps are the exact GELU's), so the reference integrates x·Φ(x).
    """
    dual = CASES[case]
    v = _inputs(case, "float64")[3]
    fn = _exact_gelu if isinstance(dual, duals.Gelu) else dual.fn
    ref = np.asarray(duals.gaussian_expectation(fn, v, deg=200))
    scale = np.sqrt(np.asarray(duals.gaussian_expectation(lambda z: fn(z) ** 2, v, deg=200)))
    got = _outputs()[case]["mean"]
    assert np.all(np.abs(got - ref) <= 1e-13 * scale + 1e-15), (case, got, ref, got - ref)


@pytest.fixture(scope="module")
def normals() -> jax.Array:
    return jnp.asarray(np.random.default_rng(20240607).standard_normal(2**20))


@pytest.mark.parametrize("case", sorted(KINKED))
def test_kinked_mean_matches_monte_carlo(case, normals):
    """Closed forms (relu √(q/2π), abrelu (b − a)√(q/2π), abs √(2q/π), sign 0, rectified
    monomials q^{d/2} 2^{d/2−1} Γ((d+1)/2)/√π) against M = 2^20 fixed-seed samples of
    φ(√q z), q ∈ Q_EQ; tolerance 5 standard errors computed from the sample (two-sided miss
    probability 6e-7). At q = 0 the mean is φ(0) exactly (Θ(0) = 1/2 for the step)."""
    dual = CASES[case]
    got = _outputs()[case]["mean"]
    for q, value in zip(Q_EQ, got[V_EQ]):
        samples = np.asarray(dual.fn(math.sqrt(q) * normals))
        mc, se = samples.mean(), samples.std() / math.sqrt(samples.size)
        assert abs(value - mc) <= 5 * se, (case, q, value, mc, se)
    assert GRID[0, 0] == 0.0 and got[0] == float(dual.fn(jnp.zeros(()))), case


def test_mean_closed_forms_written_out():
    """Closed forms written independently (Gamma function, not double factorials; Stein's
    lemma for the GELU); float64 rounding (rtol 1e-14)."""
    q = np.array([0.0, 0.5, 1.7])
    for d in range(6):
        want = q ** (d / 2) * 2 ** (d / 2 - 1) * math.gamma((d + 1) / 2) / math.sqrt(math.pi)
        np.testing.assert_allclose(np.asarray(duals.rectified_monomial(d).mean(q)), want, rtol=1e-14)
        mono = (math.prod(range(d - 1, 0, -2)) * q ** (d / 2)) if d % 2 == 0 else 0 * q
        np.testing.assert_allclose(np.asarray(duals.monomial(d).mean(q)), mono, rtol=1e-14, atol=0)
    np.testing.assert_allclose(np.asarray(duals.gelu().mean(q)), q / np.sqrt(2 * np.pi * (1 + q)), rtol=1e-14)
    # divergent and degenerate values
    assert float(duals.gaussian(0.9, 0.3).mean(2.0)) == math.inf
    assert float(duals.gaussian(-0.9, 0.3).mean(2.0)) == -math.inf
    assert float(duals.sigmoid_like().mean(3.0)) == 0.5


# ---------------------------------------------------------------------------- values
@pytest.mark.parametrize("case", IDS)
def test_pytree_round_trip_equality_hash_and_repr(case):
    dual = CASES[case]
    leaves, treedef = jax.tree.flatten(dual)
    assert jax.tree.unflatten(treedef, leaves) == dual
    floats = [f.name for f in dataclasses.fields(dual) if not is_static_field(f)]
    assert len(leaves) == len(floats)  # float parameters are the leaves, nothing else
    name, args = SPECS[case]
    again = getattr(duals, name)(*args)
    assert again == dual and hash(again) == hash(dual)
    assert repr(dual) == f"Dual({dual.name})" and len(repr(dual)) < 60
    # a static-jit argument such as `fn=dual.fn` (edgeworth's sampler) must be hashable
    assert hash(dual.fn) == hash(dual.fn) and dual.fn == dual.fn


def test_names_inequality_and_abstract_base():
    assert duals.relu().name == "Relu" and repr(duals.relu()) == "Dual(Relu)"
    assert duals.abrelu(-0.4, 1.3).name == "ABRelu(-0.4, 1.3)"
    assert duals.erf().name == "Erf(1, 1, 0)" and duals.leaky_relu(0.1).name == "LeakyRelu(0.1)"
    assert duals.tanh().name == "Tanh" and duals.numerical(_CUBIC, name="Cubic").name == "Cubic"
    assert duals.abrelu(0.1, 1.0) != duals.abrelu(0.2, 1.0)
    assert duals.relu() != duals.abrelu(0.0, 1.0)  # different families, same maps
    assert duals.gelu() != duals.gelu(approximate=True)
    assert duals.abrelu(0, 1) == duals.ABRelu(a=0.0, b=1.0)
    assert duals.erf(1.0, 2.0).replace(c=0.5) == duals.erf(1.0, 2.0, 0.5)
    with pytest.raises(TypeError, match="abstract"):
        duals.Dual()
    with pytest.raises(TypeError, match="`approximate`"):
        duals.gelu("yes")
    with pytest.raises(ValueError, match="`gamma`"):
        duals.rbf(1.0).replace(gamma=-1.0)
    kernel_only = duals.from_nngp_fn(None, _USER_T)
    assert not kernel_only.has_fn and duals.relu().has_fn
    for method in (kernel_only.fn, kernel_only.dfn, kernel_only.mean):
        with pytest.raises(ValueError, match="`fn`"):
            method(jnp.ones(2))
    # the tanh form of Gelu(approximate=True), written out
    x = np.linspace(-3, 3, 13)
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(np.asarray(duals.gelu(True).fn(jnp.asarray(x))), tanh_form, rtol=1e-14, atol=1e-15)


def _float_fields(dual: duals.Dual) -> list[str]:
    return [f.name for f in dataclasses.fields(dual) if not is_static_field(f)]


TRACEABLE = [c for c in IDS if _float_fields(CASES[c])]
FIELDS = {c: _float_fields(CASES[c]) for c in TRACEABLE}
P0 = {c: np.array([getattr(CASES[c], f) for f in FIELDS[c]]) for c in TRACEABLE}
# every dual with traced parameters, and one whose static fields are callables
JIT_VS_EAGER = TRACEABLE + ["from_nngp_fn(exp, _USER_T)"]


def test_jit_with_duals_as_arguments_equals_eager():
    """The jitted probe (every dual passed as a pytree argument) vs eager evaluation, for
    every dual with traced parameters and those with static callables or degrees.

    Acceptance band: the same formulas with the parameter arithmetic done by XLA on traced
    float64 scalars instead of by Python (few-ulp differences, e.g. the sine of a phase):
    1e-13 of the value plus the largest E[φ²] of the probe.
    """
    for case in JIT_VS_EAGER:
        jitted, eager = _outputs()[case], _eager(case)
        scale = np.abs(eager["diag"]).max()
        for name in eager:
            err = np.abs(jitted[name] - eager[name])
            assert np.all(err <= 1e-13 * (np.abs(eager[name]) + scale)), (case, name, err.max())
    names = []
    jax.jit(lambda d: names.append(d.name))(duals.abrelu(0.1, 1.0))  # `name` works on tracers
    assert names == ["ABRelu(traced, traced)"]


# ---------------------------------------------------------------------------- traced parameters
def _rebuilt(case: str, params) -> duals.Dual:
    """The dual of ``case`` built again from ``params`` (tracers pass the validation)."""
    return CASES[case].replace(**{f: params[i] for i, f in enumerate(FIELDS[case])})


def _with_params(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The jitted probe (cached compilation: same pytree structure) of every dual, those of
    ``params`` rebuilt with those (concrete) parameters; float64 vectors per dual."""
    cases = {c: (_rebuilt(c, [float(x) for x in params[c]]) if c in params else d) for c, d in CASES.items()}
    out = _jitted(cases, {k: _inputs(k, "float64") for k in IDS})
    return {c: np.concatenate([np.asarray(out[c][k]) for k in KEYS]) for c in params}


def test_grad_wrt_parameters_matches_finite_differences():
    """`jax.grad`, w.r.t. the float leaves of every traceable dual (the duals themselves are
    the differentiated pytree), of S = Σ_c Σ_k w_ck f_ck, f_c all maps of dual c on the probe
    inputs and w fixed random weights (so no entry's derivative can hide), vs central
    differences of f.

    h = 1e-6: truncation h²·|f‴|/6 and rounding ≈ eps·|f|/h ≈ 2.2e-10·|f|. On this grid the
    maps have |f‴| ≤ 1.5e3·(1 + |f|) (nested forward-mode derivatives; largest for
    Gaussian(0.9, 0.3) in b, near its divergence), so truncation ≤ 2.5e-10·(1 + |f|) and each
    difference is within 5e-10·(1 + |f|) (measured: ≤ 2.3e-10): tolerance (derived, 20×
    margin) Σ_k |w_ck|·1e-8·(1 + |f_ck|).
    """
    h = 1e-6
    value = _with_params(P0)
    rng = np.random.default_rng(11)
    weights = {c: jnp.asarray(rng.normal(size=v.shape)) for c, v in value.items()}

    def weighted_sum(cases):
        return sum(jnp.sum(weights[c] * _vector(d, *_inputs(c, "float64"))) for c, d in cases.items())

    grad = jax.jit(jax.grad(weighted_sum))({c: CASES[c] for c in P0})
    for i in range(max(p.size for p in P0.values())):  # the i-th parameter of every dual at once
        bump = {c: np.eye(p.size)[i] * h if i < p.size else np.zeros(p.size) for c, p in P0.items()}
        up = _with_params({c: P0[c] + bump[c] for c in P0})
        down = _with_params({c: P0[c] - bump[c] for c in P0})
        for c in (c for c in P0 if i < P0[c].size):
            w = np.asarray(weights[c])
            fd = np.sum(w * (up[c] - down[c]) / (2 * h))
            tol = np.sum(np.abs(w) * 1e-8 * (1 + np.abs(value[c])))
            got = float(getattr(grad[c], FIELDS[c][i]))
            assert abs(got - fd) <= tol, (c, FIELDS[c][i], got, fd, tol)


def test_grad_of_leaky_relu_nngp_in_alpha():
    """∂/∂α of LeakyRelu(α)'s T by `jax.grad`, the dual constructed from the tracer, vs a
    central difference (h = 1e-6; T is quadratic in α, so only rounding, 2.2e-10·|T|:
    tolerance 1e-8·(1 + |T|) as above) and vs the closed form ∂T/∂a at b = 1:
    (a − 1)/π·(√(P − q12²) − θ q12) + a·q12 (float64 rounding, condition ~10: rtol 1e-12)."""
    q11, q22, q12 = 1.3, 0.7, 0.4
    grad = float(jax.grad(lambda a: duals.leaky_relu(a).nngp(q11, q22, q12))(0.2))
    t = lambda a: float(duals.leaky_relu(a).nngp(q11, q22, q12))  # noqa: E731
    fd = (t(0.2 + 1e-6) - t(0.2 - 1e-6)) / 2e-6
    assert abs(grad - fd) <= 1e-8 * (1 + abs(t(0.2)))
    theta = math.acos(q12 / math.sqrt(q11 * q22))
    closed = (0.2 - 1) / math.pi * (math.sqrt(q11 * q22 - q12**2) - theta * q12) + 0.2 * q12
    assert math.isclose(grad, closed, rel_tol=1e-12)


@jax.jit
@jax.vmap
def _batched(params: dict[str, jax.Array]) -> dict[str, jax.Array]:
    """The probe of every traceable dual, constructed from batched tracers."""
    return {c: _vector(_rebuilt(c, p), *_inputs(c, "float64")) for c, p in params.items()}


@jax.jit
@jax.vmap
def _batched_tree(cases: dict[str, duals.Dual]) -> dict[str, jax.Array]:
    """The probe of a batch of duals (duals with array fields, vmapped as pytrees)."""
    return {c: _vector(d, *_inputs(c, "float64")) for c, d in cases.items()}


def test_vmap_over_parameters_equals_loop():
    """vmap over 3 values of every float parameter of every traceable dual, the duals built
    from batched tracers, and vmap over a batch of duals (array fields) as a pytree, against
    a loop over the values (one call of the unbatched jitted probe each). Acceptance band:
    float64, batched vs unbatched XLA code for the same formulas (few ulps): 1e-13 of the
    value plus the largest entry."""
    factors = np.array([1.0, 0.8, 1.25])
    batch = {c: np.outer(factors, p) for c, p in P0.items()}  # (3, n_params)
    from_tracers = _batched({c: jnp.asarray(b) for c, b in batch.items()})
    tree_cases = ["abrelu(-0.3, 1.7)", "erf(1.3, 0.8, 0.2)", "gaussian(0.9, 0.3)"]
    stacked = {c: CASES[c].replace(**{f: jnp.asarray(batch[c][:, i]) for i, f in enumerate(FIELDS[c])})
               for c in tree_cases}  # fmt: skip
    assert stacked["abrelu(-0.3, 1.7)"].name == "ABRelu(array(3,), array(3,))"
    over_tree = _batched_tree(stacked)
    for k in range(factors.size):
        loop = _with_params({c: b[k] for c, b in batch.items()})
        for c in P0:
            tol = 1e-13 * (np.abs(loop[c]) + np.abs(loop[c]).max())
            assert np.all(np.abs(np.asarray(from_tracers[c][k]) - loop[c]) <= tol), (c, k)
            if c in over_tree:
                assert np.all(np.abs(np.asarray(over_tree[c][k]) - loop[c]) <= tol), (c, k)
