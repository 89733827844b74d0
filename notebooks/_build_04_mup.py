"""Build notebooks/04_mup.ipynb (no outputs) with nbformat: `python3 notebooks/_build_04_mup.py`."""
from pathlib import Path

from _nbwrite import write_notebook

CELLS = [
    ("md", """# μP and learning-rate transfer

An **abc-parametrization** (Yang & Hu 2021, Tensor Programs IV, arXiv:2011.14522) writes every weight
as W = r^−a·w with w ~ N(0, σ²/fan_in₀·r^−2b) and trains w at learning rate η·r^−c, where r = n/n₀ is
the width relative to a base width. Under the standard parametrization (SP) the best η drifts down
as the network widens; under the maximal-update parametrization (μP) it converges, so η can be tuned
on a narrow network and reused on a wide one (Yang et al. 2022, Tensor Programs V, arXiv:2203.03466).
This notebook shows the parametrizations as data, a coordinate check, a small learning-rate sweep on
sklearn's digits, and the exact one-step theory of linear MLPs (Hayou 2025, arXiv:2511.01734)."""),
    ("code", """import tempfile
from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from widenets import mup
from widenets.mup import empirical

for p in (mup.SP, mup.NTP, mup.MUP, mup.MF):
    print(p.name.ljust(4), "input", p.input, "\\n     hidden", p.hidden, "\\n     output", p.output)"""),
    ("md", """Read in *effective* form at width n = 1024 with base width 64 (r = 16): the standard deviation of
the weights the network uses and the factor on the SGD learning rate. μP's effective table is TP V's
Table 3: init variance 1/d, 1/n, 1/n²; learning rate η·n, η, η/n (here relative to n₀)."""),
    ("code", """for p in (mup.SP, mup.NTP, mup.MUP):
    rows = [p.effective(role, 1024, 64, fan_in_base=64) for role in ("input", "hidden", "output")]
    print(p.name.ljust(4), "  ".join(f"{role}: std {s:.4f}, lr ×{lr:g}" for role, (s, lr) in zip(("input", "hidden", "output"), rows)))"""),
    ("md", """## 1. Coordinate check
Train MLPs 64 → n → n → 10 (zero-initialised readout) for three SGD steps at the same η and record the
mean |h| of every layer's output against the width. Under μP the log-log slopes stay ≈ 0; under SP
the output grows with the width, because the same η moves a wider layer further."""),
    ("code", """x, y = empirical.load_digits_data()
xb, yb = x[:128], y[:128]
widths = (64, 128, 256, 512)
checks = {name: empirical.coord_check(lambda n, name=name: mup.mlp(64, n, 10, name, 64, zero_output=True),
                                      widths, xb, yb, learning_rate=2.0**-4, steps=3, seeds=(0, 1))
          for name in ("sp", "mup")}
for name, cc in checks.items():
    print(name, {layer: f"{s:+.2f} ± {se:.2f}" for layer, (s, se) in cc.slopes(3).items()})
fig = checks["sp"].plot(title="SP")
fig = checks["mup"].plot(title="μP")"""),
    ("md", """## 2. A learning-rate sweep on digits
`run_sweep` trains every (width, log2 η, seed) of a grid, vmapped over learning rates and seeds with one
compilation per width, and writes the rows to a JSON Lines file as it goes (an interrupted sweep
resumes). Diverged runs are recorded with loss +∞. A small grid here; `widenets reproduce --only
mup_transfer` runs the full protocol (widths 64…1024, 3 seeds, 0.5 grid)."""),
    ("code", """tmp = Path(tempfile.mkdtemp())
grid = np.arange(-6.0, 0.1, 1.0)
tables = {name: empirical.run_sweep(tmp / f"{name}.jsonl", lambda n, name=name: empirical.digits_trainer(n, name),
                                     widths=(64, 256), log2_lrs=grid, seeds=(0, 1), steps=100, progress=False)
          for name in ("sp", "mup")}
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
for ax, (name, table) in zip(axes, tables.items()):
    for i, n in enumerate(table.widths):
        ax.plot(table.log2_lrs, empirical.seed_mean_loss(table)[i], "o-", label=f"n = {n}")
    ax.set_yscale("log"); ax.set_title(name); ax.set_xlabel("log2 η")
axes[0].legend()
for name, table in tables.items():
    print(name, "log2 η* per width:", empirical.optimal_log2_lr(table), " best loss:", np.round(empirical.best_loss(table).mean, 4))"""),
 ("md", """## 3. Theory: one GD step of a linear MLP
For f(x) = Vᵀ W_L ⋯ W_0 x with MSE, the loss after one full-batch GD step is an exact polynomial in
η at every width (`theory.one_step_loss_polynomial`). Its n → ∞ limit under μP (derived in
`widenets.mup.theory`) is the quadratic L_∞(η) = (1/2N)‖ηκ XXᵀY/N − Y‖² with
κ = σ^{2(L+1)}(1 + (L+1)n₀/d), so η*_n → η*_∞ = YᵀXXᵀY/(κ‖XXᵀY‖²/N) at rate n^−1/2; under SP,
η*_n ∝ 1/n → 0 (Hayou 2025 proves both statements)."""),
    ("code", """from widenets.mup import theory

rng = np.random.default_rng(0)
X = rng.standard_normal((16, 8))
Y = X @ rng.standard_normal(8) / np.sqrt(8) + 0.1 * rng.standard_normal(16)
widths = [64, 256, 1024]
polys = theory.sample_one_step_polynomials(jax.random.key(0), X, Y, 1, widths, n_seeds=8)
eta_inf = theory.limit_optimal_learning_rate(X, Y, 1)
print(f"η*_∞ (μP limit) = {eta_inf:.4f}")
for name, p in polys.items():
    optima = theory.optimal_learning_rate(p, 10 * eta_inf)  # (seeds, widths)
    print(name.ljust(3), "  ".join(f"n={n}: η* = {m:.4f} ± {s:.4f}" for n, m, s in
                                   zip(widths, optima.mean(0), optima.std(0, ddof=1) / np.sqrt(len(optima)))))"""),
]



if __name__ == "__main__":
    write_notebook(CELLS, Path(__file__).resolve().parent / "04_mup.ipynb")
