"""Learning-rate transfer in a linear MLP after one GD step: μP vs SP (Hayou 2025, Fig. 1 style).

f(x) = Vᵀ W_L ⋯ W_0 x, MSE, one full-batch GD step; the loss after the step is an exact polynomial
in η at every width (`widenets.mup.theory.one_step_loss_polynomial`), minimised exactly.
Theory (`widenets.mup.theory`, our derivation, checked against Hayou 2025, arXiv:2511.01734):
under μP the loss tends to L_∞(η) = (1/2N)‖η κ X XᵀY/N − Y‖² with κ = σ^{2(L+1)}(1 + (L+1)n₀/d),
so η*_n → η*_∞ with |η*_n − η*_∞| = O(n^{−1/2}); under SP η*_n ∝ n^{−1} → 0.

Figure ``mup_linear_one_step``: (a) loss after one step against η for several widths with
L_∞ (μP) and the SP curves; (b) η*_n (seed mean ± 2 SE) against width for μP and SP with η*_∞;
(c) |η*_n − η*_∞| under μP with its fitted slope and an n^{−1/2} guide.
Comparisons: μP slope in [−0.8, −0.3] (theory −1/2), SP slope ≤ −0.5 (theory −1), and η*_n at
the largest width against η*_∞ within 4 SE.
"""
from __future__ import annotations

import math
from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from widenets.mup import theory
from widenets.reproduce import Comparison, FigureResult, in_float64, register, save_figure

SCALES = {
    "quick": dict(widths=(64, 128, 256, 512, 1024, 2048), n_seeds=16, hidden_layers=1),
    "paper": dict(widths=(64, 128, 256, 512, 1024, 2048, 4096), n_seeds=64, hidden_layers=1),
}


def regression_data(n_data: int = 16, d: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, I), y = Xβ/√d + 0.1 ε."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_data, d))
    return x, x @ rng.standard_normal(d) / np.sqrt(d) + 0.1 * rng.standard_normal(n_data)


def slope_with_se(widths, samples: np.ndarray) -> tuple[float, float]:
    """Log-log slope of the seed mean against width, and its delete-one-seed jackknife SE."""
    fit = lambda a: float(np.polyfit(np.log(widths), np.log(a.mean(axis=0)), 1)[0])  # noqa: E731
    s = samples.shape[0]
    reps = np.array([fit(np.delete(samples, i, axis=0)) for i in range(s)])
    return fit(samples), float(np.sqrt((s - 1) / s * np.sum((reps - reps.mean()) ** 2)))


@register("mup_linear_one_step", "Linear MLP, one GD step: η*_n → η*_∞ under μP, → 0 under SP")
@in_float64
def mup_linear_one_step(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    widths, n_seeds, L = cfg["widths"], cfg["n_seeds"], cfg["hidden_layers"]
    x, y = regression_data()
    polys = theory.sample_one_step_polynomials(jax.random.key(0), x, y, L, widths, n_seeds=n_seeds)
    eta_inf = theory.limit_optimal_learning_rate(x, y, L)
    limit = theory.limit_one_step_loss(x, y, L)
    optima = {name: theory.optimal_learning_rate(p, 10 * eta_inf) for name, p in polys.items()}
    se = {name: o.std(axis=0, ddof=1) / math.sqrt(n_seeds) for name, o in optima.items()}
    dev = np.abs(optima["mup"] - eta_inf)
    mup_slope, mup_se = slope_with_se(widths, dev)
    sp_slope, sp_se = slope_with_se(widths, optima["sp"])

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    grid = np.linspace(0, 2.5 * eta_inf, 400)
    colors = plt.cm.viridis(np.linspace(0.1, 0.9, len(widths)))
    for j, (n, col) in enumerate(zip(widths, colors)):
        ax.plot(grid, np.polynomial.polynomial.polyval(grid, polys["mup"][0, j]), color=col, label=f"μP n={n}")
        ax.plot(grid, np.polynomial.polynomial.polyval(grid, polys["sp"][0, j]), color=col, ls=":")
    ax.plot(grid, np.polynomial.polynomial.polyval(grid, limit), "k--", label="μP limit L_∞")
    ax.axvline(eta_inf, color="k", lw=0.5)
    ax.set_ylim(0, 2 * limit[0])
    ax.set(xlabel="η", ylabel="loss after one step (seed 0)", title="(a) loss vs η (dotted: SP)")
    ax.legend(fontsize=7)
    ax = axes[1]
    for name, marker in (("mup", "o"), ("sp", "s")):
        ax.errorbar(widths, optima[name].mean(axis=0), yerr=2 * se[name], marker=marker, capsize=3,
                    label={"mup": "μP", "sp": "SP"}[name])
    ax.axhline(eta_inf, color="k", ls="--", label="η*_∞ (μP limit)")
    ax.set(xscale="log", yscale="log", xlabel="width n", ylabel="η*_n (mean ± 2 SE)",
           title=f"(b) optimal η (n₀ = 1, L = {L}); SP slope {sp_slope:.2f} ± {sp_se:.2f}")
    ax.legend(fontsize=8)
    ax = axes[2]
    mean_dev = dev.mean(axis=0)
    ax.errorbar(widths, mean_dev, yerr=2 * dev.std(axis=0, ddof=1) / math.sqrt(n_seeds), marker="o", capsize=3,
                label=f"μP, slope {mup_slope:.2f} ± {mup_se:.2f}")
    ax.plot(widths, mean_dev[0] * (np.asarray(widths) / widths[0]) ** -0.5, "k--", label=r"$\propto n^{-1/2}$")
    ax.set(xscale="log", yscale="log", xlabel="width n", ylabel="|η*_n − η*_∞| (seed mean)",
           title="(c) convergence of the optimum")
    ax.legend(fontsize=8)
    fig.tight_layout()

    mup_name = "μP log-log slope of |η*_n − η*_∞| (theory −1/2)"
    comparisons = [
        Comparison.at_most(f"{mup_name}, upper end", -0.3, mup_slope, mup_se),
        Comparison.at_least(f"{mup_name}, lower end", -0.8, mup_slope, mup_se),
        Comparison.at_most("SP log-log slope of η*_n (≤ −0.5; theory −1)", -0.5, sp_slope, sp_se),
        Comparison.within_se(f"μP η*_n at n={widths[-1]} vs η*_∞", eta_inf, optima["mup"][:, -1].mean(),
                             se["mup"][-1]),
    ]
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "mup_linear_one_step"))
