"""The empirical side of `widenets.predict`: finite networks trained by gradient descent on MSE.

Loss, neural-tangents' convention (docs/theory/prediction.md; the ``loss`` of NT 0.6.5's
``predict.gradient_descent`` docstring example)::

    L(θ) = ½·mean((f(θ, x_train) − y)²) = (1 / (2|y|)) Σ_{i,c} (f_c(θ, x_i) − y_ic)²,

with |y| = ``y_train.size``. Gradient flow θ̇ = −η ∇L and J = ∂f(x_train)/∂θ give

    ḟ_train = −(η/|y|) Θ̂_t (f_train − y),   ḟ_test = −(η/|y|) Θ̂_t(x_test, x_train) (f_train − y),

Θ̂_t = J Jᵀ the empirical NTK (Jacot et al. 2018, arXiv:1806.07572). With Θ̂_t frozen at Θ this
is exactly the ODE that ``gradient_descent_mse(k_train_train, y_train, learning_rate=η)``
solves in closed form, ``f_train(t) = y + exp(−η t Θ / |y|)(f_0 − y)`` with ``t`` counted in
steps; wide networks follow it up to O(n^{−1/2}) (Lee et al. 2019, arXiv:1902.06720). For one
output channel Θ̂ is `widenets.kernels.empirical_ntk_fn`'s traced NTK; for k channels that
one is the channel mean and JJᵀ ≈ Θ̂ ⊗ I only at large width.

Training here is discrete full-batch GD, ``θ_{k+1} = θ_k − η ∇L(θ_k)`` (``optax.sgd(η)``). On
a linear model, an eigenmode of Θ with a = ηλ/|y| decays as (1 − a)^k instead of the flow's
e^{−ak}; the two differ by at most ≈ a/(2e) (at k ≈ 1/a), so compare with the flow at a small
step, and GD is stable only for η < η_max = 2|y|/λ_max(Θ). Both converge to the same limit.

* `train_mse`: one network from given parameters; outputs at the logged steps and the final
  parameters.
* `train_mse_ensemble`: networks drawn from ``init_fn`` with independent keys, `jax.vmap`-ed
  over ``nets_per_batch`` networks at a time (memory: that many copies of the parameters).
* `ntk_relative_change`: ‖Θ̂_T − Θ̂_0‖_F / ‖Θ̂_0‖_F, the laziness of training.

The whole trajectory is one `jax.jit`-ed computation: `jax.lax.scan` over the logged steps,
each carrying out the steps since the previous log with `jax.lax.fori_loop`, so the number of
steps never triggers a recompilation. Networks run in the dtype of ``x_train``: parameters and
targets are cast to it (float32 networks under x64 are then really float32).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._validation import as_float_array, check_float, check_int, check_key
from ..kernels import empirical_ntk_fn

__all__ = ["Trajectory", "mse_loss", "ntk_relative_change", "train_mse", "train_mse_ensemble"]

Array = jax.Array
ApplyFn = Callable[..., Array]


class Trajectory(NamedTuple):
    """Outputs of trained networks at the logged steps.

    Attributes:
      steps: (T,) the logged GD steps (as given, non-decreasing).
      fx_train: (T, N, *out) outputs on ``x_train`` after each logged step; `train_mse_ensemble`
        prepends the network axis, (M, T, N, *out).
      fx_test: as ``fx_train`` on ``x_test``, or ``None`` without ``x_test``.
      params: the parameters after the last logged step (`train_mse`), ``None`` for ensembles.
    """

    steps: np.ndarray
    fx_train: Array
    fx_test: Array | None
    params: Any


def mse_loss(fx: Array, y: Array) -> Array:
    """NT's MSE, ½·mean((fx − y)²): the loss whose gradient flow is ḟ = −(η/y.size) Θ (f − y)."""
    return 0.5 * jnp.mean((fx - y.astype(fx.dtype)) ** 2)


def _check_steps(steps: Any) -> tuple[np.ndarray, np.ndarray]:
    """Logged steps: a non-empty, non-decreasing sequence of ints >= 0; also the gaps between them."""
    arr = np.atleast_1d(np.asarray(steps))
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"`steps` must be a non-empty 1-d sequence of integers, got {steps!r}.")
    if np.any(arr < 0):
        raise ValueError(f"`steps` must be >= 0 (GD steps to log), got {arr.tolist()}.")
    if np.any(np.diff(arr) < 0):
        raise ValueError(f"`steps` must be non-decreasing, got {arr.tolist()}.")
    return arr, np.diff(arr, prepend=0).astype(np.int32)


