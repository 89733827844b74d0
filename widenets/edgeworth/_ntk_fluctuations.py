"""Fluctuations of the finite-width NTK Θ(x, x) over random initialisations.

For a scalar network f(x; θ) the NTK on the diagonal is Θ(x, x) = |∇_θ f(x; θ)|². At infinite
width it is deterministic (Jacot et al. 2018, arXiv:1806.07572); at finite width it
fluctuates, and for ReLU nets Hanin & Nica (2019, arXiv:1909.05989, Thm 1) show

    E[Θ²]/E[Θ]² ≈ exp(5 Σ_ℓ 1/n_ℓ)   (up to constants; grows with depth/width ratio),

so the relative variance Var Θ/E[Θ]² increases with L/n and stays O(1) only when L ≪ n.
(Measured, the slope of Var Θ/E[Θ]² in L/n drifts from ≈ 2.7 to ≈ 6 over the range of L/n,
so no constant is asserted here; see docs/theory/finite-width.md.)

Networks are built with `widenets.stax` in the NTK parameterisation,
``depth × (Dense(width, W_std=√C_W, b_std=√C_b), act) + Dense(1, W_std=√C_W, b_std=√C_b)``
(no bias parameters when C_b = 0), so E[Θ] at infinite width is ``kernel_fn(x, x, 'ntk')``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp

from .. import duals, stax
from .._validation import as_float_array, check_int, check_key
from ._estimators import Estimate, delta_method
from ._inputs import check_dual, check_variances
from ._sampling import check_chunk, default_chunk, map_networks

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class NTKFluctuations:
    """Ensemble statistics of Θ(x, x) = |∇_θ f(x)|².

    Attributes:
      mean: E[Θ(x, x)] (sample mean, SE = sd/√M).
      relative_variance: Var Θ / E[Θ]² = E[Θ²]/E[Θ]² − 1 (delta-method SE).
      samples: the M per-network values Θ_j, shape (M,).
    """

    mean: Estimate
    relative_variance: Estimate
    samples: Array | None = None


def ntk_network(dual: duals.Dual, depth: int, width: int, C_W: float, C_b: float):
    """The stax triple of ``depth × (Dense(width), act) + Dense(1)`` (NTK parameterisation)."""
    W_std = math.sqrt(C_W)
    b_std = math.sqrt(C_b) if C_b > 0 else None
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(width, W_std=W_std, b_std=b_std), stax.activation(dual)]
    layers.append(stax.Dense(1, W_std=W_std, b_std=b_std))
    return stax.serial(*layers)


def _ntk_samples(keys: Array, x: Array, init_fn, apply_fn, chunk: int) -> Array:
    def one(key):
        _, params = init_fn(key, (1, x.shape[0]))
        params = jax.tree_util.tree_map(lambda a: a.astype(x.dtype), params)
        grads = jax.grad(lambda th: apply_fn(th, x[None, :])[0, 0])(params)
        return sum(jnp.sum(g**2) for g in jax.tree_util.tree_leaves(grads))

    return jax.jit(lambda ks: map_networks(one, ks, chunk))(keys)


def ntk_fluctuations(
    key: Array,
    x: Any,
    depth: int,
    width: int,
    *,
    dual: duals.Dual | None = None,
    C_W: float = 2.0,
    C_b: float = 0.0,
    n_networks: int,
    chunk: int | None = None,
) -> NTKFluctuations:
    """Mean and relative variance of the empirical NTK Θ(x, x) of random finite MLPs.

    Θ_j(x, x) = |∇_θ f_j(x)|² for M independent networks f_j =
    ``depth × (Dense(width), σ) + Dense(1)`` (NTK parameterisation, W_std = √C_W,
    b_std = √C_b, real Gaussian weights via `widenets.stax` init). Reports
    E[Θ] (mean, SE sd/√M) and Var Θ/E[Θ]² with a delta-method SE on (Θ, Θ²) per network
    (Hanin & Nica 2019, arXiv:1909.05989).

    Args:
      key: a `jax.random` key; network j uses ``jax.random.split(key, n_networks)[j]``.
      x: one input, shape (d,).
      depth: number of hidden layers L ≥ 1.
      width: hidden width n ≥ 1.
      dual: the activation (default `duals.relu()`; ReLU is critical at C_W = 2, C_b = 0).
      C_W, C_b: weight and bias variances.
      n_networks: M ≥ 2.
      chunk: networks vmapped together; temporaries ≈ chunk × 3 × (number of parameters)
        elements. ``None``: auto (at most 2**25 elements; 2**20 on CPU).

    Returns:
      `NTKFluctuations`.
    """
    key = check_key("key", key)
    dual = duals.relu() if dual is None else check_dual(dual)
    x = as_float_array("x", x, min_ndim=1)
    if x.ndim != 1:
        raise ValueError(f"`x` must be a single input of shape (d,), got shape {x.shape}.")
    depth = check_int("depth", depth, minimum=1)
    width = check_int("width", width, minimum=1)
    C_W, C_b = check_variances(C_W, C_b)
    n_networks = check_int("n_networks", n_networks, minimum=2)
    chunk = check_chunk(chunk)
    d = x.shape[0]
    n_params = d * width + (depth - 1) * width * width + width + (depth + 1) * width
    if chunk is None:
        chunk = default_chunk(n_networks, 3 * n_params)
    init_fn, apply_fn, _ = ntk_network(dual, depth, width, C_W, C_b)
    keys = jax.random.split(key, n_networks)
    theta = _ntk_samples(keys, x, init_fn, apply_fn, chunk)
    moments = jnp.stack([theta, theta**2], axis=-1)  # (M, 2)
    mean = delta_method(lambda m: m[0], moments)
    rel = delta_method(lambda m: m[1] / m[0] ** 2 - 1, moments)
    return NTKFluctuations(mean=mean, relative_variance=rel, samples=theta)
