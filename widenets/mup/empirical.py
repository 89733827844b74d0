"""μP, measured: coord checks, width × learning-rate × seed sweeps and their metrics.

* `coord_check` — per-layer activation sizes over the first steps against the width, with
  fitted log-log slopes (TP V, arXiv:2203.03466, §D.1): ≈ 0 under μP, growing under SP.
* `run_sweep` / `load_sweep` — grids of (width, log2 η, seed), one compiled, vmapped call per
  width, the JSON Lines results file rewritten atomically after each chunk, so an interrupted
  sweep resumes;
  diverged runs are recorded with loss +inf.
* `optimal_log2_lr`, `lr_drift`, `lr_slope`, `best_loss` — the transfer metrics.
* `digits_trainer`, `load_digits_data` — the CPU-size demonstration of docs/theory/mup.md: sklearn's
  digits, MLP 64 → n → n → 10, ReLU, MSE on one-hot targets, SGD with batch 128.
"""
from ._coord_check import CoordCheck as CoordCheck
from ._coord_check import coord_check as coord_check
from ._digits import load_digits_data as load_digits_data
from ._digits import mse_loss as mse_loss
from ._digits_trainer import digits_trainer as digits_trainer
from ._metrics import BestLoss as BestLoss
from ._metrics import SlopeFit as SlopeFit
from ._metrics import best_loss as best_loss
from ._metrics import lr_drift as lr_drift
from ._metrics import lr_slope as lr_slope
from ._metrics import optimal_log2_lr as optimal_log2_lr
from ._metrics import seed_mean_loss as seed_mean_loss
from ._sweep import SweepTable as SweepTable
from ._sweep import load_sweep as load_sweep
from ._sweep import run_sweep as run_sweep
from ._trainer import Trainer as Trainer
from ._trainer import train as train
