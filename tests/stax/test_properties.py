"""Properties every kernel must have, on random architectures and degenerate inputs.

References are identities, not other implementations: a covariance (NNGP) and a sum of
Jacobian Gram matrices (NTK) are symmetric positive semi-definite, so
    K == K.T exactly (x2=None is assembled symmetrically), and
    λ_min(K) ≥ −1e-6 · λ_max(K)   (the specified PSD tolerance, relative),
and they must be finite wherever the true kernel is finite.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from widenets import stax

# compile-bound (small programs that run in microseconds): tests/conftest.py
pytestmark = pytest.mark.usefixtures("fast_compile")

# Activations whose kernel is finite for all inputs of norm up to 1e6 (Exp grows like
# exp(b²q): E[exp(2bu)] is infinite in float arithmetic for q ≳ 44/b², so it is left out of
# the extreme-norm test and covered at moderate norms by the random-architecture test).
BOUNDED = {
    "Relu": stax.Relu,
    "LeakyRelu": lambda: stax.LeakyRelu(0.2),
    "Abs": stax.Abs,
    "ABRelu": lambda: stax.ABRelu(-0.4, 1.3),
    "Erf": stax.Erf,
    "Sigmoid_like": stax.Sigmoid_like,
    "Gelu": stax.Gelu,
    "Sin": stax.Sin,
    "Cos": stax.Cos,
    "Rbf": stax.Rbf,
    "Gaussian": stax.Gaussian,
    "Sign": stax.Sign,
    "RectifiedMonomial": lambda: stax.RectifiedMonomial(1),
    "Snake": lambda: stax.Snake(0.7),
    "ElementwiseNumerical": lambda: stax.ElementwiseNumerical(jnp.tanh, deg=25),
}
GROWING = {
    "Exp": lambda: stax.Exp(0.5, 0.3),
    "Monomial": lambda: stax.Monomial(2),
    "Polynomial": lambda: stax.Polynomial([0.1, 1.0, 0.3]),
}


def assert_symmetric_psd(k, rel=1e-6):
    k = np.asarray(k, np.float64)
    assert np.all(np.isfinite(k))
    np.testing.assert_array_equal(k, k.T)
    eig = np.linalg.eigvalsh(k)
    assert eig[0] >= -rel * max(eig[-1], 0.0), (eig[0], eig[-1])


def degenerate_inputs(dtype):
    """Zero rows, duplicated rows, nearly parallel rows and norms from 1e-6 to 1e6."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=(4, 6))
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    rows = [
        np.zeros(6),
        base[0],
        base[0],  # duplicate
        base[0] * (1 + 1e-7),  # nearly duplicate
        -base[1],
        base[2] * 1e-6,
        base[3] * 1e6,
        base[1] * 1e3,
    ]
    return jnp.asarray(np.stack(rows), dtype)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("name", sorted(BOUNDED))
def test_degenerate_inputs_give_finite_symmetric_psd_kernels(name, dtype):
    act = BOUNDED[name]
    _, _, kernel_fn = stax.serial(
        stax.Dense(64, W_std=1.4, b_std=0.1), act(), stax.Dense(64, W_std=1.2), act(), stax.Dense(1)
    )
    k = kernel_fn(degenerate_inputs(dtype), get=("nngp", "ntk"))
    assert k.nngp.dtype == dtype and k.ntk.dtype == dtype
    assert_symmetric_psd(k.nngp)
    assert_symmetric_psd(k.ntk)


@pytest.mark.parametrize("name", sorted(GROWING))
def test_growing_activations_are_finite_at_moderate_norms(name):
    _, _, kernel_fn = stax.serial(stax.Dense(8, b_std=0.1), GROWING[name](), stax.Dense(1))
    x = degenerate_inputs(jnp.float64)[:6]  # norms up to 1 only
    k = kernel_fn(x, get=("nngp", "ntk"))
    assert_symmetric_psd(k.nngp)
    assert_symmetric_psd(k.ntk)


# ---------------------------------------------------------------- random architectures

ACTIVATIONS = {**BOUNDED, **GROWING}


