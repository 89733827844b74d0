"""Largest stable learning rate of (momentum) gradient descent on the linearised MSE dynamics."""
from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .._validation import check_float, check_int
from ._inputs import as_kernel
from ._layout import kernel_to_2d
from ._solve import check_symmetric, concrete


def max_learning_rate(
    ntk_train_train: Any,
    y_train_size: int | None = None,
    momentum: float = 0.0,
    eps: float = 1e-12,
) -> Any:
    r"""Largest learning rate for which full-batch GD on MSE is stable in the infinite-width limit.

    For the loss ½‖f − y‖²/|y| (|y| = ``y_train_size``), one GD step on the linearised model
    multiplies the residual by I − (η/|y|) Θ, a contraction iff η < 2|y|/λ_max(Θ). With heavy-ball
    momentum β the iteration is stable iff η λ/|y| < 2(1 + β) for every eigenvalue λ
    (Goh 2017, "Why Momentum Really Works", Distill), hence

        η_max = 2 (1 + β) |y| / (λ_max(Θ) + eps).

    Args:
      ntk_train_train: NTK on the training data, (N, N) or NT's zipped (N, N, X, X, ...) layout;
        symmetric (rounding-level asymmetry is averaged away).
      y_train_size: |y| = ``y_train.size``; None uses the number of rows of the 2-D kernel
        (NT's default, which assumes ``trace_axes=()``).
      momentum: β ≥ 0.
      eps: ≥ 0, added to λ_max to avoid dividing by zero.

    Returns:
      η_max, a Python float (a 0-d array under ``jax.jit``).
    """
    k = as_kernel("ntk_train_train", ntk_train_train)
    if k.ndim % 2 or k.shape[0::2] != k.shape[1::2]:
        raise ValueError(f"`ntk_train_train` must be square (x1 axes equal to x2 axes), got shape {k.shape}.")
    k = kernel_to_2d(k)
    check_symmetric("ntk_train_train", k)
    size = k.shape[0] if y_train_size is None else check_int("y_train_size", y_train_size, minimum=1)
    momentum = check_float("momentum", momentum, nonnegative=True)
    eps = check_float("eps", eps, nonnegative=True)
    top = jnp.linalg.eigvalsh((k + k.T) / 2)[-1]
    top_np = concrete(top)
    if top_np is not None:
        if top_np + eps <= 0:
            raise ValueError(
                f"`ntk_train_train` has no positive eigenvalue (λ_max = {float(top_np):.3g}) and "
                f"eps = {eps}: every learning rate is stable; no finite maximum."
            )
        return float(2 * (1 + momentum) * size / (float(top_np) + eps))
    return 2 * (1 + momentum) * size / (top + eps)

