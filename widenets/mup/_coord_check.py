"""Coordinate checks (Yang et al. 2022, Tensor Programs V, arXiv:2203.03466, §D.1).

Train networks of several widths for a few steps on one fixed batch and record, after each
step, the typical size of every layer's output coordinates, mean |h|. In a parametrization
with a well-defined feature-learning limit (μP) these sizes stay O(1) as the width grows; in
SP with a width-independent learning rate the updates grow with the width, so the sizes blow
up (the log-log slope in the width is ≈ 1 for hidden layers). The slope per layer and step is
the least-squares slope of log mean|h| on log n, averaged over seeds (each seed gives one
curve; its spread over seeds is the standard error).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from widenets._validation import check_float, check_int

from ._digits import mse_loss
from ._network import ParametrizedNetwork


@dataclasses.dataclass(frozen=True)
class CoordCheck:
    """Mean |h| per layer of networks of several widths over the first training steps.

    Attributes:
      widths: (W,) widths; steps: (T+1,) = 0..T (0 is the initialisation).
      layers: layer names, as returned by the network's ``activations``.
      sizes: (W, S, T+1, n_layers) mean |h| for each width, seed, step and layer.
    """

    widths: np.ndarray
    steps: np.ndarray
    layers: tuple[str, ...]
    sizes: np.ndarray

    def slope(self, layer: str, step: int) -> tuple[float, float]:
        """(mean over seeds of the log-log slope of mean|h| on the width, its standard error)."""
        if layer not in self.layers:
            raise ValueError(f"`layer` must be one of {self.layers}, got {layer!r}.")
        step = check_int("step", step, minimum=0)
        if step > self.steps[-1]:
            raise ValueError(f"`step` must be <= {int(self.steps[-1])}, got {step}.")
        logs = np.log(self.sizes[:, :, step, self.layers.index(layer)])  # (W, S)
        per_seed = np.polyfit(np.log(self.widths), logs, 1)[0]
        se = per_seed.std(ddof=1) / np.sqrt(per_seed.size) if per_seed.size > 1 else np.nan
        return float(per_seed.mean()), float(se)

    def slopes(self, step: int) -> dict[str, tuple[float, float]]:
        return {layer: self.slope(layer, step) for layer in self.layers}

    def plot(self, axes: Sequence[Any] | None = None, title: str = "") -> Any:
        """One panel per step: mean |h| (seed mean) against width, one line per layer."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, len(self.steps), figsize=(3 * len(self.steps), 2.8), sharey=True)
        for ax, step in zip(np.atleast_1d(axes), self.steps):
            for j, layer in enumerate(self.layers):
                slope, _ = self.slope(layer, int(step))
                ax.loglog(self.widths, self.sizes[:, :, step, j].mean(axis=1), "o-", label=f"{layer} ({slope:+.2f})")
            ax.set_title(f"{title} step {int(step)}".strip())
            ax.set_xlabel("width")
        np.atleast_1d(axes)[0].set_ylabel("mean |h|")
        np.atleast_1d(axes)[-1].legend(fontsize=7)
        return np.atleast_1d(axes)[0].figure


def _sizes_one_width(network: ParametrizedNetwork, x: jax.Array, y: jax.Array, learning_rate: float,
                     steps: int, seeds: Sequence[int], optimizer: str) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(network.activations(network.init(jax.random.key(0), x.dtype), x))
    opt = network.optimizer(learning_rate, optimizer)

    def sizes(w):
        acts = network.activations(w, x)
        return jnp.stack([jnp.mean(jnp.abs(acts[name])) for name in names])

    def loss(w):
        return mse_loss(network.apply(w, x), y)

    def run(key):
        w = network.init(key, x.dtype)

        def step(carry, _):
            w, state = carry
            updates, state = opt.update(jax.grad(loss)(w), state, w)
            w = jax.tree.map(lambda p, u: p + u, w, updates)
            return (w, state), sizes(w)

        _, later = jax.lax.scan(step, (w, opt.init(w)), None, length=steps)
        return jnp.concatenate([sizes(w)[None], later])

    keys = jnp.stack([jax.random.key_data(jax.random.key(s)) for s in seeds])
    out = jax.jit(jax.vmap(lambda k: run(jax.random.wrap_key_data(k))))(keys)
    return names, np.asarray(out)


def coord_check(
    make_network: Callable[[int], ParametrizedNetwork],
    widths: Sequence[int],
    x: Any,
    y: Any,
    learning_rate: float,
    steps: int = 3,
    seeds: Sequence[int] = (0, 1, 2),
    optimizer: str = "sgd",
) -> CoordCheck:
    """Mean |h| per layer over ``steps`` training steps on the batch (x, y), for each width.

    Args:
      make_network: width ↦ `ParametrizedNetwork` (e.g. ``lambda n: mlp(64, n, 10, 'mup', 64)``).
      widths: at least two distinct widths.
      x, y: the batch (inputs, targets); the loss is ½·mean_i ‖f(x_i) − y_i‖².
      learning_rate: the global η of ``optimizer`` ('sgd' or 'adam').
      steps: number of optimizer steps (sizes are recorded after each, and at init).
      seeds: integer seeds of the initialisations (vmapped).
    """
    widths = np.asarray([check_int("widths", w, minimum=1) for w in widths])
    if len(np.unique(widths)) < 2:
        raise ValueError(f"`widths` must hold at least two distinct widths, got {widths.tolist()}.")
    seeds = [check_int("seeds", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("`seeds` must not be empty.")
    learning_rate = check_float("learning_rate", learning_rate, positive=True)
    steps = check_int("steps", steps, minimum=1)
    x, y = jnp.asarray(x), jnp.asarray(y)
    results = [_sizes_one_width(make_network(int(n)), x, y, learning_rate, steps, seeds, optimizer) for n in widths]
    layers = results[0][0]
    return CoordCheck(widths, np.arange(steps + 1), layers, np.stack([r[1] for r in results]))
