"""The digits data set of the transfer demonstration (docs/theory/mup.md).

sklearn's ``load_digits`` (1797 8×8 images, shipped inside scikit-learn, no download):
features standardised per pixel (pixels that are constant get scale 1, so they stay 0), and
one-hot targets for the MSE loss ``½·mean_i ‖f(x_i) − y_i‖²``.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def load_digits_data(dtype: Any = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): standardised (1797, 64) features and (1797, 10) one-hot targets."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # pragma: no cover - scikit-learn is a declared dependency
        raise ImportError("the digits data set needs scikit-learn (`pip install scikit-learn`)") from err
    data = load_digits()
    x = np.asarray(data.data, np.float64)
    scale = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    y = np.eye(10)[np.asarray(data.target)]
    return x.astype(dtype), y.astype(dtype)


def mse_loss(outputs: jax.Array, targets: jax.Array) -> jax.Array:
    """½·mean over examples of the squared error summed over outputs."""
    return 0.5 * jnp.mean(jnp.sum((outputs - targets) ** 2, axis=-1))


def minibatch(key: jax.Array, step: jax.Array, n_examples: int, batch_size: int) -> jax.Array:
    """Indices of the ``step``-th minibatch: ``batch_size`` i.i.d. uniform draws from the
    examples (sampling with replacement, key ``fold_in(key, step)``).

    With replacement rather than epochs of permutations: a permutation is a sort of the whole
    data set, which `lax.scan` would redo at every step and which cost 4× the training step of
    a width-64 network; i.i.d. minibatches are the textbook SGD model and cost nothing.
    """
    return jax.random.randint(jax.random.fold_in(key, step), (batch_size,), 0, n_examples)