def _check_data(x_train: Any, y_train: Any, x_test: Any) -> tuple[Array, Array, Array | None]:
    x_train = as_float_array("x_train", x_train, min_ndim=2)
    y_train = as_float_array("y_train", y_train, min_ndim=1).astype(x_train.dtype)
    if y_train.shape[0] != x_train.shape[0]:
        raise ValueError(
            f"`y_train` must have one row per training input: x_train has {x_train.shape[0]} "
            f"rows ({x_train.shape}), y_train {y_train.shape[0]} ({y_train.shape})."
        )
    if x_test is not None:
        x_test = as_float_array("x_test", x_test, min_ndim=2).astype(x_train.dtype)
        if x_test.shape[1:] != x_train.shape[1:]:
            raise ValueError(
                f"`x_test` must have the feature shape of `x_train`: got x_test {x_test.shape} "
                f"and x_train {x_train.shape}."
            )
    return x_train, y_train, x_test


def _check_output(out_fn: Callable[[], Array], y_train: Array) -> None:
    """``out_fn()`` computes apply_fn(params, x_train); only its shape is evaluated."""
    out = jax.eval_shape(out_fn)
    if out.shape != y_train.shape:
        raise ValueError(
            f"`y_train` must have the shape of apply_fn(params, x_train), {out.shape}; got "
            f"{y_train.shape}."
        )


def _cast(params: Any, dtype: Any) -> Any:
    return jax.tree.map(lambda p: jnp.asarray(p).astype(dtype), params)


def _trajectory(apply_fn, params, learning_rate, x_train, y_train, x_test, gaps):
    """GD from ``params``: outputs after each gap of steps, and the final parameters."""
    optimizer = optax.sgd(learning_rate)
    grad = jax.grad(lambda p: mse_loss(apply_fn(p, x_train), y_train))

    def step(_, carry):
        p, state = carry
        updates, state = optimizer.update(grad(p), state, p)
        return optax.apply_updates(p, updates), state

    def segment(carry, n_steps):
        carry = jax.lax.fori_loop(0, n_steps, step, carry)
        p = carry[0]
        return carry, (apply_fn(p, x_train), None if x_test is None else apply_fn(p, x_test))

    (params, _), (fx_train, fx_test) = jax.lax.scan(segment, (params, optimizer.init(params)), gaps)
    return params, fx_train, fx_test


_train = jax.jit(_trajectory, static_argnames="apply_fn")


def train_mse(
    apply_fn: ApplyFn,
    params: Any,
    x_train: Any,
    y_train: Any,
    steps: Sequence[int],
    learning_rate: float = 1.0,
    x_test: Any = None,
) -> Trajectory:
    """Full-batch GD (``optax.sgd``) on ``mse_loss`` from ``params``, logging outputs.

    Args:
      apply_fn: ``apply_fn(params, x) -> outputs`` with a leading batch axis.
      params: initial parameters (cast to ``x_train``'s dtype).
      x_train: (N, *features) training inputs; y_train: targets, shape of apply_fn(params, x_train).
      steps: GD steps after which to log outputs, non-decreasing ints >= 0 (0: at init).
      learning_rate: η > 0; step k is the flow at time η·k of the module docstring.
      x_test: optional (M, *features) inputs also logged.

    Returns:
      A `Trajectory` with (T, N, *out) outputs and the parameters after ``steps[-1]`` steps.

    Example:
      >>> traj = train_mse(apply_fn, params, x, y, steps=[0, 10, 100], learning_rate=0.5)
      >>> traj.fx_train.shape   # (3, N, 1)
    """
    steps, gaps = _check_steps(steps)
    learning_rate = check_float("learning_rate", learning_rate, positive=True)
    x_train, y_train, x_test = _check_data(x_train, y_train, x_test)
    params = _cast(params, x_train.dtype)
    _check_output(lambda: apply_fn(params, x_train), y_train)
    lr = jnp.asarray(learning_rate, x_train.dtype)
    params, fx_train, fx_test = _train(apply_fn, params, lr, x_train, y_train, x_test, jnp.asarray(gaps))
    return Trajectory(steps, fx_train, fx_test, params)


