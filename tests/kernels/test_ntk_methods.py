"""The NTK methods of `_ntk_methods`: Jacobian contraction (1) and NTK-vector products (2)
against each other, and the choice made by ``implementation='auto'``.

The two methods share no code beyond the final einsum layout (one contracts Jacobians, the
other applies J(x1) to VJP images), so their agreement to round-off in float64 (1e-10
relative) over architectures, trace/diagonal settings and ``vmap_axes`` is the reference.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import empirical_ntk_fn
from widenets.kernels._empirical_ntk import _problem
from widenets.kernels._ntk_methods import choose, estimated_flops

RTOL = 1e-10
rng = np.random.default_rng(3)
X1 = rng.normal(size=(5, 4))
X2 = rng.normal(size=(3, 4))


def stax_mlp():
    init_fn, apply_fn, _ = stax.serial(
        stax.Dense(6, W_std=1.4, b_std=0.2), stax.Erf(), stax.Dense(4, W_std=0.9, b_std=0.3)
    )
    _, params = init_fn(jax.random.key(4), X1.shape)
    return apply_fn, params


def nested_dict_net():
    """A hand-written f over a nested dict pytree with None leaves and a shared scalar, with
    outputs (N, 2, 3); examples are independent."""
    params = {
        "enc": {"W": jnp.asarray(rng.normal(size=(4, 6))), "bias": None},
        "dec": [{"V": jnp.asarray(rng.normal(size=(6, 6))), "c": jnp.asarray(rng.normal(size=6))}, None],
        "gain": jnp.asarray(0.7),
    }

    def f(p, x):
        h = jnp.tanh(x @ p["enc"]["W"] / 2.0)
        out = jnp.sin(h @ p["dec"][0]["V"] * p["gain"]) + p["dec"][0]["c"][None, :] * h
        return out.reshape(x.shape[0], 2, 3)

    return f, params


SETTINGS = [  # (network, trace_axes, diagonal_axes, vmap_axes, x2)
    ("stax", (-1,), (), None, X2),
    ("stax", (), (), 0, None),
    ("stax", (), (-1,), None, X2),
    ("nested", (-1,), (), (0, 0, {}), X2),
    ("nested", (), (), None, None),
    ("nested", (1,), (2,), 0, X2),
    ("nested", (), (1, 2), None, X2),
]


@pytest.mark.parametrize("net, trace_axes, diagonal_axes, vmap_axes, x2", SETTINGS)
def test_methods_agree(net, trace_axes, diagonal_axes, vmap_axes, x2):
    f, params = stax_mlp() if net == "stax" else nested_dict_net()
    ref, ntk = (
        jax.jit(empirical_ntk_fn(f, trace_axes, diagonal_axes, vmap_axes, impl))(X1, x2, params)
        for impl in ("jacobian_contraction", "ntk_vector_products")
    )
    assert ntk.shape == ref.shape and ntk.dtype == jnp.float64
    np.testing.assert_allclose(ntk, ref, rtol=RTOL, atol=RTOL * np.max(np.abs(ref)))


def test_vmap_axes_equal_whole_batch_and_diagonal_batch_axis():
    """Per-example derivatives (vmap_axes=0) give the whole-batch kernel; diagonal_axes=(0,)
    is the diagonal Θ(x1_i, x2_i) of the full kernel."""
    f, params = nested_dict_net()
    full = jax.jit(empirical_ntk_fn(f, ()))(X1, X1[::-1], params)  # (5, 5, 2, 2, 3, 3)
    for impl in (1, 2):
        diag = jax.jit(empirical_ntk_fn(f, (), (0,), 0, impl))(X1, X1[::-1], params)
        assert diag.shape == (5, 2, 2, 3, 3)
        np.testing.assert_allclose(diag, np.einsum("iiabcd->iabcd", full), rtol=RTOL, atol=1e-13)


def test_float32_methods_agree_and_auto_runs_its_choice():
    apply_fn, params = stax_mlp()
    p32 = jax.tree.map(lambda a: a.astype(jnp.float32), params)
    x = X1.astype(np.float32)
    a = jax.jit(empirical_ntk_fn(apply_fn, (), implementation=1))(x, None, p32)
    b = jax.jit(empirical_ntk_fn(apply_fn, (), implementation=2))(x, None, p32)
    auto = jax.jit(empirical_ntk_fn(apply_fn, (), implementation="auto"))(x, None, p32)
    np.testing.assert_array_equal(auto, b)  # auto picks NTK-vector products here (below)
    assert a.dtype == b.dtype == jnp.float32
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5 * float(np.max(np.abs(a))))


def _choice(f, params, x1, x2, trace_axes, diagonal_axes=(), vmap_axes=None):
    prob = _problem(f, x1, x2, params, {}, trace_axes, diagonal_axes,
                    None if vmap_axes is None else (vmap_axes, vmap_axes, {}))
    return choose(prob)


def test_auto_picks_jacobian_contraction_for_traced_outputs():
    """U = 1 (traced or diagonal channels): contraction 2·P·O per pair beats 6·P·O of the
    JVPs. (Without vmap_axes and N2 < N1 the rule prefers NTK-vector products, which skip
    the N1²-cost whole-batch Jacobian of x1; hence x2=None or vmap_axes here.)"""
    apply_fn, params = stax_mlp()
    assert _choice(apply_fn, params, X1, None, (-1,)) == "jacobian_contraction"
    assert _choice(apply_fn, params, X1, X2, (-1,), (), 0) == "jacobian_contraction"
    assert _choice(apply_fn, params, X1, X2, (), (-1,), 0) == "jacobian_contraction"


def test_auto_picks_ntk_vector_products_for_many_untraced_outputs():
    """trace_axes=() with k = 4 logits: U = 4 > 3, so the JVPs are estimated cheaper."""
    apply_fn, params = stax_mlp()
    assert _choice(apply_fn, params, X1, X2, (), (), 0) == "ntk_vector_products"
    assert _choice(apply_fn, params, X1, None, ()) == "ntk_vector_products"


def test_flop_estimates_match_the_documented_formulas():
    apply_fn, params = stax_mlp()
    prob = _problem(apply_fn, X1, X2, params, {}, (), (), (0, 0, {}))
    P = sum(math.prod(v.shape) for v in jax.tree.leaves(params))
    F, O, n1, n2 = 2 * P, 4, 5, 3
    flops = estimated_flops(prob, P)
    assert flops["jacobian_contraction"] == 3 * F * O * (n1 + n2) + 2 * P * O * 4 * n1 * n2
    assert flops["ntk_vector_products"] == 3 * F * O * n2 + 3 * F * O * n1 * n2
