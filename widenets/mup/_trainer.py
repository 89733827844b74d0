"""One training run as a pure function: the unit a learning-rate sweep vmaps.

A `Trainer` bundles what a sweep needs to know about one network at one width; `train`
runs it for a fixed number of optimizer steps with one learning rate and one key, inside
`jax.lax.scan`, so that it can be jitted once and vmapped over learning rates and seeds.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from .._validation import check_int, check_key, check_optional_float

Params = Any
Batch = Any

#: a run whose loss ever exceeds this multiple of its first loss counts as diverged (see `train`)
DIVERGENCE_FACTOR = 1e6


class Trainer(NamedTuple):
    """What a sweep needs to train one network of a given width.

    Every field is a pure, jittable function:

    - ``init(key) -> params``: the network's initial parameters;
    - ``loss(params, batch) -> scalar``: the training loss of one batch (non-negative, e.g. MSE);
    - ``optimizer(learning_rate) -> optax.GradientTransformation``: the optimizer at global
      learning rate η, which may be a traced scalar (per-parameter multipliers of a
      parametrization belong inside it);
    - ``batch(data_key, step) -> batch``: the batch of optimizer step ``step`` (an integer array);
    - ``evaluate(params) -> scalar``: the final metric of a run, e.g. the full training loss.

    A sweep is given ``make_trainer(width) -> Trainer``. It jits with the `Trainer` as a static
    argument, so a sweep handed the same `Trainer` again (plain functions compare by identity:
    cache ``make_trainer``, e.g. with `functools.cache`) reuses the compiled code; a `Trainer`
    with an unhashable field still works, compiled afresh each time.
    """

    init: Callable[[jax.Array], Params]
    loss: Callable[[Params, Batch], jax.Array]
    optimizer: Callable[[jax.Array], optax.GradientTransformation]
    batch: Callable[[jax.Array, jax.Array], Batch]
    evaluate: Callable[[Params], jax.Array]


def seed_key(seed: int) -> jax.Array:
    """The key of seed ``s``: ``jax.random.key(s)``; `train` splits it into (init key, data key)."""
    return jax.random.key(check_int("seed", seed, minimum=0))


def is_diverged(
    losses: jax.Array, metric: jax.Array, divergence_factor: float | None = DIVERGENCE_FACTOR
) -> jax.Array:
    """Whether a run diverged: a per-step loss or the final metric is non-finite, or

        max_t loss_t > divergence_factor · |loss_0|

    (the relative test is skipped when ``divergence_factor`` is None). Jittable.
    """
    bad = jnp.logical_not(jnp.all(jnp.isfinite(losses)) & jnp.isfinite(metric))
    if divergence_factor is not None:
        bad = bad | jnp.any(losses > divergence_factor * jnp.abs(losses[0]))
    return bad


def train(
    trainer: Trainer,
    learning_rate: Any,
    key: jax.Array,
    steps: int,
    *,
    divergence_factor: float | None = DIVERGENCE_FACTOR,
) -> tuple[jax.Array, jax.Array]:
    """Train one network for ``steps`` optimizer steps; pure, jittable and vmappable.

    With ``(k_init, k_data) = jax.random.split(key)``, θ_0 = ``trainer.init(k_init)`` and
    the optimizer ``trainer.optimizer(learning_rate)``, step t = 0, …, steps − 1 computes

        loss_t = trainer.loss(θ_t, trainer.batch(k_data, t)),   θ_{t+1} = θ_t + update(∇loss_t)

    in one `jax.lax.scan`. The run is *diverged* (see `is_diverged`) if some loss_t or the
    final metric is NaN/inf, or if max_t loss_t > ``divergence_factor`` · |loss_0| (default
    10⁶). Why 10⁶: a run that trains, or only stalls, stays within a small multiple of its
    first loss, and transient spikes (a catapult phase) reach 10–100×; a run past the
    stability edge grows geometrically, like |1 − ηλ|^{2t}, and passes 10⁶ (or overflows)
    within a few steps. ``None`` keeps only the non-finite test.

    Args:
      trainer: the network, loss, optimizer and data (see `Trainer`).
      learning_rate: the global learning rate η (a float or a traced scalar).
      key: a single `jax.random` key, e.g. ``seed_key(s)``.
      steps: the number of optimizer steps (static, ≥ 1).
      divergence_factor: the relative threshold above, or None.

    Returns:
      ``(metric, losses)``: ``trainer.evaluate`` of the final parameters, or +inf if the run
      diverged, and the ``(steps,)`` per-step batch losses (taken before each update).
    """
    steps = check_int("steps", steps, minimum=1)
    key = check_key("key", key)
    divergence_factor = check_optional_float("divergence_factor", divergence_factor, nonnegative=True)
    init_key, data_key = jax.random.split(key)
    params = trainer.init(init_key)
    # η takes the parameters' floating dtype (when they share one): a float64 η (x64 on) would
    # otherwise promote a float32 network's updates (an error under strict dtype promotion).
    floats = {leaf.dtype for leaf in jax.tree.leaves(params) if jnp.issubdtype(leaf.dtype, jnp.floating)}
    if len(floats) == 1:
        learning_rate = jnp.asarray(learning_rate, dtype=floats.pop())
    optimizer = trainer.optimizer(learning_rate)
    value_and_grad = jax.value_and_grad(trainer.loss)

    def step(carry: tuple[Params, Any], index: jax.Array) -> tuple[tuple[Params, Any], jax.Array]:
        params, state = carry
        loss, grads = value_and_grad(params, trainer.batch(data_key, index))
        updates, state = optimizer.update(grads, state, params)
        return (optax.apply_updates(params, updates), state), loss

    (params, _), losses = jax.lax.scan(step, (params, optimizer.init(params)), jnp.arange(steps))
    metric = trainer.evaluate(params)
    metric = jnp.where(is_diverged(losses, metric, divergence_factor), jnp.inf, metric)
    return metric, losses
