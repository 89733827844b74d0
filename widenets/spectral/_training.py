"""Per-degree learning curves of trained networks, their fitted rates, and extrapolation.

Full-batch GD on L = ½·mean((f − y)²) over n points (`widenets.predict.empirical.train_mse`)
linearised around the initial parameters is r_{t+1} = (I − η Θ/n) r_t for the residual
r_t = f_t − y (Jacot et al. 2018, arXiv:1806.07572; Lee et al. 2019, arXiv:1902.06720). When
the degree-k harmonics span an eigenspace of Θ/n with eigenvalue λ_k (exactly on an
equispaced circle, asymptotically for uniform points on S^{d−1}), the degree-k part shrinks as

    r_k(t) = r_k(0) (1 − η λ_k)^t,   ρ_k := η λ_k,

so low degrees, with larger λ_k, are learnt first: spectral bias (Basri et al. 2019,
arXiv:1906.00425; Rahaman et al. 2019, arXiv:1806.08734).

`fit_decay_rates` reads ρ_k off a logged curve: least squares through the origin of
log(r_k(t)/r_k(0)) = t · log(1 − ρ_k) over the logged t > 0 *before* r_k first drops below
``floor`` · r_k(0) (default 1e−2). The window stops there because a finite network's Θ̂ is not
exactly diagonal in the harmonics: degree k receives a small leak from the slower degrees, which
dominates r_k once r_k itself is small (a floor); early on the curve is the pure exponential.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._validation import as_float_array, check_float, check_int, check_key
from ..predict.empirical import Trajectory, mse_loss, train_mse
from ._projection import degree_projection

Array = jax.Array
ApplyFn = Callable[..., Array]


class SpectralTrajectory(NamedTuple):
    """A GD run split by harmonic degree.

    Attributes:
      steps: (T,) logged steps.
      residual_norms: (T, k_max + 1) r_k(t) = ‖(f_t − y)_k‖ (root mean square over the points
        of the degree-k part, `degree_projection`).
      trajectory: the `widenets.predict.empirical.Trajectory` of `train_mse`.
    """

    steps: np.ndarray
    residual_norms: np.ndarray
    trajectory: Trajectory


def train_and_project(
    apply_fn: ApplyFn,
    params: Any,
    x: Any,
    y: Any,
    learning_rate: float,
    steps: Sequence[int],
    k_max: int,
    method: str = "auto",
) -> SpectralTrajectory:
    """Full-batch GD (`train_mse`) from ``params`` and the per-degree residual norms r_k(t).

    Args:
      apply_fn: ``apply_fn(params, x) -> (n, 1)``.
      params: initial parameters.
      x: ``(n, d)`` unit-norm training points; y: ``(n, 1)`` targets.
      learning_rate: η > 0 (stable for η λ_max(Θ/n) < 2).
      steps: logged steps, non-decreasing ints ≥ 0 (include 0 for r_k(0)).
      k_max: largest degree projected on.
      method: projection method of `degree_projection`.

    Returns:
      A `SpectralTrajectory`.
    """
    traj = train_mse(apply_fn, params, x, y, steps, learning_rate)
    y = np.asarray(y, dtype=np.float64)
    residual = np.asarray(traj.fx_train, dtype=np.float64) - y[None]
    norms = np.sqrt(degree_projection(residual, x, k_max, method=method))
    return SpectralTrajectory(traj.steps, norms, traj)


def linear_residuals(gram: Any, residual_0: Any, learning_rate: float, steps: Sequence[int]) -> np.ndarray:
    """Residuals of GD on the model linearised with a *fixed* kernel: r_t = (I − η K/n)^t r_0.

    With K the empirical NTK Θ̂_0 of a network at initialisation this is the exact lazy-training
    prediction for that network (no infinite-width limit involved); comparing it with the trained
    network isolates the drift of Θ̂_t during training.

    Args:
      gram: ``(n, n)`` symmetric kernel on the training points.
      residual_0: ``(n,)`` or ``(n, 1)`` initial residual f_0 − y.
      learning_rate: η > 0.
      steps: step counts, ints ≥ 0.

    Returns:
      float64 array ``(len(steps), n)``.
    """
    gram = np.asarray(as_float_array("gram", gram, min_ndim=2), dtype=np.float64)
    n = gram.shape[0]
    if gram.shape != (n, n):
        raise ValueError(f"`gram` must be square, got {gram.shape}.")
    r0 = np.asarray(as_float_array("residual_0", residual_0, min_ndim=1), dtype=np.float64).reshape(-1)
    if r0.shape != (n,):
        raise ValueError(f"`residual_0` must have {n} entries (one per point), got shape {np.shape(residual_0)}.")
    eta = check_float("learning_rate", learning_rate, positive=True)
    steps = _check_steps(steps)
    lam, vec = np.linalg.eigh(0.5 * (gram + gram.T) / n)
    factors = (1.0 - eta * lam)[None, :] ** steps.astype(np.float64)[:, None]  # (T, n)
    return (factors * (vec.T @ r0)[None, :]) @ vec.T


def _check_steps(steps: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(steps))
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or np.any(arr < 0):
        raise ValueError(f"`steps` must be a non-empty 1-d sequence of integers >= 0, got {steps!r}.")
    return arr


def _check_curves(steps: Any, r_k: Any) -> tuple[np.ndarray, np.ndarray]:
    steps = _check_steps(steps)
    r = np.asarray(as_float_array("r_k", r_k, min_ndim=1), dtype=np.float64)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] != steps.size:
        raise ValueError(f"`r_k` must be (T, K) with T = len(steps) = {steps.size}, got shape {np.shape(r_k)}.")
    if steps[0] != 0:
        raise ValueError(f"`steps` must start at 0 (r_k(0) is the reference), got {steps[0]}.")
    if np.any(r < 0):
        raise ValueError("`r_k` must hold norms (>= 0).")
    return steps, r


def fit_decay_rates(steps: Any, r_k: Any, floor: float = 1e-2, min_points: int = 2) -> np.ndarray:
    """Fitted per-degree rates ρ_k from log r_k(t) = log r_k(0) + t · log(1 − ρ_k).

    Least squares through the origin, s_k = Σ t·ℓ(t) / Σ t², ℓ(t) = log(r_k(t)/r_k(0)), over the
    logged t > 0 before r_k first falls below ``floor`` · r_k(0) (module docstring);
    ρ_k = 1 − e^{s_k}.

    Args:
      steps: (T,) logged steps, starting at 0.
      r_k: (T,) or (T, K) residual norms.
      floor: in (0, 1), end of the fitting window relative to r_k(0).
      min_points: fewest points in the window (≥ 1); fewer gives NaN.

    Returns:
      float64 array ``(K,)``; NaN where r_k(0) = 0 or the window is too short.
    """
    steps, r = _check_curves(steps, r_k)
    floor = check_float("floor", floor, positive=True)
    if not floor < 1:
        raise ValueError(f"`floor` must be in (0, 1), got {floor}.")
    min_points = check_int("min_points", min_points, minimum=1)
    rates = np.full(r.shape[1], np.nan)
    for k in range(r.shape[1]):
        if not r[0, k] > 0:
            continue
        ratio = r[:, k] / r[0, k]
        below = np.nonzero(ratio < floor)[0]
        end = below[0] if below.size else ratio.size
        t, ratio = steps[1:end].astype(np.float64), ratio[1:end]
        keep = (t > 0) & (ratio > 0)
        if np.count_nonzero(keep) < min_points:
            continue
        t, ell = t[keep], np.log(ratio[keep])
        rates[k] = 1.0 - np.exp(np.sum(t * ell) / np.sum(t * t))
    return rates


def convergence_steps(steps: Any, r_k: Any, factor: float = 10.0) -> np.ndarray:
    """Steps until r_k(t) ≤ r_k(0)/``factor``, log-linearly interpolated between logged steps.

    Returns float64 ``(K,)``; inf where the curve never gets there. Theory: ln(factor)/(−ln(1 − ρ_k)).
    """
    steps, r = _check_curves(steps, r_k)
    factor = check_float("factor", factor, positive=True)
    if not factor > 1:
        raise ValueError(f"`factor` must be > 1, got {factor}.")
    out = np.full(r.shape[1], np.inf)
    target = -np.log(factor)
    for k in range(r.shape[1]):
        if not r[0, k] > 0:
            continue
        ell = np.log(np.maximum(r[:, k] / r[0, k], 1e-300))
        hit = np.nonzero(ell <= target)[0]
        if hit.size == 0:
            continue
        j = hit[0]
        if j == 0:
            out[k] = float(steps[0])
            continue
        t0, t1, l0, l1 = float(steps[j - 1]), float(steps[j]), ell[j - 1], ell[j]
        out[k] = t0 + (t1 - t0) * (target - l0) / (l1 - l0)
    return out


# ----------------------------------------------------------------------------- extrapolation


def _adam_loop(apply_fn, params, x, y, learning_rate, n_steps):
    optimizer = optax.adam(learning_rate)
    grad = jax.value_and_grad(lambda p: mse_loss(apply_fn(p, x), y))

    def step(_, carry):
        p, state, _ = carry
        loss, g = grad(p)
        # optax's Adam bias correction computes `decay ** count` (a Python float to an int32
        # power), which strict dtype promotion rejects: exempt that optax-internal mix only
        with jax.numpy_dtype_promotion("standard"):
            updates, state = optimizer.update(g, state, p)
        return optax.apply_updates(p, updates), state, loss

    zero = jnp.zeros((), x.dtype)
    p, _, loss = jax.lax.fori_loop(0, n_steps, step, (params, optimizer.init(params), zero))
    # the loss carried out is the one evaluated at the start of the last step
    return p, loss


_adam = jax.jit(_adam_loop, static_argnames="apply_fn")


def train_adam_mse(
    apply_fn: ApplyFn, params: Any, x: Any, y: Any, n_steps: int, learning_rate: float = 1e-3
) -> tuple[Any, float]:
    """Full-batch Adam (``optax.adam``) on ½·mean((f − y)²); the final parameters and the loss at
    the last step taken.

    Used for the Snake extrapolation experiment, as in Ziyin et al. 2020 (arXiv:2006.08195), where
    plain GD on a Snake network is slow to find the right frequencies. Parameters and targets
    are cast to ``x``'s dtype.
    """
    x = as_float_array("x", x, min_ndim=2)
    y = as_float_array("y", y, min_ndim=1).astype(x.dtype)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    learning_rate = check_float("learning_rate", learning_rate, positive=True)
    params = jax.tree.map(lambda p: jnp.asarray(p).astype(x.dtype), params)
    out = jax.eval_shape(lambda: apply_fn(params, x))
    if out.shape != y.shape:
        raise ValueError(f"`y` must have the shape of apply_fn(params, x), {out.shape}; got {y.shape}.")
    params, loss = _adam(apply_fn, params, x, y, jnp.asarray(learning_rate, x.dtype), n_steps)
    return params, float(loss)


def _adam_ensemble(init_fn, apply_fn, keys, x, y, learning_rate, n_steps):
    def one(key):
        _, params = init_fn(key, x.shape)
        params = jax.tree.map(lambda p: p.astype(x.dtype), params)
        return _adam_loop(apply_fn, params, x, y, learning_rate, n_steps)

    return jax.vmap(one)(keys)


_adam_ensemble_jit = jax.jit(_adam_ensemble, static_argnames=("init_fn", "apply_fn", "n_steps"))


def train_adam_mse_ensemble(
    init_fn: Callable[..., Any],
    apply_fn: ApplyFn,
    key: Array,
    n_nets: int,
    x: Any,
    y: Any,
    n_steps: int,
    learning_rate: float = 1e-3,
) -> tuple[Any, np.ndarray]:
    """`train_adam_mse` for ``n_nets`` networks ``init_fn(split(key, n_nets)[m], x.shape)``, run
    together under `jax.vmap` (one compilation); returns the stacked parameters (leading axis
    M) and the final losses ``(M,)``. Networks run in ``x``'s dtype (float32 inputs: float32
    networks, much faster for the sin in Snake)."""
    if not callable(init_fn) or not callable(apply_fn):
        raise TypeError("`init_fn` and `apply_fn` must be callable.")
    key = check_key("key", key)
    n_nets = check_int("n_nets", n_nets, minimum=1)
    x = as_float_array("x", x, min_ndim=2)
    y = as_float_array("y", y, min_ndim=1).astype(x.dtype)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    learning_rate = check_float("learning_rate", learning_rate, positive=True)
    # the shape check runs the network as `_adam_ensemble` does: parameters cast to x's dtype
    out = jax.eval_shape(lambda: apply_fn(
        jax.tree.map(lambda p: p.astype(x.dtype), init_fn(key, x.shape)[1]), x))
    if out.shape != y.shape:
        raise ValueError(f"`y` must have the shape of apply_fn(params, x), {out.shape}; got {y.shape}.")
    keys = jax.random.split(key, n_nets)
    params, losses = _adam_ensemble_jit(init_fn, apply_fn, keys, x, y, jnp.asarray(learning_rate, x.dtype), n_steps)
    return params, np.asarray(losses, dtype=np.float64)


class ExtrapolationError(NamedTuple):
    """Mean squared errors of a fitted network inside and outside its training interval."""

    inside: float
    outside: float


def extrapolation_error(
    apply_fn: ApplyFn, params: Any, x_in: Any, y_in: Any, x_out: Any, y_out: Any
) -> ExtrapolationError:
    """MSE mean((f − y)²) of ``apply_fn(params, ·)`` on the training region and beyond it.

    Args:
      apply_fn: ``apply_fn(params, x) -> outputs``.
      params: trained parameters.
      x_in, y_in: inputs ``(n, …)`` and targets (shape of the outputs) inside the training interval.
      x_out, y_out: the same outside it.

    Returns:
      `ExtrapolationError` (inside, outside).
    """
    errs = []
    for name, xv, yv in (("in", x_in, y_in), ("out", x_out, y_out)):
        xv = as_float_array(f"x_{name}", xv, min_ndim=2)
        yv = np.asarray(as_float_array(f"y_{name}", yv, min_ndim=1), dtype=np.float64)
        f = np.asarray(apply_fn(params, xv), dtype=np.float64)
        if f.shape != yv.shape:
            raise ValueError(
                f"`y_{name}` must have the shape of apply_fn(params, x_{name}), {f.shape}; got {yv.shape}."
            )
        errs.append(float(np.mean((f - yv) ** 2)))
    return ExtrapolationError(*errs)
