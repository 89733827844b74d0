"""μP and learning-rate transfer on real data, and coordinate checks (docs/theory/mup.md).

Figure ``mup_transfer`` (Tensor Programs V, arXiv:2203.03466, Fig. 1 style, on sklearn's digits):
training loss after 100 SGD steps (batch 128, MLP 64 → n → n → 10, ReLU, MSE on one-hot targets,
base width 64) against log2 η, one curve per width, SP and μP side by side, and the optimal
log2 η* against width. Comparisons (the transfer claims of TP V, as tested in tests/mup/test_transfer.py): μP |slope of log2 η* on log2 n| ≤ 0.25
and |Δ| ≤ 1 between the smallest and largest width; SP slope ≤ −0.5; under μP the best loss at
the largest width is below that at the smallest by more than 4 SE. The sweeps are written to
``out_dir/sweeps/*.jsonl`` as they run, so an interrupted run resumes.

Figure ``mup_coord_check``: mean |h| of every layer after 0–3 SGD steps (η = 2⁻⁴, zero-initialised
readout) against width, SP and μP; comparisons: μP |slope| ≤ 0.15 for every layer at step 3, SP
output slope ≥ 0.3.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from widenets.mup import mlp
from widenets.mup.empirical import (
    best_loss,
    coord_check,
    digits_trainer,
    load_digits_data,
    lr_drift,
    lr_slope,
    optimal_log2_lr,
    run_sweep,
    seed_mean_loss,
)
from widenets.reproduce import Comparison, FigureResult, register, save_figure

SCALES = {
    "quick": dict(widths=(64, 128, 256, 512, 1024), seeds=(0, 1, 2), steps=100,
                  grids={"sp": np.arange(-7.0, 0.01, 0.5), "mup": np.arange(-3.0, 0.51, 0.5)},
                  coord_widths=(64, 128, 256, 512, 1024)),
    "paper": dict(widths=(64, 128, 256, 512, 1024, 2048, 4096), seeds=(0, 1, 2, 3, 4), steps=100,
                  grids={"sp": np.arange(-8.0, 0.51, 0.25), "mup": np.arange(-4.0, 1.01, 0.25)},
                  coord_widths=(64, 128, 256, 512, 1024, 2048, 4096)),
}
LABELS = {"sp": "SP", "mup": "μP"}
BASE_WIDTH = 64
COORD_LR = 2.0**-4


def digits_sweep(name: str, cfg: dict, out_dir: Path, progress: bool = False):
    """The digits sweep of one parametrization, resumable from ``out_dir/sweeps``."""
    return run_sweep(Path(out_dir) / "sweeps" / f"digits_{name}.jsonl",
                     lambda n: digits_trainer(n, name, base_width=BASE_WIDTH),
                     cfg["widths"], cfg["grids"][name], cfg["seeds"], cfg["steps"],
                     tag=f"digits MLP 64-n-n-10 ReLU MSE SGD batch 128 {name}", progress=progress)


def transfer_comparisons(tables: dict) -> list[Comparison]:
    """The transfer claims (module docstring; tests/mup/test_transfer.py) as comparisons."""
    mup, sp = tables["mup"], tables["sp"]
    fit_mup, fit_sp = lr_slope(mup), lr_slope(sp)
    best = best_loss(mup)
    gain, gain_se = best.mean[0] - best.mean[-1], float(np.hypot(best.se[0], best.se[-1]))
    edges = [
        Comparison.at_least(f"{LABELS[k]}: η* off the grid's edges (min distance, log2 units)", 0.5,
                            float(np.min(np.minimum(optimal_log2_lr(t) - t.log2_lrs[0], t.log2_lrs[-1] - optimal_log2_lr(t)))))
        for k, t in tables.items()
    ]
    return edges + [
        Comparison.within_abs("μP slope of log2 η* on log2 n (|slope| ≤ 0.25)", 0.0, fit_mup.slope, 0.25, stderr=fit_mup.se),
        Comparison.within_abs("μP drift Δ log2 η*, smallest → largest width (|Δ| ≤ 1)", 0.0, lr_drift(mup), 1.0),
        Comparison.at_most("SP slope of log2 η* on log2 n (≤ −0.5)", -0.5, fit_sp.slope, stderr=fit_sp.se),
        Comparison.at_least(f"μP best loss, width {mup.widths[0]} − width {mup.widths[-1]} (> 4 SE = {4 * gain_se:.2g})",
                            4 * gain_se, gain, stderr=gain_se),
    ]


@register("mup_transfer", "Learning-rate transfer on digits: SP drifts, μP transfers")
def mup_transfer(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    tables = {name: digits_sweep(name, cfg, out_dir) for name in ("sp", "mup")}
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(cfg["widths"])))
    for ax, (name, table) in zip(axes, tables.items()):
        mean = seed_mean_loss(table)
        for i, width in enumerate(table.widths):
            ax.plot(table.log2_lrs, np.where(np.isfinite(mean[i]), mean[i], np.nan), "o-", ms=3,
                    color=colors[i], label=f"n = {width}")
            j = np.argmin(mean[i])
            ax.plot(table.log2_lrs[j], mean[i, j], "*", ms=11, color=colors[i])
        ax.set_yscale("log")
        ax.set_xlabel("log2 η")
        ax.set_title(f"{LABELS[name]}: training loss after {table.steps} steps")
    axes[0].set_ylabel("MSE (mean over seeds)")
    axes[1].legend(fontsize=7)
    for name, table in tables.items():
        fit = lr_slope(table)
        axes[2].plot(np.log2(table.widths), optimal_log2_lr(table), "o-",
                     label=f"{LABELS[name]}: slope {fit.slope:+.2f} ± {fit.se:.2f}")
    axes[2].set_xlabel("log2 width")
    axes[2].set_ylabel("log2 η*")
    axes[2].legend(fontsize=8)
    axes[2].set_title("optimal learning rate vs width")
    fig.tight_layout()
    notes = "; ".join(f"{LABELS[k]} log2 η* = {optimal_log2_lr(t).tolist()}, best loss = "
                      f"{np.round(best_loss(t).mean, 4).tolist()}" for k, t in tables.items())
    artifacts = save_figure(fig, out_dir, "mup_transfer")
    plt.close(fig)
    return FigureResult(comparisons=transfer_comparisons(tables), artifacts=artifacts, notes=notes)


@register("mup_coord_check", "Coordinate checks: activation size vs width, SP and μP")
def mup_coord_check(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    x, y = load_digits_data()
    x, y = x[:128], y[:128]
    fig, axes = plt.subplots(2, 4, figsize=(13, 6), sharey="row")
    comparisons = []
    for row, name in enumerate(("sp", "mup")):
        cc = coord_check(lambda n, name=name: mlp(64, n, 10, name, BASE_WIDTH, zero_output=True),
                         cfg["coord_widths"], x, y, COORD_LR, steps=3, seeds=(0, 1, 2))
        sizes = np.where(cc.sizes > 0, cc.sizes, np.nan)  # the zero readout at step 0 has no log
        for col, step in enumerate(cc.steps):
            ax = axes[row, col]
            for j, layer in enumerate(cc.layers):
                ax.loglog(cc.widths, np.nanmean(sizes[:, :, step, j], axis=1), "o-", label=layer)
            ax.set_title(f"{LABELS[name]}, step {step}")
            ax.set_xlabel("width")
        axes[row, 0].set_ylabel("mean |h|")
        slopes = cc.slopes(3)
        if name == "mup":
            comparisons += [Comparison.within_abs(f"μP {layer} slope at step 3 (|slope| ≤ 0.15)", 0.0, s, 0.15, stderr=se)
                            for layer, (s, se) in slopes.items()]
        else:
            s, se = slopes["output"]
            comparisons.append(Comparison.at_least("SP output slope at step 3 (≥ 0.3)", 0.3, s, stderr=se))
    axes[0, -1].legend(fontsize=8)
    fig.tight_layout()
    artifacts = save_figure(fig, out_dir, "mup_coord_check")
    plt.close(fig)
    return FigureResult(comparisons=comparisons, artifacts=artifacts)
