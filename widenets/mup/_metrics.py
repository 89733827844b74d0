"""What a learning-rate sweep measures: the optimal learning rate per width and how it moves.

Notation: a complete `SweepTable` holds the final losses ℓ[i, j, s] of width n_i, log2
learning rate x_j = log2 η_j and seed s (+inf for a diverged run). The seed-mean loss is
L̄[i, j] = mean_s ℓ[i, j, s], which is +inf as soon as one seed diverged, so a learning rate
that diverges for some seed is never optimal.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._sweep import SweepTable


class SlopeFit(NamedTuple):
    """Least-squares line log2 η*(n) ≈ intercept + slope · log2 n (see `lr_slope`)."""

    slope: float
    intercept: float
    se: float  # from the spread of the per-seed slopes
    se_fit: float  # ordinary least-squares standard error from the residuals
    per_seed: np.ndarray  # (S,) slope of each seed's own argmins


class BestLoss(NamedTuple):
    """Per width: the seed-mean loss at the best grid learning rate, its SE and that log2 η."""

    mean: np.ndarray  # (W,)
    se: np.ndarray  # (W,)
    log2_lr: np.ndarray  # (W,)


def seed_mean_loss(table: SweepTable) -> np.ndarray:
    """(W, L) seed-mean loss L̄[i, j] (+inf where any seed diverged)."""
    loss = _checked_loss(table)
    return np.where(np.isposinf(loss).any(axis=-1), np.inf, loss.mean(axis=-1))


def optimal_log2_lr(table: SweepTable, *, refine: bool = False) -> np.ndarray:
    """(W,) optimal log2 learning rate per width.

    On the grid: ``x*_i = x_{j*}, j* = argmin_j L̄[i, j]`` (ties go to the smaller η; a
    diverged learning rate has L̄ = +inf and is never chosen). An optimum on the edge of the
    grid means the true optimum may lie outside it.

    With ``refine=True`` an interior optimum is refined by the vertex of the parabola through
    the three points ``(x_{j*−1}, L̄), (x_{j*}, L̄), (x_{j*+1}, L̄)`` (any spacing),

        x* = x_b − ½ · [(x_b−x_a)²(L_b−L_c) − (x_b−x_c)²(L_b−L_a)] / [(x_b−x_a)(L_b−L_c) − (x_b−x_c)(L_b−L_a)],

    which lies in [x_a, x_c] because L_b ≤ L_a, L_c; the grid value is kept on an edge, next
    to a diverged neighbour, or when the three losses are equal.

    Raises:
      ValueError: if the table is incomplete, or every learning rate diverged at some width.
    """
    mean = seed_mean_loss(table)
    best = _argmin_per_width(table, mean)
    x = np.asarray(table.log2_lrs, np.float64)
    out = x[best]
    if refine:
        for i, j in enumerate(best):
            if 0 < j < len(x) - 1 and np.all(np.isfinite(mean[i, j - 1:j + 2])):
                out[i] = _parabola_vertex(x[j - 1:j + 2], mean[i, j - 1:j + 2])
    return out


def lr_drift(table: SweepTable, *, refine: bool = False) -> float:
    """``Δ = log2 η*(largest width) − log2 η*(smallest width)``, from `optimal_log2_lr`.

    Δ ≈ 0 means the optimal learning rate transfers across widths (μP); Δ < 0 that it shrinks
    with width (standard parametrization: η* ∝ 1/n gives Δ = −log2(n_max / n_min)).
    """
    best = optimal_log2_lr(table, refine=refine)
    widths = np.asarray(table.widths)
    return float(best[np.argmax(widths)] - best[np.argmin(widths)])


def lr_slope(table: SweepTable, *, refine: bool = False) -> SlopeFit:
    """Least-squares slope of log2 η* on log2 n, with two standard errors.

    With x_i = log2 n_i and y_i = log2 η*_i from `optimal_log2_lr` (seed-mean loss),

        slope = Σ_i (x_i − x̄)(y_i − ȳ) / Σ_i (x_i − x̄)²,   intercept = ȳ − slope · x̄.

    η* ∝ n^slope: SP with SGD predicts slope −1, μP slope 0.

    ``se`` (the seed noise): the same slope is fitted to each seed's own grid argmins
    (``per_seed``, S values b_s), and se = std(b_s, ddof=1) / √S, the standard error of their
    mean; NaN for one seed. It is an approximation: the slope of the seed-mean argmin is not
    the mean of the per-seed slopes, but both estimate the same trend and share its seed noise.

    ``se_fit`` (the misfit): the ordinary least-squares standard error
    √(Σ r_i² / (W − 2) / Σ (x_i − x̄)²) with residuals r_i, NaN for fewer than three widths;
    it also absorbs the grid's quantisation of η* and any curvature in log2 n.

    Raises:
      ValueError: if the table has fewer than two widths, or as `optimal_log2_lr`.
    """
    if len(table.widths) < 2:
        raise ValueError(f"`table` must have at least two widths for a slope, got {list(table.widths)}.")
    x = np.log2(np.asarray(table.widths, np.float64))
    y = optimal_log2_lr(table, refine=refine)
    slope, intercept = _line(x, y)
    resid = y - (intercept + slope * x)
    sxx = float(np.sum((x - x.mean()) ** 2))
    se_fit = float(np.sqrt(np.sum(resid**2) / (len(x) - 2) / sxx)) if len(x) > 2 else float("nan")
    loss = _checked_loss(table)
    grid = np.asarray(table.log2_lrs, np.float64)
    per_seed = np.array([_line(x, grid[_argmin_per_width(table, loss[:, :, s])])[0]
                         for s in range(loss.shape[-1])])
    se = float(per_seed.std(ddof=1) / np.sqrt(len(per_seed))) if len(per_seed) > 1 else float("nan")
    return SlopeFit(slope=slope, intercept=intercept, se=se, se_fit=se_fit, per_seed=per_seed)


def best_loss(table: SweepTable) -> BestLoss:
    """Per width, the loss at the best grid learning rate j* (as in `optimal_log2_lr`):

        mean_i = L̄[i, j*_i],   se_i = std_s(ℓ[i, j*_i, s], ddof=1) / √S   (NaN for one seed).

    Under μP the best loss should not get worse with width (Yang et al. 2022, arXiv:2203.03466).
    """
    loss = _checked_loss(table)
    best = _argmin_per_width(table, seed_mean_loss(table))
    at_best = loss[np.arange(loss.shape[0]), best]  # (W, S)
    n_seeds = at_best.shape[-1]
    se = at_best.std(axis=-1, ddof=1) / np.sqrt(n_seeds) if n_seeds > 1 else np.full(len(best), np.nan)
    return BestLoss(mean=at_best.mean(axis=-1), se=se, log2_lr=np.asarray(table.log2_lrs, np.float64)[best])


# --- helpers -----------------------------------------------------------------------------


def _checked_loss(table: SweepTable) -> np.ndarray:
    if not isinstance(table, SweepTable):
        raise TypeError(f"`table` must be a SweepTable, got {type(table).__name__}.")
    loss = np.asarray(table.loss, np.float64)
    expected = (len(table.widths), len(table.log2_lrs), len(table.seeds))
    if loss.shape != expected:
        raise ValueError(f"`table.loss` must have shape (widths, lrs, seeds) = {expected}, got {loss.shape}.")
    missing = int(np.isnan(loss).sum())
    if missing:
        raise ValueError(f"`table` is incomplete: {missing} of {loss.size} runs have no result (NaN); "
                         "finish the sweep (run_sweep resumes) first.")
    if np.isneginf(loss).any():
        raise ValueError("`table.loss` must not hold -inf (diverged runs are +inf).")
    return loss


def _argmin_per_width(table: SweepTable, mean: np.ndarray) -> np.ndarray:
    """Index of the smallest finite entry of each row of ``mean`` (W, L)."""
    dead = ~np.isfinite(mean).any(axis=-1)
    if dead.any():
        raise ValueError(f"every learning rate diverged at width(s) {np.asarray(table.widths)[dead].tolist()}; "
                         "extend the grid to smaller learning rates.")
    return np.argmin(mean, axis=-1)


def _parabola_vertex(x: np.ndarray, f: np.ndarray) -> float:
    (xa, xb, xc), (fa, fb, fc) = x, f
    denominator = (xb - xa) * (fb - fc) - (xb - xc) * (fb - fa)
    if denominator == 0:
        return float(xb)
    numerator = (xb - xa) ** 2 * (fb - fc) - (xb - xc) ** 2 * (fb - fa)
    return float(np.clip(xb - 0.5 * numerator / denominator, xa, xc))


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Ordinary least-squares (slope, intercept) of y on x."""
    xc = x - x.mean()
    slope = float(np.sum(xc * (y - y.mean())) / np.sum(xc**2))
    return slope, float(y.mean() - slope * x.mean())
