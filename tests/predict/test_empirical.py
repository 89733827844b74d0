"""`widenets.predict.empirical`: GD training of finite networks, checked against hand computations.

References, all written out here (none calls the code under test): one optax GD step of a
linear model f(x) = x·w + b written with NumPy; the exact function-space recursion of GD on a
linear model, f_{k+1} − y = (I − (η/|y|)Θ)(f_k − y) with Θ = XXᵀ + 1, which pins the loss
normalisation ½·mean((f − y)²) that makes the flow ḟ = −(η/|y|)Θ(f − y) of
`gradient_descent_mse`; and a Python loop over keys for the ensemble.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.predict.empirical import (
    mse_loss,
    ntk_relative_change,
    train_mse,
    train_mse_ensemble,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=(6, 2))
X_TEST = RNG.normal(size=(4, 3))


def linear_apply(params, x):
    w, b = params
    return x @ w + b


LINEAR_PARAMS = (RNG.normal(size=(3, 2)), RNG.normal(size=(1, 2)))


#: One small ReLU net shared by the tests, so that its jitted training functions compile once.
NET = stax.serial(stax.Dense(16, W_std=1.5, b_std=0.1), stax.Relu(), stax.Dense(2, b_std=0.1))


def small_net():
    return NET


def test_one_step_equals_hand_computed_gd():
    """∇_w ½·mean((Xw + b − Y)²) = Xᵀ(f − Y)/|Y|, ∇_b = Σ_i (f_i − Y_i)/|Y|; w₁ = w₀ − η∇_w."""
    lr = 0.3
    w, b = LINEAR_PARAMS
    r = X @ w + b - Y
    w1, b1 = w - lr * X.T @ r / Y.size, b - lr * r.sum(axis=0, keepdims=True) / Y.size
    traj = train_mse(linear_apply, LINEAR_PARAMS, X, Y, steps=[0, 1], learning_rate=lr, x_test=X_TEST)
    np.testing.assert_allclose(traj.params[0], w1, rtol=1e-13)
    np.testing.assert_allclose(traj.params[1], b1, rtol=1e-13)
    np.testing.assert_allclose(traj.fx_train[0], X @ w + b, rtol=1e-13)
    np.testing.assert_allclose(traj.fx_train[1], X @ w1 + b1, rtol=1e-13)
    np.testing.assert_allclose(traj.fx_test[1], X_TEST @ w1 + b1, rtol=1e-13)


def test_linear_model_follows_function_space_recursion():
    """For a linear model the NTK Θ = XXᵀ + 1 is constant and GD is exactly
    f_k − y = (I − ηΘ/|y|)^k (f_0 − y) on every output channel: the factor η/|y| of the flow."""
    lr, steps = 0.2, [0, 1, 5, 17, 40]
    theta = X @ X.T + 1.0
    f0 = linear_apply(LINEAR_PARAMS, X)
    step = np.eye(len(X)) - lr * theta / Y.size
    expected = np.stack([Y + np.linalg.matrix_power(step, k) @ (f0 - Y) for k in steps])
    traj = train_mse(linear_apply, LINEAR_PARAMS, X, Y, steps=steps, learning_rate=lr)
    np.testing.assert_allclose(traj.fx_train, expected, rtol=1e-11, atol=1e-12)
    np.testing.assert_array_equal(traj.steps, steps)


def test_loss_is_half_mean_squared_error():
    fx, y = jnp.asarray(X[:, :2]), jnp.asarray(Y)
    np.testing.assert_allclose(mse_loss(fx, y), 0.5 * np.mean((X[:, :2] - Y) ** 2), rtol=1e-14)


def test_repeated_and_zero_steps():
    """Step 0 logs the initial outputs exactly; a repeated step logs the same outputs twice."""
    init_fn, apply_fn, _ = small_net()
    _, params = init_fn(jax.random.PRNGKey(1), X.shape)
    traj = train_mse(apply_fn, params, X, Y, steps=[0, 3, 3, 7], learning_rate=0.5)
    np.testing.assert_allclose(traj.fx_train[0], apply_fn(params, X), rtol=1e-14)  # jit vs eager
    np.testing.assert_array_equal(traj.fx_train[1], traj.fx_train[2])
    np.testing.assert_allclose(traj.fx_train[3], apply_fn(traj.params, X), rtol=1e-12)
    again = train_mse(apply_fn, params, X, Y, steps=[7], learning_rate=0.5)
    np.testing.assert_allclose(again.fx_train[0], traj.fx_train[3], rtol=1e-12)


@pytest.mark.parametrize("n_nets, per_batch", [(5, 2)])  # batches of 2, 2 and a remainder of 1
def test_ensemble_equals_loop_over_keys(n_nets, per_batch):
    """Network m of the ensemble is `train_mse` from init_fn(split(key, M)[m]), whatever the batching."""
    init_fn, apply_fn, _ = small_net()
    key, steps = jax.random.PRNGKey(3), [0, 2, 9]
    ens = train_mse_ensemble(init_fn, apply_fn, key, n_nets, X, Y, steps, 0.4, X_TEST, nets_per_batch=per_batch)
    assert ens.fx_train.shape == (n_nets, 3, 6, 2) and ens.fx_test.shape == (n_nets, 3, 4, 2)
    assert ens.params is None
    for m, k in enumerate(jax.random.split(key, n_nets)):
        one = train_mse(apply_fn, init_fn(k, X.shape)[1], X, Y, steps, 0.4, X_TEST)
        np.testing.assert_allclose(ens.fx_train[m], one.fx_train, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ens.fx_test[m], one.fx_test, rtol=1e-10, atol=1e-12)


def test_networks_run_in_the_dtype_of_x_train():
    """float32 inputs give float32 networks even though init_fn draws float64 parameters (x64 on)."""
    init_fn, apply_fn, _ = small_net()
    _, params = init_fn(jax.random.PRNGKey(0), X.shape)
    traj = train_mse(apply_fn, params, X.astype(np.float32), Y, [0, 2], 0.1, X_TEST)
    assert traj.fx_train.dtype == traj.fx_test.dtype == jnp.float32
    assert all(p.dtype == jnp.float32 for p in jax.tree_util.tree_leaves(traj.params))
    ens = train_mse_ensemble(init_fn, apply_fn, jax.random.PRNGKey(0), 2, X.astype(np.float32), Y, [1], 0.1)
    assert ens.fx_train.dtype == jnp.float32 and ens.fx_test is None


def test_ntk_relative_change():
    """Zero without training; zero after training a linear model (its NTK does not depend on the
    parameters); positive and finite for a trained ReLU net."""
    assert float(ntk_relative_change(linear_apply, LINEAR_PARAMS, LINEAR_PARAMS, X)) == 0.0
    trained = train_mse(linear_apply, LINEAR_PARAMS, X, Y, [50], 0.2).params
    assert float(ntk_relative_change(linear_apply, LINEAR_PARAMS, trained, X)) < 1e-14
    init_fn, apply_fn, _ = small_net()
    _, params = init_fn(jax.random.PRNGKey(0), X.shape)
    trained = train_mse(apply_fn, params, X, Y, [50], 0.5).params
    change = float(ntk_relative_change(apply_fn, params, trained, X, implementation="ntk_vector_products"))
    assert 0.0 < change < 10.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(steps=[-1, 3]), r"`steps` must be >= 0"),
        (dict(steps=[5, 3]), r"`steps` must be non-decreasing"),
        (dict(steps=[0.5]), r"`steps` must be a non-empty 1-d sequence of integers"),
        (dict(steps=[]), r"`steps` must be a non-empty"),
        (dict(learning_rate=0.0), r"`learning_rate` must be > 0"),
        (dict(learning_rate=-1.0), r"`learning_rate` must be > 0"),
        (dict(y_train=Y[:5]), r"`y_train` must have one row per training input"),
        (dict(y_train=Y[:, :1]), r"`y_train` must have the shape of apply_fn\(params, x_train\)"),
        (dict(x_test=X_TEST[:, :2]), r"`x_test` must have the feature shape of `x_train`"),
        (dict(x_train=X[0]), r"`x_train` must have at least 2 dimensions"),
    ],
)
def test_bad_input_raises_naming_the_argument(kwargs, match):
    args = dict(x_train=X, y_train=Y, steps=[0, 1], learning_rate=0.1, x_test=X_TEST) | kwargs
    with pytest.raises(ValueError, match=match):
        train_mse(linear_apply, LINEAR_PARAMS, **args)
    init_fn, apply_fn, _ = small_net()
    with pytest.raises(ValueError, match=match):
        train_mse_ensemble(init_fn, apply_fn, jax.random.PRNGKey(0), 2, **args)


@pytest.mark.parametrize("kwargs, match", [(dict(n_nets=0), "`n_nets` must be >= 1"),
                                           (dict(nets_per_batch=0), "`nets_per_batch` must be >= 1")])
def test_bad_ensemble_sizes(kwargs, match):
    init_fn, apply_fn, _ = small_net()
    args = dict(n_nets=2, x_train=X, y_train=Y, steps=[1]) | kwargs
    with pytest.raises(ValueError, match=match):
        train_mse_ensemble(init_fn, apply_fn, jax.random.PRNGKey(0), **args)


@pytest.mark.parametrize("key", [0, np.zeros(3, np.uint32), jax.random.split(jax.random.key(0), 2)],
                         ids=["int", "wrong-shape-uint32", "batch-of-keys"])
def test_bad_ensemble_key(key):
    init_fn, apply_fn, _ = small_net()
    with pytest.raises((TypeError, ValueError), match="`key`"):
        train_mse_ensemble(init_fn, apply_fn, key, 2, X, Y, [1])
