"""Shared helpers of the `test_empirical_*` tests: keys, weight laws, χ²-type SE checks."""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats

N_SE = 4.0  # every Monte-Carlo comparison: |difference| ≤ 4 (combined) standard errors


def key_for(*ints: int) -> jax.Array:
    key = jax.random.key(20261127)
    for i in ints:
        key = jax.random.fold_in(key, i)
    return key


def weight_laws():
    """The readout laws of `widenets.edgeworth.theory` (unit variance, symmetric, with m4)."""
    from widenets.edgeworth import theory  # noqa: PLC0415

    return {"gaussian": theory.gaussian_weights(), "uniform": theory.uniform_weights(),
            "rademacher": theory.rademacher_weights()}


class UnhashableLaw:
    """A duck-typed law (only ``sample`` and ``m4``) that is not hashable: N(0, 1)."""

    m4 = 3.0
    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other):
        return isinstance(other, UnhashableLaw)

    def sample(self, key, shape, dtype):
        return jax.random.normal(key, shape, dtype)


def unit_inputs(p: int = 2, d: int = 3, cos: float = 0.4) -> jax.Array:
    """p ≤ 2 inputs in R^d with |x|²/d = 1 and cosine ``cos`` between them."""
    e = np.zeros((2, d))
    e[0, 0] = 1.0
    e[1, 0], e[1, 1] = cos, math.sqrt(1 - cos**2)
    return jnp.asarray(e[:p] * math.sqrt(d))


def within(estimate, target, *, n_se: float = N_SE, extra: float = 0.0) -> bool:
    """|value − target| ≤ n_se·SE + extra, elementwise."""
    v, s = np.asarray(estimate.value), np.asarray(estimate.stderr)
    return bool(np.all(np.abs(v - np.asarray(target)) <= n_se * s + extra))


def agree(e1, e2, *, n_se: float = N_SE) -> bool:
    """Two independent estimates agree within n_se combined SE √(SE₁² + SE₂²)."""
    d = np.abs(np.asarray(e1.value) - np.asarray(e2.value))
    return bool(np.all(d <= n_se * np.hypot(np.asarray(e1.stderr), np.asarray(e2.stderr))))


@dataclasses.dataclass(frozen=True)
class Calibration:
    """Replicate spread vs reported SE: ratio = s_R² / mean(SE²) and its own SE."""

    ratio: float
    ratio_se: float
    spread: float      # s_R, the sd of the R replicate estimates
    mean_se: float     # √mean(SE²), the typical reported SE

    @property
    def z(self) -> float:
        """|log ratio| in units of its SE (ratio_se/ratio): the ratio is a positive quantity
        whose relative SE can be large for heavy-tailed replicates, so test it on a log scale
        (equal to |ratio − 1|/ratio_se to first order when the ratio is near 1)."""
        return abs(math.log(self.ratio)) / (self.ratio_se / self.ratio)


def calibration(values, stderrs) -> Calibration:
    """Compare the spread of R independent replicate estimates with their reported SEs.

    If the SEs are right, s_R²/mean(SE²) = 1 up to sampling noise. Its standard error (delta
    method on a ratio of two independent-ish means): Var(s_R²)/σ⁴ ≈ 2/(R − 1) + g/R with g the
    excess kurtosis of the replicate values (exact for the variance of a sample variance to
    O(1/R); g = 0 recovers the χ²_{R−1} case), plus Var(mean SE²)/mean(SE²)², measured.
    """
    v, s = np.asarray(values, np.float64), np.asarray(stderrs, np.float64)
    R = v.size
    var_r = np.var(v, ddof=1)
    mse = np.mean(s**2)
    g = scipy.stats.kurtosis(v, fisher=True, bias=False)
    rel_var_a = 2.0 / (R - 1) + max(g, 0.0) / R
    rel_var_b = np.var(s**2, ddof=1) / R / mse**2
    ratio = var_r / mse
    return Calibration(ratio=float(ratio), ratio_se=float(ratio * math.sqrt(rel_var_a + rel_var_b)),
                       spread=float(math.sqrt(var_r)), mean_se=float(math.sqrt(mse)))
