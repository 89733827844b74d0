"""Closed-form gradient flow on the MSE loss of a linear(ised) model: `gradient_descent_mse`."""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_float
from ._inputs import as_array, as_kernel, as_outputs, check_bool
from ._layout import (
    Layout,
    check_test_kernel,
    check_train_kernel,
    kernel_to_2d,
    make_layout,
    outputs_from_2d,
    targets_to_2d,
)
from ._moments import test_shift, train_outputs
from ._solve import Eigh, check_times, decompose

Array = jax.Array


def scaled_times(t: Any, learning_rate: float, size: int, dtype) -> tuple[Any, tuple[int, ...]]:
    """s = η t / |y| flattened to (T,), and the shape of ``t``; ``t=None`` is s = (∞,) with shape ()."""
    if t is None:
        return np.full((1,), np.inf, dtype=dtype), ()
    t = check_times(t, dtype)
    return (t * learning_rate / size).reshape(-1), t.shape


def _predict(eig: Eigh, s: Array, y2: Array, f0: Array | None, ktd: Array | None,
             f0t: Array | None, *, layout: Layout, lead: tuple[int, ...],
             test_shape: tuple[int, ...] | None) -> tuple[Array | None, Array | None]:
    """Train and/or test outputs (None where not requested), in NT's shapes."""
    train = test = None
    if f0 is None:
        r = y2  # NT: residual from zero outputs when the training set is not requested
    else:
        f0 = targets_to_2d(jnp.broadcast_to(f0, layout.output_shape(layout.kernel_shape)), layout)
        r = y2 - f0
        train = outputs_from_2d(train_outputs(eig, s, y2, f0), lead, layout.kernel_shape, layout)
    if ktd is not None:
        f0t = targets_to_2d(jnp.broadcast_to(f0t, layout.output_shape(test_shape)), layout)
        test = outputs_from_2d(f0t[None] + test_shift(eig, s, kernel_to_2d(ktd), r), lead, test_shape, layout)
    return train, test


def gradient_descent_mse(
    k_train_train: Any,
    y_train: Any,
    learning_rate: float = 1.0,
    diag_reg: float = 0.0,
    diag_reg_absolute_scale: bool = False,
    trace_axes: Any = (-1,),
) -> Callable[..., Any]:
    r"""Outputs of a linear(ised) model trained by continuous-time gradient descent on MSE.

    With kernel K = ``k_train_train`` (the NTK for a linearised network, Jacot et al. 2018),
    loss ½‖f(X) − y‖²/|y| (|y| = ``y_train.size``, NT's mean-loss convention) and s = η t/|y|,
    gradient flow df/dt = −(η/|y|) K (f − y) has the solution (Lee et al. 2019,
    arXiv:1902.06720, §2.2)

        f_train(t) = y + e^{−s K} (f0 − y),
        f_test(t)  = f0_test + K_test,train K⁻¹ (I − e^{−s K}) (y − f0).

    Computed from one eigendecomposition K = V diag(λ) Vᵀ of the (regularised) kernel, with
    K⁻¹(I − e^{−sK}) = V diag((1 − e^{−sλ})/λ) Vᵀ evaluated as ``-expm1(-s λ)/λ`` and its
    limit s at λ = 0: singular and ill-conditioned kernels give finite, exact outputs at
    every finite t. At t = ∞ (``t=None`` or ``t=inf``) K⁻¹ is the pseudo-inverse with
    eigenvalues ≤ M·eps·λ_max treated as 0 (the minimum-norm interpolant, the t → ∞ limit of
    gradient flow); on the training set this is y when K is nonsingular (NT returns y always).

    Args:
      k_train_train: training kernel, shape (N, N) for targets (N, k) with ``trace_axes=(-1,)``
        (outputs share the kernel: Θ ⊗ I); in general NT's zipped layout (N, N, X, X, ...) over
        the axes of ``y_train`` not in ``trace_axes`` (``trace_axes=()``: (N, N, k, k)). Must be
        symmetric (rounding-level asymmetry is averaged away) and PSD (eigenvalues below
        −√eps·max|λ| raise ``ValueError``).
      y_train: training targets, (N, ...).
      learning_rate: η > 0; t is in units of steps, only η t matters.
      diag_reg: ≥ 0, added to the kernel diagonal: ``diag_reg`` · trace(K)/M, or ``diag_reg``
        itself if ``diag_reg_absolute_scale``.
      diag_reg_absolute_scale: see ``diag_reg``.
      trace_axes: output axes of ``y_train`` along which the kernel is the identity.

    Returns:
      ``predict_fn(t=None, fx_train_0=0., fx_test_0=None, k_test_train=None)``. ``t``: None
      (= ∞), a time ≥ 0 or an array of times of any shape, which becomes leading axes of the
      outputs. ``fx_train_0``: initial outputs on the training set (a number or an array
      broadcasting to ``y_train.shape``), None to skip the training set. ``fx_test_0`` with
      ``k_test_train`` (T, N) (zipped like ``k_train_train``): initial test outputs and the
      test-train kernel. Returns ``fx_train_t``, ``fx_test_t`` or the pair ``(fx_train_t,
      fx_test_t)`` when both are requested, as in neural-tangents 0.6.5.

    Differences from neural-tangents 0.6.5: NT's test predictions divide by λ and are NaN on a
    singular kernel; NT solves t = None by Cholesky (NaN or an error on singular kernels) and
    this function by the pseudo-inverse above. Bad input raises instead of producing NaN.

    Example:
      >>> predict_fn = gradient_descent_mse(ntk_train_train, y_train)
      >>> fx_train_t, fx_test_t = predict_fn(t=[0., 10.], fx_train_0=f0, fx_test_0=f0_test,
      ...                                    k_test_train=ntk_test_train)
    """
    k = as_kernel("k_train_train", k_train_train)
    dtype = k.dtype
    y = as_array("y_train", y_train, min_ndim=1).astype(dtype)
    learning_rate = check_float("learning_rate", learning_rate, positive=True)
    diag_reg = check_float("diag_reg", diag_reg, nonnegative=True)
    absolute = check_bool("diag_reg_absolute_scale", diag_reg_absolute_scale)
    layout = make_layout(trace_axes, y.shape)
    check_train_kernel("k_train_train", k, layout)
    eig = decompose("k_train_train", kernel_to_2d(k), diag_reg, absolute)
    y2 = targets_to_2d(y, layout)

    def predict_fn(
        t: Any = None, fx_train_0: Any = 0.0, fx_test_0: Any = None, k_test_train: Any = None
    ) -> Any:
        if fx_train_0 is None and fx_test_0 is None:
            raise ValueError("`fx_train_0` and `fx_test_0` are both None: nothing to predict.")
        if fx_test_0 is not None and k_test_train is None:
            raise ValueError("`k_test_train` is required to predict test outputs (`fx_test_0` given).")
        s, lead = scaled_times(t, learning_rate, y.size, dtype)
        f0 = None if fx_train_0 is None else as_outputs("fx_train_0", fx_train_0, y.shape, dtype)
        ktd = f0t = test_shape = None
        if fx_test_0 is not None:
            ktd = as_kernel("k_test_train", k_test_train, dtype)
            check_test_kernel("k_test_train", ktd, layout)
            test_shape = tuple(ktd.shape[0::2])
            f0t = as_outputs("fx_test_0", fx_test_0, layout.output_shape(test_shape), dtype)
        train, test = _predict(eig, s, y2, f0, ktd, f0t, layout=layout, lead=lead, test_shape=test_shape)
        if test is None:
            return train
        return test if train is None else (train, test)

    return predict_fn