def _ensemble(init_fn, apply_fn, nets_per_batch, keys, learning_rate, x_train, y_train, x_test, gaps):
    def one(key):
        _, params = init_fn(key, x_train.shape)
        params = _cast(params, x_train.dtype)
        return _trajectory(apply_fn, params, learning_rate, x_train, y_train, x_test, gaps)[1:]

    return jax.lax.map(one, keys, batch_size=nets_per_batch)


_train_ensemble = jax.jit(_ensemble, static_argnames=("init_fn", "apply_fn", "nets_per_batch"))


def train_mse_ensemble(
    init_fn: Callable[..., Any],
    apply_fn: ApplyFn,
    key: Array,
    n_nets: int,
    x_train: Any,
    y_train: Any,
    steps: Sequence[int],
    learning_rate: float = 1.0,
    x_test: Any = None,
    nets_per_batch: int = 8,
) -> Trajectory:
    """`train_mse` for ``n_nets`` networks initialised by ``init_fn`` with ``split(key, n_nets)``.

    Network m is exactly ``train_mse(apply_fn, init_fn(keys[m], x_train.shape)[1], ...)``; the
    ensemble runs ``nets_per_batch`` networks at a time under `jax.vmap` (`jax.lax.map` with
    ``batch_size``), which bounds the memory at that many parameter copies and gradients.

    Args:
      init_fn: ``init_fn(key, input_shape) -> (output_shape, params)``.
      key: a `jax.random` key; n_nets: number of networks M >= 1; nets_per_batch: >= 1.
      Other arguments: as `train_mse`.

    Returns:
      A `Trajectory` with (M, T, N, *out) outputs and ``params=None``.
    """
    steps, gaps = _check_steps(steps)
    learning_rate = check_float("learning_rate", learning_rate, positive=True)
    n_nets = check_int("n_nets", n_nets, minimum=1)
    nets_per_batch = check_int("nets_per_batch", nets_per_batch, minimum=1)
    key = check_key("key", key)
    x_train, y_train, x_test = _check_data(x_train, y_train, x_test)
    _check_output(lambda: apply_fn(_cast(init_fn(key, x_train.shape)[1], x_train.dtype), x_train), y_train)
    keys = jax.random.split(key, n_nets)
    lr = jnp.asarray(learning_rate, x_train.dtype)
    fx_train, fx_test = _train_ensemble(init_fn, apply_fn, min(nets_per_batch, n_nets), keys, lr,
                                        x_train, y_train, x_test, jnp.asarray(gaps))
    return Trajectory(steps, fx_train, fx_test, None)


def ntk_relative_change(
    apply_fn: ApplyFn,
    params_0: Any,
    params_t: Any,
    x: Any,
    implementation: str = "jacobian_contraction",
) -> Array:
    """‖Θ̂_t − Θ̂_0‖_F / ‖Θ̂_0‖_F of the empirical NTKs on ``x`` (N, *features).

    Under the NTK parameterisation it vanishes as the width n grows (lazy training; Jacot et
    al. 2018; Lee et al. 2019 bound it by O(n^{−1/2})): as n^{−1/2} for ReLU (kinks), as n^{−1}
    for smooth activations (Dyer & Gur-Ari 2019, arXiv:1909.11304). Θ̂ is `empirical_ntk_fn`
    with ``vmap_axes=0`` and the given ``implementation`` (``'ntk_vector_products'`` for wide
    networks: no Jacobian–Jacobian product), evaluated in ``x``'s dtype.
    """
    x = as_float_array("x", x, min_ndim=2)
    ntk_fn = jax.jit(empirical_ntk_fn(apply_fn, vmap_axes=0, implementation=implementation))
    theta_0 = ntk_fn(x, None, _cast(params_0, x.dtype))
    theta_t = ntk_fn(x, None, _cast(params_t, x.dtype))
    if theta_0.shape != theta_t.shape:
        raise ValueError(f"`params_0` and `params_t` give NTKs of shapes {theta_0.shape} and {theta_t.shape}.")
    return jnp.linalg.norm((theta_t - theta_0).ravel()) / jnp.linalg.norm(theta_0.ravel())
