"""Per-parameter learning-rate multipliers as an optax transformation."""
from __future__ import annotations

from typing import Any

import jax
import optax


def scale_by_tree(multipliers: Any) -> optax.GradientTransformation:
    """Multiply each leaf of the updates by the matching leaf of ``multipliers``.

    Chained after ``optax.sgd(η)`` or ``optax.adam(η)`` it turns the global learning rate η
    into the per-parameter rates η·r^{−c} of an abc-parametrization; it is stateless, so it
    composes with any optax optimizer whose update is linear in the learning rate.
    """

    def init_fn(params: Any) -> optax.EmptyState:
        del params
        return optax.EmptyState()

    def update_fn(updates: Any, state: optax.EmptyState, params: Any = None) -> tuple[Any, optax.EmptyState]:
        del params
        scaled = jax.tree.map(lambda m, u: (m * u).astype(u.dtype), multipliers, updates)
        return scaled, state

    return optax.GradientTransformation(init_fn, update_fn)
