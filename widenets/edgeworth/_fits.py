"""Weighted least-squares fits of a statistic against 1/width.

Finite-width statistics expand in powers of 1/n: a cumulant of a preactivation behaves like
s(n) = a₁/n + a₂/n² + … (PDLT, arXiv:2106.10165, ch. 4). The leading coefficient a₁ is what
the 1/n theory predicts (e.g. a₁ = 3V/K² for the excess kurtosis), so the tests and figures
fit s(n) on several widths and compare a₁ with the recursion.

`fit_inverse_width` fits s(n) = Σ_{k=1..order} a_k n^{−k} by weighted least squares with
weights 1/SE², and returns the coefficients with their standard errors from (XᵀWX)⁻¹.
Its `truncation` is the change in a₁ when one more power is added to the model: a
data-driven estimate of how much the neglected terms move a₁ (stated, not tuned).
"""
from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class InverseWidthFit:
    """s(n) ≈ Σ_k coef[k−1]·n^{−k}.

    Attributes:
      coef: fitted a_1, …, a_order.
      stderr: their standard errors (from the per-width standard errors).
      truncation: |a_1(order + 1) − a_1(order)|, the shift of a_1 when the next power of 1/n
        is added (``nan`` when there are too few widths to fit one more term).
      chi2: weighted residual sum of squares of the fit (≈ #widths − order if the model holds).
    """

    coef: np.ndarray
    stderr: np.ndarray
    truncation: float
    chi2: float

    @property
    def leading(self) -> float:
        """a_1, the coefficient of 1/n."""
        return float(self.coef[0])

    @property
    def leading_stderr(self) -> float:
        return float(self.stderr[0])


def _wls(widths: np.ndarray, values: np.ndarray, stderr: np.ndarray, order: int):
    design = np.stack([widths ** (-k) for k in range(1, order + 1)], axis=1)
    weights = 1.0 / stderr**2
    normal = design.T @ (weights[:, None] * design)
    cov = np.linalg.inv(normal)
    coef = cov @ (design.T @ (weights * values))
    resid = values - design @ coef
    return coef, np.sqrt(np.diag(cov)), float(np.sum(weights * resid**2))


def fit_inverse_width(widths, values, stderr, order: int = 2) -> InverseWidthFit:
    """Fit ``values ≈ Σ_{k=1..order} a_k·widths^{−k}`` weighted by ``1/stderr²``.

    Args:
      widths: the widths n (at least ``order`` distinct positive values).
      values: the measured statistic at each width.
      stderr: its standard errors (positive).
      order: number of powers of 1/n in the model (no constant term: the statistic vanishes at
        infinite width).

    Raises:
      ValueError: mismatched lengths, non-positive widths or standard errors, too few widths.
    """
    widths = np.asarray(widths, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    stderr = np.asarray(stderr, dtype=np.float64)
    if not (widths.ndim == values.ndim == stderr.ndim == 1) or not (
        widths.shape == values.shape == stderr.shape
    ):
        raise ValueError(
            "fit_inverse_width: `widths`, `values` and `stderr` must be 1-D of one length, got "
            f"shapes {widths.shape}, {values.shape}, {stderr.shape}."
        )
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"fit_inverse_width: `order` must be a positive int, got {order!r}.")
    if np.any(widths <= 0) or np.any(stderr <= 0) or not np.all(np.isfinite(values)):
        raise ValueError(
            "fit_inverse_width: `widths` and `stderr` must be positive and `values` finite."
        )
    if len(np.unique(widths)) < order:
        raise ValueError(
            f"fit_inverse_width: {order} coefficients need at least {order} distinct widths, "
            f"got {len(np.unique(widths))}."
        )
    coef, se, chi2 = _wls(widths, values, stderr, order)
    truncation = float("nan")
    if len(np.unique(widths)) > order:
        coef_next, _, _ = _wls(widths, values, stderr, order + 1)
        truncation = float(abs(coef_next[0] - coef[0]))
    return InverseWidthFit(coef=coef, stderr=se, truncation=truncation, chi2=chi2)
