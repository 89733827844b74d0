"""Bad input raises ValueError/TypeError naming the offending argument (never NaN, never a
deep traceback from inside JAX)."""
import jax
import numpy as np
import pytest

from widenets import stax

MLP = stax.serial(stax.Dense(16, W_std=1.5, b_std=0.1), stax.Relu(), stax.Dense(1))
X = np.random.default_rng(0).normal(size=(5, 3))


def kernel(*args, **kwargs):
    return MLP.kernel_fn(*args, **kwargs)


@pytest.mark.parametrize(
    "call, error, names",
    [
        (lambda: kernel(X, np.ones((4, 2))), ValueError, "x2"),
        (lambda: kernel(X[0]), ValueError, "x1"),
        (lambda: kernel(X, np.ones(3)), ValueError, "x2"),
        (lambda: kernel(np.where(np.eye(5, 3) > 0, np.nan, X)), ValueError, "x1"),
        (lambda: kernel(X, np.full((2, 3), np.inf)), ValueError, "x2"),
        (lambda: kernel("abc"), TypeError, "x1"),
        (lambda: kernel(X + 1j), TypeError, "x1"),
        (lambda: kernel(X, get="nngpp"), ValueError, "get"),
        (lambda: kernel(X, get=("nngp", "foo")), ValueError, "get"),
        (lambda: kernel(X, get=3), TypeError, "get"),
        (lambda: kernel(X, diagonal_batch=True), TypeError, "diagonal_batch"),
        (lambda: stax.Dense(0), ValueError, "out_dim"),
        (lambda: stax.Dense(-3), ValueError, "out_dim"),
        (lambda: stax.Dense(2.5), TypeError, "out_dim"),
        (lambda: stax.Dense(4, W_std=-1.0), ValueError, "W_std"),
        (lambda: stax.Dense(4, b_std=-0.1), ValueError, "b_std"),
        (lambda: stax.Dense(4, W_std=float("nan")), ValueError, "W_std"),
        (lambda: stax.Dense(4, parameterization="mup"), ValueError, "parameterization"),
        (lambda: stax.Dense(4, channel_axis=0), ValueError, "channel_axis"),
        (lambda: stax.FanOut(0), ValueError, "num"),
        (lambda: stax.LayerNorm(eps=-1.0), ValueError, "eps"),
        (lambda: stax.serial(stax.Dense(3), "relu"), TypeError, "layer"),
    ],
)
def test_bad_argument_is_named(call, error, names):
    with pytest.raises(error, match=names):
        call()


@pytest.mark.parametrize(
    "layers",
    [
        (stax.Relu(),),  # activation on raw inputs
        (stax.Dense(8), stax.Relu(), stax.Erf()),  # activation after activation
        (stax.Dense(8), stax.Erf(), stax.LayerNorm()),  # LayerNorm of non-Gaussian
        (stax.Dense(8), stax.FanOut(2), stax.FanInProd(), stax.Relu()),  # after a product
        (
            stax.Dense(8),
            stax.FanOut(2),
            stax.parallel(stax.Relu(), stax.Relu()),
            stax.FanInSum(),  # sum of non-centred branches
        ),
    ],
)
def test_activation_needs_an_affine_input(layers):
    _, _, kernel_fn = stax.serial(*layers)
    with pytest.raises(ValueError, match="Gaussian|affine"):
        kernel_fn(X)


def test_dense_on_unflattened_input_says_flatten():
    _, _, kernel_fn = stax.serial(stax.Dense(4), stax.Relu())
    with pytest.raises(ValueError, match="Flatten"):
        kernel_fn(np.ones((3, 2, 2)))
    _, _, kernel_fn = stax.serial(stax.Flatten(), stax.Dense(4), stax.Relu())
    assert kernel_fn(np.ones((3, 2, 2)), get="nngp").shape == (3, 3)


def test_apply_checks_feature_size():
    init_fn, apply_fn, _ = MLP
    _, params = init_fn(jax.random.PRNGKey(0), (-1, 3))
    with pytest.raises(ValueError, match="inputs"):
        apply_fn(params, np.ones((2, 4)))


def test_init_checks_input_shape():
    init_fn, _, _ = MLP
    with pytest.raises(TypeError, match="input_shape"):
        init_fn(jax.random.PRNGKey(0), "3")
    with pytest.raises(ValueError, match="input_shape"):
        init_fn(jax.random.PRNGKey(0), (3,))
    with pytest.raises(ValueError, match="input_shape"):
        init_fn(jax.random.PRNGKey(0), (-1, 0))


def test_branch_shape_mismatch():
    _, _, kernel_fn = stax.serial(
        stax.FanOut(2), stax.parallel(stax.Dense(3), stax.Dense(4)), stax.FanInSum()
    )
    with pytest.raises(ValueError, match="same shape"):
        kernel_fn(X)
    with pytest.raises(ValueError, match="list of 2"):
        stax.parallel(stax.Dense(3), stax.Dense(4)).kernel_fn([MLP.kernel_fn(X)] * 3)
