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
        (lambda: kernel(X, diagonal_batch=1), TypeError, "diagonal_batch"),
        (lambda: kernel(X, diagonal_spatial="yes"), TypeError, "diagonal_spatial"),
        (lambda: kernel(X, mask_constant=0.0), NotImplementedError, "mask_constant"),
        (lambda: kernel(X, pattern=None), TypeError, "pattern"),
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


def test_activation_after_flattening_spatial_activations_asks_for_dense():
    # flattened positions are not exchangeable channels: only an affine layer may follow
    _, _, kernel_fn = stax.serial(stax.Conv(4, (2,)), stax.Flatten(), stax.Relu())
    with pytest.raises(ValueError, match="Gaussian|affine"):
        kernel_fn(np.ones((3, 5, 2)))
    _, _, kernel_fn = stax.serial(stax.Conv(4, (2,)), stax.Flatten(), stax.Dense(4), stax.Relu())
    assert kernel_fn(np.ones((3, 5, 2)), get="nngp").shape == (3, 3)


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


# ---- convolutions and pooling --------------------------------------------------------------
IMAGES = np.random.default_rng(1).normal(size=(3, 4, 5, 2))  # NHWC


@pytest.mark.parametrize(
    "call, error, names",
    [
        (lambda: stax.Conv(4, (3, 3), strides=(0, 1)), ValueError, "strides"),
        (lambda: stax.Conv(4, (3, 3), strides=(-1, 1)), ValueError, "strides"),
        (lambda: stax.Conv(4, (3, 3), strides=(1,)), ValueError, "strides"),
        (lambda: stax.Conv(4, (3, 0)), ValueError, "filter_shape"),
        (lambda: stax.Conv(4, 3), TypeError, "filter_shape"),
        (lambda: stax.Conv(4, (3, 3), padding="REFLECT"), ValueError, "padding"),
        (lambda: stax.Conv(4, (3, 3), padding=1), TypeError, "padding"),
        (lambda: stax.Conv(0, (3, 3)), ValueError, "out_chan"),
        (lambda: stax.Conv(4, (3, 3), dimension_numbers=("NHWC", "HWIO")), TypeError, "dimension_numbers"),
        (lambda: stax.Conv(4, (3, 3), dimension_numbers=("NHWC", "HWXO", "NHWC")), ValueError,
         "dimension_numbers"),
        (lambda: stax.Conv(4, (3, 3), W_std=-1.0), ValueError, "W_std"),
        (lambda: stax.ConvTranspose(4, (3, 3), padding="same!"), ValueError, "padding"),
        (lambda: stax.AvgPool((2, 0)), ValueError, "window_shape"),
        (lambda: stax.AvgPool((2, 2), strides=(1,)), ValueError, "strides"),
        (lambda: stax.SumPool((2, 2), padding="FULL"), ValueError, "padding"),
        (lambda: stax.AvgPool((2, 2), normalize_edges=1), TypeError, "normalize_edges"),
        (lambda: stax.GlobalAvgPool(batch_axis=0, channel_axis=0), ValueError, "channel_axis"),
    ],
)
def test_bad_spatial_argument_is_named(call, error, names):
    with pytest.raises(error, match=names):
        call()


@pytest.mark.parametrize(
    "layers, names",
    [
        ((stax.Conv(4, (5, 3)),), "filter_shape"),  # VALID filter taller than the 4-row input
        ((stax.ConvLocal(4, (2, 6)),), "filter_shape"),
        ((stax.Conv(4, (3,)),), "axes"),  # 1-D filter on 2-D images: wrong ndim
        ((stax.Conv(4, (3, 3, 3)),), "axes"),
        ((stax.Conv(4, (2, 2)), stax.Relu(), stax.AvgPool((5, 2))), "window_shape"),
        ((stax.Conv(4, (2, 2)), stax.Relu(), stax.AvgPool((2,))), "window_shape"),
        ((stax.Conv(4, (2, 2)), stax.Flatten(), stax.Dense(2), stax.Conv(4, (2, 2))), "axes"),
    ],
)
def test_bad_spatial_network_is_named(layers, names):
    init_fn, _, kernel_fn = stax.serial(*layers)
    with pytest.raises(ValueError, match=names):
        kernel_fn(IMAGES)
    with pytest.raises(ValueError, match=names):
        init_fn(jax.random.PRNGKey(0), IMAGES.shape)


def test_layout_mismatch_between_layers_is_named():
    # the finite network cannot tell (axis 1 of NHWC activations looks like channels), the
    # kernel can: it tracks where the channel axis is
    _, _, kernel_fn = stax.serial(
        stax.Conv(4, (2, 2)), stax.Conv(4, (1, 1), dimension_numbers=("NCHW", "OIHW", "NCHW")))
    with pytest.raises(ValueError, match="laid out as 'NCHW'"):
        kernel_fn(IMAGES)


def test_conv_apply_checks_channels_against_params():
    init_fn, apply_fn, _ = stax.Conv(4, (2, 2))
    _, params = init_fn(jax.random.PRNGKey(0), IMAGES.shape)
    with pytest.raises(ValueError, match="channels"):
        apply_fn(params, np.ones((3, 4, 5, 3)))
    with pytest.raises(ValueError, match="axes"):
        apply_fn(params, np.ones((3, 4, 2)))
