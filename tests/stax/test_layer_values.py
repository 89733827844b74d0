"""Layers are values: printable, comparable pytrees whose float hyperparameters may be traced.

References: finite differences of the kernel (for gradients), the same kernel evaluated value
by value (for `jax.vmap`), the JSON round trip (for serialisation), and trace counts (the
static structure, not the float values, keys the compiled program).
"""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals, stax

X = np.random.default_rng(3).normal(size=(4, 3))
IMAGES = np.random.default_rng(4).normal(size=(3, 4, 4, 2))


def mlp(w, b, alpha):
    return stax.serial(stax.Dense(16, W_std=w, b_std=b), stax.LeakyRelu(alpha), stax.Dense(1, W_std=w))


def cnn(w, b):
    return stax.serial(stax.Conv(8, (2, 2), padding="SAME", W_std=w, b_std=b), stax.Erf(),
                       stax.AvgPool((2, 2), strides=(2, 2)), stax.Flatten(), stax.Dense(1))


def test_layers_are_comparable_printable_values():
    a, b = mlp(1.5, 0.1, 0.2), mlp(1.5, 0.1, 0.2)
    assert a == b and hash(a) == hash(b) and a != mlp(1.5, 0.1, 0.3)
    assert "Dense(out_dim=16, W_std=1.5" in repr(a)
    assert a.layers[1].dual == duals.leaky_relu(0.2)
    init_fn, apply_fn, kernel_fn = a  # neural-tangents' triple
    assert kernel_fn == b.kernel_fn and apply_fn == a.apply
    assert jax.tree.leaves(a) == [1.5, 0.1, 0.2, 1.5]  # the float hyperparameters
    leaves, treedef = jax.tree.flatten(a)
    assert jax.tree.unflatten(treedef, leaves) == a


@pytest.mark.parametrize("get", ["nngp", "ntk"])
def test_grad_over_hyperparameters_matches_finite_differences(get):
    def k(params):
        w, b, alpha = params
        return mlp(w, b, alpha).kernel_fn(X, None, get=get)[0, 1]

    params = (1.3, 0.2, 0.3)
    grad = jax.grad(k)(params)
    h = 1e-5  # central differences: error O(h² k''') ≈ 1e-10 here; derived bound 1e-7 relative
    for i in range(3):
        up = list(params)
        dn = list(params)
        up[i] += h
        dn[i] -= h
        fd = (k(tuple(up)) - k(tuple(dn))) / (2 * h)
        assert float(grad[i]) == pytest.approx(float(fd), rel=1e-7, abs=1e-10)


def test_vmap_over_W_std_equals_one_value_at_a_time():
    ws = jnp.linspace(0.5, 2.0, 5)
    batched = jax.vmap(lambda w: cnn(w, 0.1).kernel_fn(IMAGES, None, get="ntk"))(ws)
    each = np.stack([np.asarray(cnn(float(w), 0.1).kernel_fn(IMAGES, None, get="ntk")) for w in ws])
    np.testing.assert_allclose(np.asarray(batched), each, rtol=1e-12)  # same ops, other batching


class Counted(stax.Layer):
    """y = c·x, counting how often its rule is traced."""

    c: float = 1.0
    traces = [0]

    def init(self, key, input_shape):
        return input_shape, ()

    def apply(self, params, inputs, **kwargs):
        return self.c * inputs

    def rule(self, k):
        Counted.traces[0] += 1
        c2 = self.c**2
        return k.replace(nngp=c2 * k.nngp, ntk=c2 * k.ntk, cov1=c2 * k.cov1, cov2=c2 * k.cov2)


def test_float_values_do_not_recompile_and_a_custom_layer_composes():
    Counted.traces[0] = 0
    x = np.random.default_rng(5).normal(size=(5, 7))  # a shape no other test uses
    k = {}
    for c in (1.0, 2.0, 3.0):
        k[c] = stax.serial(stax.Dense(4, W_std=c), stax.Relu(), Counted(c), stax.Dense(1)).kernel_fn(x, get="nngp")
    traces = Counted.traces[0]
    assert 1 <= traces <= 3  # planning traces once abstractly and once to compile, then never
    np.testing.assert_allclose(np.asarray(k[2.0]) / np.asarray(k[1.0]), 4.0 * 4.0, rtol=1e-12)  # W_std² c²
    stax.serial(stax.Dense(4, W_std=5.0), stax.Relu(), Counted(5.0), stax.Dense(1)).kernel_fn(x, get="nngp")
    assert Counted.traces[0] == traces


def test_json_round_trip_of_a_network():
    net = stax.serial(
        stax.Conv(8, (3, 2), strides=(1, 2), padding="CIRCULAR", W_std=1.3, b_std=0.1,
                  parameterization="standard"),
        stax.ABRelu(-0.3, 1.2), stax.FanOut(2),
        stax.parallel(stax.serial(stax.Conv(4, (1, 1)), stax.Erf(0.5, 2.0, 0.1)), stax.Conv(4, (1, 1))),
        stax.FanInProd(), stax.AvgPool((2, 2), padding="SAME", normalize_edges=True),
        stax.GlobalAvgPool(), stax.Dense(3, b_std=0.2),
    )
    spec = json.loads(json.dumps(stax.to_spec(net)))
    back = stax.from_spec(spec)
    assert back == net
    np.testing.assert_array_equal(np.asarray(back.kernel_fn(IMAGES, get="ntk")),
                                  np.asarray(net.kernel_fn(IMAGES, get="ntk")))


def test_serialising_a_callable_is_refused_with_the_field_name():
    with pytest.raises(TypeError, match="phi"):
        stax.to_spec(stax.Elementwise(jnp.tanh, lambda c, v1, v2: c))
    with pytest.raises(ValueError, match="registry"):
        stax.from_spec({"type": "mymodule:MyLayer", "fields": {}})
    spec = stax.to_spec(Counted(2.0))  # a user-defined layer round-trips through `registry`
    assert stax.from_spec(spec, {spec["type"]: Counted}) == Counted(2.0)


def test_plain_triples_join_combinators():
    dense = stax.Dense(4, W_std=1.2)
    triple = (dense.init_fn, dense.apply_fn, lambda k: dense.transform(k))
    a = stax.serial(triple, stax.Relu(), stax.Dense(1)).kernel_fn(X, get="nngp")
    b = stax.serial(dense, stax.Relu(), stax.Dense(1)).kernel_fn(X, get="nngp")
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
