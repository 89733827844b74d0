"""Learning-rate transfer on real data (docs/theory/mup.md; TP V arXiv:2203.03466).

sklearn's digits, MLP 64 → n → n → 10, ReLU, MSE on one-hot targets, SGD with batch 128 for 100
steps, base width 64, widths 64…1024, 3 seeds, log2 η on a 0.5 grid. Claims:

* μP: the optimal log2 η* does not move with the width: |slope on log2 n| ≤ 0.25 and
  |Δ| ≤ 1 between widths 64 and 1024;
* SP: η* drifts down, slope ≤ −0.5 (a pilot run of this set-up measured −0.95);
* μP: the best loss improves with the width (width 1024 below width 64 by more than 4 SE).

The LR grids are wide enough that no optimum sits on a grid edge (asserted), so the argmins are
measured rather than clipped. The sweeps run through `run_sweep` (vmapped over learning rates
and seeds, one compile per width).
"""
import numpy as np
import pytest

from widenets.mup.empirical import best_loss, digits_trainer, lr_drift, lr_slope, optimal_log2_lr, run_sweep

WIDTHS = (64, 128, 256, 512, 1024)
SEEDS = (0, 1, 2)
GRIDS = {"sp": np.arange(-7.0, 0.01, 0.5), "mup": np.arange(-3.0, 0.51, 0.5)}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweeps")
    return {name: run_sweep(out / f"{name}.jsonl", lambda n, name=name: digits_trainer(n, name, base_width=64),
                            WIDTHS, GRIDS[name], SEEDS, steps=100, progress=False)
            for name in ("sp", "mup")}


def _report(table):
    return f"log2 η* = {optimal_log2_lr(table).tolist()}, best loss = {np.round(best_loss(table).mean, 4).tolist()}"


@pytest.mark.slow
def test_optima_are_inside_the_grids(tables):
    for name, table in tables.items():
        opt = optimal_log2_lr(table)
        assert np.all(opt > table.log2_lrs[0]) and np.all(opt < table.log2_lrs[-1]), f"{name}: {_report(table)}"


@pytest.mark.slow
def test_mup_transfers(tables):
    fit = lr_slope(tables["mup"])
    drift = lr_drift(tables["mup"])
    assert abs(fit.slope) <= 0.25, f"μP slope {fit.slope:+.3f} ± {fit.se:.3f}; {_report(tables['mup'])}"
    assert abs(drift) <= 1.0, f"μP drift {drift}; {_report(tables['mup'])}"


@pytest.mark.slow
def test_sp_optimum_drifts_down(tables):
    fit = lr_slope(tables["sp"])
    assert fit.slope <= -0.5, f"SP slope {fit.slope:+.3f} ± {fit.se:.3f}; {_report(tables['sp'])}"


@pytest.mark.slow
def test_mup_best_loss_improves_with_width(tables):
    best = best_loss(tables["mup"])
    gain, se = best.mean[0] - best.mean[-1], np.hypot(best.se[0], best.se[-1])
    assert gain > 4 * se, f"μP best loss {best.mean.tolist()} ± {best.se.tolist()}"
