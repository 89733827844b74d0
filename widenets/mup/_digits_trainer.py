"""The transfer demonstration's `Trainer`: a digits MLP at one width (docs/theory/mup.md)."""
from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from widenets._validation import check_choice, check_int

from ._digits import load_digits_data, minibatch, mse_loss
from ._network import mlp
from ._trainer import Trainer


def digits_trainer(
    width: int,
    parametrization: Any,
    base_width: int = 64,
    batch_size: int = 128,
    hidden_layers: int = 2,
    optimizer: str = "sgd",
    dtype: Any = np.float32,
) -> Trainer:
    """MLP 64 → width (×hidden_layers) → 10, ReLU, on standardised digits with one-hot targets.

    Loss ½·mean_i ‖f(x_i) − y_i‖² on i.i.d. minibatches of ``batch_size`` (drawn with
    replacement, see `_digits.minibatch`); the final metric is the same loss on all 1797
    training examples (TP V measures learning-rate transfer on the training loss). Biases start
    at zero. ``parametrization``: a `Parametrization` or 'sp', 'ntp', 'mup', 'mf'.
    """
    width = check_int("width", width, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    optimizer = check_choice("optimizer", optimizer, ("sgd", "adam"))
    x_np, y_np = load_digits_data(dtype)
    if batch_size > len(x_np):
        raise ValueError(f"`batch_size` must be <= {len(x_np)} (the data set size), got {batch_size}.")
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    net = mlp(x.shape[1], width, y.shape[1], parametrization, base_width, hidden_layers=hidden_layers)

    def loss(w, batch):
        xb, yb = batch
        return mse_loss(net.apply(w, xb), yb)

    def batch(key, step):
        idx = minibatch(key, step, x.shape[0], batch_size)
        return x[idx], y[idx]

    return Trainer(
        init=lambda key: net.init(key, x.dtype),
        loss=loss,
        optimizer=lambda lr: net.optimizer(lr, optimizer),
        batch=batch,
        evaluate=lambda w: loss(w, (x, y)),
    )