@st.composite
def architectures(draw):
    """A random valid spec: Dense/activation blocks, optional residual block and LayerNorm."""
    depth = draw(st.integers(1, 4))
    param = draw(st.sampled_from(["ntk", "standard"]))
    layers = []
    names = []
    for _ in range(depth):
        width = draw(st.integers(1, 64))
        w_std = draw(st.floats(0.1, 2.0))
        b_std = draw(st.one_of(st.none(), st.floats(0.0, 1.0)))
        layers.append(stax.Dense(width, W_std=w_std, b_std=b_std, parameterization=param))
        names.append(f"Dense({width}, {w_std:.3g}, {b_std}, {param})")
        if draw(st.booleans()):
            layers.append(stax.LayerNorm())
            names.append("LayerNorm")
        name = draw(st.sampled_from(sorted(ACTIVATIONS)))
        if name in GROWING:  # keep growing activations' kernels O(1)
            layers.append(stax.LayerNorm())
            names.append("LayerNorm")
        layers.append(ACTIVATIONS[name]())
        names.append(name)
        if draw(st.booleans()):
            w = draw(st.integers(1, 32))
            branch = stax.serial(stax.Dense(w, W_std=w_std), stax.Relu(), stax.Dense(w))
            combine = draw(st.sampled_from([stax.FanInSum, stax.FanInProd, stax.FanInConcat]))
            layers += [stax.Dense(w), stax.FanOut(2), stax.parallel(stax.Dense(w), branch), combine()]
            names.append(f"residual({w}, {combine.__name__})")
    layers.append(stax.Dense(1, W_std=1.0, parameterization=param))
    note(" > ".join(names))
    return stax.serial(*layers)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    layer=architectures(),
    n=st.integers(2, 7),
    d=st.integers(1, 5),
    log_scale=st.floats(-2.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_random_architectures_are_finite_symmetric_psd(layer, n, d, log_scale, seed):
    x = np.random.default_rng(seed).normal(size=(n, d)) * 10.0**log_scale
    k = layer.kernel_fn(x, get=("nngp", "ntk"))
    assert_symmetric_psd(k.nngp)
    assert_symmetric_psd(k.ntk)
    # the cross kernel is the corresponding block of the joint Gram. A new point in general
    # position (d >= 2): at exactly collinear pairs cos θ = 1 is ill-conditioned (θ ≈ √(2 ulp)),
    # and the two computations may round it differently.
    if d >= 2:
        extra = np.random.default_rng(seed + 1).normal(size=(1, d)) * 10.0**log_scale
        joint = layer.kernel_fn(np.concatenate([x, extra]), get="nngp")
        cross = layer.kernel_fn(x, extra, get="nngp")
        np.testing.assert_allclose(cross[:, 0], joint[:n, n], rtol=1e-9, atol=1e-12 * np.abs(joint).max())


MALFORMED = [
    lambda rng: (rng.normal(size=(3,)), None),  # 1-D
    lambda rng: (rng.normal(size=(3, 4)), rng.normal(size=(2, 5))),  # feature mismatch
    lambda rng: (np.full((3, 4), np.nan), None),
    lambda rng: (rng.normal(size=(3, 4)), np.full((2, 4), -np.inf)),
    lambda rng: ("not an array", None),
    lambda rng: (rng.normal(size=(3, 4)) * 1j, None),
]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    which=st.integers(0, len(MALFORMED) - 1),
    get=st.sampled_from([None, "nngp", ("nngp", "ntk"), "bogus", 7, ("ntk", 1)]),
    seed=st.integers(0, 100),
)
def test_random_malformed_calls_raise_clear_errors(which, get, seed):
    _, _, kernel_fn = stax.serial(stax.Dense(4, b_std=0.1), stax.Erf(), stax.Dense(1))
    x1, x2 = MALFORMED[which](np.random.default_rng(seed))
    with pytest.raises((ValueError, TypeError)) as info:
        kernel_fn(x1, x2, get=get)
    message = str(info.value)
    assert any(name in message for name in ("`x1`", "`x2`", "`get`")), message


def test_blockwise_paths_match_direct_evaluation(monkeypatch):
    """Row blocks and symmetric tiles reproduce the whole-matrix computation (float64)."""
    # the engine's tiling constants, read while a kernel is traced
    from widenets.stax import _plan

    x = np.random.default_rng(3).normal(size=(300, 5))
    layer = stax.serial(stax.Dense(32, W_std=1.3, b_std=0.2), stax.Erf(), stax.Dense(16), stax.Relu(), stax.Dense(1))

    def paths(layer):
        options = _plan.EvalOptions(("nngp", "ntk"), layer.input_form("full"), (0, -1), False)
        return (_plan.plan_kernel(layer, x, None, options).path,
                _plan.plan_kernel(layer, x[:200], x, options).path)

    monkeypatch.setattr(_plan, "ROW_BLOCK", 64)
    monkeypatch.setattr(_plan, "SYM_TILE", 64)
    assert paths(layer) == ("symmetric_tiles", "cross_tiles")  # the blocked paths are taken
    blocked_sym = layer.kernel_fn(x, get=("nngp", "ntk", "cov1"))
    blocked_cross = layer.kernel_fn(x[:200], x, get=("nngp", "ntk", "cov1", "cov2"))
    monkeypatch.setattr(_plan, "ROW_BLOCK", 10**9)
    monkeypatch.setattr(_plan, "SYM_TILE", 10**9)
    assert paths(layer) == ("direct", "direct")
    layer = stax.serial(layer)  # a new layer object, so a fresh jit cache
    direct_sym = layer.kernel_fn(x, get=("nngp", "ntk", "cov1"))
    direct_cross = layer.kernel_fn(x[:200], x, get=("nngp", "ntk", "cov1", "cov2"))
    for a, b in zip(blocked_sym + blocked_cross, direct_sym + direct_cross):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(blocked_sym.nngp, blocked_sym.nngp.T)


def test_kernel_fn_works_under_outer_jit_and_keeps_dtype():
    _, _, kernel_fn = stax.serial(stax.Dense(8, b_std=0.1), stax.Relu(), stax.Dense(1))
    x = jnp.asarray(np.random.default_rng(0).normal(size=(6, 3)), jnp.float32)
    jitted = jax.jit(kernel_fn, static_argnames="get")
    a = jitted(x, None, get="ntk")
    b = kernel_fn(x, get="ntk")
    assert a.dtype == jnp.float32
    np.testing.assert_allclose(a, b, rtol=1e-6)
