"""Convolutional kernels on real data: sklearn's digits, kernel regression and finite CNNs.

Figure ``convolutions``. A fixed, stratified train/test split of the 8×8 digits (standardised
pixels, one-hot targets; `widenets.mup.empirical.load_digits_data`), images (N, 8, 8, 1).

(a) **Kernel regression.** Test accuracy (argmax of the posterior mean) of the NNGP — GP
posterior mean `gp_inference(get='nngp')` with ``diag_reg = 1e-4`` (relative: 1e-4 · mean
diagonal) — and of the NTK — the t = ∞ mean of an infinite ensemble trained by gradient flow,
`gradient_descent_mse(t=None)`, unregularised (pseudo-inverse) — for five architectures, every
hidden layer ReLU with W_std = √2, readout W_std = 1, no biases:

- MLP: Flatten, 3 × [Dense, ReLU], Dense;
- CNN-GP: [Conv 3×3 SAME, ReLU] × 1 or × 3, Flatten, Dense (Novak et al. 2019,
  arXiv:1810.05148) — a Flatten readout only needs the spatial diagonal of the covariance
  (64 entries per pair of images);
- CNTK-GAP: [Conv 3×3 VALID, ReLU] × 2, GlobalAvgPool, Dense (Arora et al. 2019,
  arXiv:1904.11955) — pooling needs the full spatial covariance; VALID padding keeps it at
  6·6 × 6·6 and 4·4 × 4·4 entries instead of 8·8 × 8·8;
- Myrtle (8×8): [Conv 3×3 SAME, ReLU] at 8×8, AvgPool 2×2, the same at 4×4 and at 2×2, each
  followed by AvgPool 2×2, Flatten, Dense — Shankar et al. 2020 (arXiv:2003.02237)'s blocks with
  one convolution per resolution, since an 8×8 image allows three halvings.

Kernels are evaluated in float32 (the expensive part), the regressions in float64.

(b) **Finite CNNs.** The one-convolution CNN-GP architecture with C = 16, 64, 256 channels
(quick), NTK parameterisation, trained by full-batch gradient descent on ½·mean((f − y)²)
(`widenets.predict.empirical.train_mse`, optax) with η = η_max/2, η_max = `max_learning_rate`
of the infinite-width NTK on the training set, for T steps, M networks per width (more at the narrow
widths, where networks are cheap and vary most: 16, 8, 4 at quick scale), the first M = 4 averaged
into an ensemble. Each network is centred, f(θ, x) − f(θ₀, x) (Chizat et al. 2019,
arXiv:1812.07956; trained as f on the targets y + f(θ₀, x_train), which has the same gradient):
then the infinite-width limit of *each* trained network is the NTK mean
μ_T = Θ_td Θ⁻¹ (I − e^{−ηTΘ/|y|}) y (`gradient_descent_mse` at t = T; Lee et al. 2019,
arXiv:1902.06720), with no initial-function variance for the ensemble to average away. The
gradient-flow reference differs from discrete GD by at most ≈ 1/(2eT) per eigenmode at step T.
At quick scale (T = 200) the NTK mean's training loss is 0.0016 (3% of the initial 0.05) and its
test accuracy, 95.0%, is within one binomial SE of its t = ∞ value, 95.5%.

Comparisons (what the data support, and why):

- every convolutional kernel is *not worse* than the MLP kernel beyond the test set's
  resolution: Δacc ≥ −2 SE_Δ, SE_Δ the standard error of the mean of the paired per-example
  differences 1[conv right] − 1[MLP right] over the n_test images. On 8×8 digits the gains are
  small (0–3 points at 200 training images, about 1–2 SE_Δ), so a *strict* improvement is not
  asserted; the accuracies and SEs are in the plot and the notes;
- finite networks approach the kernel: the RMS distance of a single trained network's test
  outputs from μ_T is smaller at the largest width than at the smallest by more than 4 SE of the
  difference (networks independent; theory: O(C^{−1/2}) fluctuations, Lee et al. 2019);
- the M-network ensemble's RMS distance from μ_T is smaller at the largest width than at the
  smallest (the ensemble averages the O(C^{−1/2}) fluctuations; its O(1/C) mean shift remains);
- at the largest width the ensemble's test accuracy is within 2 binomial SEs,
  2·√(p(1−p)/n_test), of the NTK's at the same T: the resolution at which the test set tells two
  classifiers apart (here p is the NTK's accuracy).

Results are written to ``out_dir/results.json`` as they are computed (each kernel, each width);
a rerun with the same configuration reuses them.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from widenets import stax
from widenets.mup.empirical import load_digits_data
from widenets.predict import gp_inference, gradient_descent_mse, max_learning_rate
from widenets.predict.empirical import train_mse
from widenets.reproduce import Comparison, FigureResult, in_float64, register, save_figure
from widenets.reproduce import write_json_atomic

SCALES = {
    "quick": dict(n_train=200, n_test=400, widths=(16, 64, 256), n_nets=(16, 8, 4), ensemble=4, steps=200,
                  split_seed=0),
    "paper": dict(n_train=1000, n_test=740, widths=(16, 64, 256, 1024), n_nets=(32, 16, 8, 8), ensemble=8,
                  steps=1000, split_seed=0),
}
NNGP_DIAG_REG = 1e-4
LR_FRACTION = 0.5
FINITE_ARCH = "CNN-GP, 1 conv"
MLP = "MLP, 3 hidden"
S2 = math.sqrt(2.0)


def _conv_relu(n: int, padding: str = "SAME", channels: int = 1) -> list[stax.Layer]:
    return [layer for _ in range(n) for layer in (stax.Conv(channels, (3, 3), padding=padding, W_std=S2), stax.Relu())]


def architectures(channels: int = 1) -> dict[str, stax.Layer]:
    """The compared architectures (module docstring); ``channels`` is the width of hidden layers."""
    pool = stax.AvgPool((2, 2), strides=(2, 2))
    return {
        MLP: stax.serial(stax.Flatten(), *[layer for _ in range(3) for layer in (stax.Dense(channels, W_std=S2),
                                                                                  stax.Relu())], stax.Dense(10)),
        FINITE_ARCH: stax.serial(*_conv_relu(1, channels=channels), stax.Flatten(), stax.Dense(10)),
        "CNN-GP, 3 conv": stax.serial(*_conv_relu(3, channels=channels), stax.Flatten(), stax.Dense(10)),
        "CNTK-GAP, 2 conv": stax.serial(*_conv_relu(2, "VALID", channels), stax.GlobalAvgPool(), stax.Dense(10)),
        "Myrtle (8×8)": stax.serial(*_conv_relu(1, channels=channels), pool, *_conv_relu(1, channels=channels), pool,
                                    *_conv_relu(1, channels=channels), pool, stax.Flatten(), stax.Dense(10)),
    }


def digits_split(n_train: int, n_test: int, seed: int) -> tuple[np.ndarray, ...]:
    """Stratified split: per class, a seeded permutation gives n/10 training then n/10 test images.

    Returns ``(x_train, y_train, x_test, y_test)``: float32 images (N, 8, 8, 1), one-hot targets.
    """
    if n_train % 10 or n_test % 10:
        raise ValueError(f"n_train and n_test must be multiples of 10 (stratified), got {n_train}, {n_test}.")
    x, y = load_digits_data(np.float32)
    labels = np.argmax(y, axis=1)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if len(idx) < (n_train + n_test) // 10:
            raise ValueError(f"class {c} has {len(idx)} images, fewer than {(n_train + n_test) // 10}.")
        train.append(idx[: n_train // 10])
        test.append(idx[n_train // 10: (n_train + n_test) // 10])
    train, test = np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
    images = x.reshape(-1, 8, 8, 1)
    return images[train], y[train], images[test], y[test]


def binomial_se(p: float, n: int) -> float:
    """√(p(1 − p)/n): the standard error of an accuracy p measured on n examples."""
    return math.sqrt(max(p * (1.0 - p), 0.0) / n)


def paired_difference(right_a: np.ndarray, right_b: np.ndarray) -> tuple[float, float]:
    """Mean and SE of d_i = 1[a right] − 1[b right] over the same test examples."""
    d = np.asarray(right_a, float) - np.asarray(right_b, float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def _f64(k: Any) -> np.ndarray:
    return np.asarray(k, np.float64)


def kernel_predictions(layer: stax.Layer, x_train, y_train, x_test) -> tuple[dict[str, np.ndarray], dict]:
    """Test means of the NNGP posterior and the t = ∞ NTK ensemble (module docstring), and the
    float64 kernels."""
    k_dd = layer.kernel_fn(x_train, None, get=("nngp", "ntk"))
    k_td = layer.kernel_fn(x_test, x_train, get=("nngp", "ntk"))
    kernels = {g: (_f64(getattr(k_dd, g)), _f64(getattr(k_td, g))) for g in ("nngp", "ntk")}
    y = np.asarray(y_train, np.float64)
    nngp = gp_inference(kernels["nngp"][0], y, diag_reg=NNGP_DIAG_REG)(get="nngp", k_test_train=kernels["nngp"][1])
    ntk = gradient_descent_mse(kernels["ntk"][0], y)(t=None, fx_train_0=None, fx_test_0=0.0,
                                                     k_test_train=kernels["ntk"][1])
    return {"nngp": np.asarray(nngp), "ntk": np.asarray(ntk)}, kernels


def train_finite_ensemble(width: int, n_nets: int, x_train, y_train, x_test, steps, learning_rate: float,
                          key: jax.Array):
    """Centred test and training outputs f_t − f_0, (M, T, N, 10), of M ``FINITE_ARCH`` networks of
    ``width`` channels trained by full-batch GD (`train_mse`, float32 networks, keys ``split(key, M)``).

    Centring: GD on ½·mean((f(θ) − f(θ₀) − y)²) has the gradient of ½·mean((f(θ) − y′)²) with
    y′ = y + f(θ₀, x_train), so each network is trained on its own shifted targets y′ and its
    initial outputs (the logged step 0) are subtracted — the same trajectory as the centred
    network's, without a second forward pass per step.
    """
    init_fn, apply_fn, _ = architectures(width)[FINITE_ARCH]
    with jax.enable_x64(False):  # float32 networks, float32 arithmetic throughout
        x_tr, y_tr, x_te = jnp.float32(x_train), jnp.float32(y_train), jnp.float32(x_test)
        f_test, f_train = [], []
        for k in jax.random.split(key, n_nets):
            params = init_fn(k, x_tr.shape)[1]
            shifted = y_tr + apply_fn(params, x_tr)
            traj = train_mse(apply_fn, params, x_tr, shifted, list(steps), learning_rate, x_te)
            f_test.append(np.asarray(traj.fx_test - traj.fx_test[:1], np.float64))
            f_train.append(np.asarray(traj.fx_train - traj.fx_train[:1], np.float64))
    return np.stack(f_test), np.stack(f_train)


class _Results:
    """``out_dir/results.json``: rewritten after every entry; reused when the configuration matches."""

    def __init__(self, path: Path, config: dict):
        self.path, self.data = path, {"config": config, "kernels": {}, "finite": {}}
        if path.exists():
            old = json.loads(path.read_text())
            if old.get("config") == config:
                self.data = old

    def get(self, section: str, key: str):
        return self.data[section].get(key)

    def put(self, section: str, key: str, value: dict) -> None:
        self.data[section][key] = value
        write_json_atomic(self.path, self.data)


def _rms(a: np.ndarray, b: np.ndarray, axis=None) -> np.ndarray:
    return np.sqrt(np.mean((a - b) ** 2, axis=axis))


@register("convolutions", "Conv kernels on digits (CNN-GP, CNTK, Myrtle vs MLP) and finite CNNs → NTK")
@in_float64
def convolutions(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    out_dir = Path(out_dir)
    results = _Results(out_dir / "results.json", {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()})
    x_train, y_train, x_test, y_test = digits_split(cfg["n_train"], cfg["n_test"], cfg["split_seed"])
    labels, n_test = np.argmax(y_test, axis=1), cfg["n_test"]

    # (a) kernel regression
    finite_kernels = None
    for name, layer in architectures().items():
        if results.get("kernels", name) is not None and name != FINITE_ARCH:
            continue
        start = time.perf_counter()
        means, kernels = kernel_predictions(layer, x_train, y_train, x_test)
        if name == FINITE_ARCH:
            finite_kernels = kernels["ntk"]
            if results.get("kernels", name) is not None:
                continue
        preds = {g: np.argmax(m, axis=1) for g, m in means.items()}
        results.put("kernels", name, {
            **{f"acc_{g}": float(np.mean(p == labels)) for g, p in preds.items()},
            **{f"pred_{g}": p.tolist() for g, p in preds.items()},
            "seconds": time.perf_counter() - start,
        })
    kernel_res = results.data["kernels"]

    # (b) finite CNNs vs the NTK mean at the same step
    ntk_dd, ntk_td = finite_kernels
    lr = LR_FRACTION * float(max_learning_rate(ntk_dd, y_train.size))
    steps = np.unique(np.linspace(0, cfg["steps"], 9).astype(int))
    ref_train, ref_test = gradient_descent_mse(ntk_dd, np.asarray(y_train, np.float64), learning_rate=lr)(
        t=steps.astype(float), fx_train_0=0.0, fx_test_0=0.0, k_test_train=ntk_td)
    ref_train, ref_test = np.asarray(ref_train), np.asarray(ref_test)
    ref_last = ref_test[-1]
    ref_right = np.argmax(ref_last, axis=1) == labels
    ref_acc = float(ref_right.mean())
    for i, width in enumerate(cfg["widths"]):
        if results.get("finite", str(width)) is not None:
            continue
        start = time.perf_counter()
        f_test, f_train = train_finite_ensemble(width, cfg["n_nets"][i], x_train, y_train, x_test, steps, lr,
                                                jax.random.fold_in(jax.random.key(7), i))
        ens = f_test[: cfg["ensemble"], -1].mean(axis=0)
        results.put("finite", str(width), {
            "rms_single": _rms(f_test[:, -1], ref_last[None], axis=(1, 2)).tolist(),
            "rms_ensemble": float(_rms(ens, ref_last)),
            "acc_single": np.mean(np.argmax(f_test[:, -1], axis=-1) == labels, axis=1).tolist(),
            "acc_ensemble": float(np.mean(np.argmax(ens, axis=1) == labels)),
            "pred_ensemble": np.argmax(ens, axis=1).tolist(),
            "train_loss": (0.5 * np.mean((f_train - np.asarray(y_train)[None, None]) ** 2, axis=(0, 2, 3))).tolist(),
            "seconds": time.perf_counter() - start,
        })
    finite = {w: results.get("finite", str(w)) for w in cfg["widths"]}

    # comparisons
    comparisons = []
    mlp_right = {g: np.asarray(kernel_res[MLP][f"pred_{g}"]) == labels for g in ("nngp", "ntk")}
    for name, res in kernel_res.items():
        if name == MLP:
            continue
        for g in ("nngp", "ntk"):
            diff, se = paired_difference(np.asarray(res[f"pred_{g}"]) == labels, mlp_right[g])
            comparisons.append(Comparison.at_least(
                f"{g.upper()} test accuracy: {name} − {MLP} ≥ −2 SE_Δ (paired, n_test={n_test})",
                -2 * se, diff, stderr=se))
    w_lo, w_hi = cfg["widths"][0], cfg["widths"][-1]
    single = {w: np.asarray(finite[w]["rms_single"]) for w in cfg["widths"]}
    se_single = {w: s.std(ddof=1) / math.sqrt(s.size) for w, s in single.items()}
    gap, gap_se = single[w_lo].mean() - single[w_hi].mean(), math.hypot(se_single[w_lo], se_single[w_hi])
    acc_se = binomial_se(ref_acc, n_test)
    comparisons += [
        Comparison.at_least(f"single-net RMS distance to the NTK mean at step {steps[-1]}: C={w_lo} − C={w_hi} "
                            f"(> 4 SE; {cfg['n_nets'][0]} and {cfg['n_nets'][-1]} nets)",
                            4 * gap_se, gap, stderr=gap_se),
        Comparison.at_most(f"ensemble RMS distance to the NTK mean: C={w_hi} ≤ C={w_lo}",
                           finite[w_lo]["rms_ensemble"], finite[w_hi]["rms_ensemble"]),
        Comparison.within_abs(f"ensemble test accuracy at C={w_hi} vs NTK at step {steps[-1]} (2 binomial SE)",
                              ref_acc, finite[w_hi]["acc_ensemble"], 2 * acc_se, stderr=acc_se),
    ]

    # plot
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), gridspec_kw={"width_ratios": [1.6, 1, 1]})
    ax = axes[0]
    names = list(kernel_res)
    pos = np.arange(len(names))
    for j, (g, color) in enumerate((("nngp", "tab:blue"), ("ntk", "tab:orange"))):
        acc = np.array([kernel_res[n][f"acc_{g}"] for n in names])
        err = [binomial_se(a, n_test) for a in acc]
        ax.bar(pos + (j - 0.5) * 0.38, acc, 0.38, yerr=err, capsize=3, color=color, label=g.upper())
        for p, a in zip(pos, acc):
            ax.text(p + (j - 0.5) * 0.38, a + 0.012, f"{100 * a:.1f}", ha="center", fontsize=7)
    ax.set_xticks(pos, names, fontsize=8, rotation=12)
    lo = min(kernel_res[n][f"acc_{g}"] for n in names for g in ("nngp", "ntk"))
    ax.set_ylim(max(0.0, lo - 0.08), 1.0)
    ax.set_ylabel(f"test accuracy (± 1 binomial SE, n_test = {n_test})")
    ax.set_title(f"(a) kernel regression on digits, {cfg['n_train']} training images")
    ax.legend(fontsize=8, loc="lower right")

    widths = np.asarray(cfg["widths"])
    ax = axes[1]
    ax.errorbar(widths, [single[w].mean() for w in widths], yerr=[2 * se_single[w] for w in widths], fmt="o-",
                capsize=3, label="single network (mean ± 2 SE)")
    ens_rms = [finite[w]["rms_ensemble"] for w in widths]
    ax.plot(widths, ens_rms, "s-", label=f"ensemble of {cfg['ensemble']}")
    ax.plot(widths, single[w_lo].mean() * (widths / w_lo) ** -0.5, "k:", label="∝ C^−1/2")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("channels C")
    ax.set_ylabel("RMS(test outputs − NTK mean)")
    ax.set_title(f"(b) {FINITE_ARCH}: distance to the NTK, step {steps[-1]}")
    ax.legend(fontsize=8)

    ax = axes[2]
    ax.axhspan(ref_acc - 2 * acc_se, ref_acc + 2 * acc_se, color="gray", alpha=0.2, label="NTK ± 2 binomial SE")
    ax.axhline(ref_acc, color="k", lw=1.5, label=f"NTK, step {steps[-1]} ({100 * ref_acc:.1f}%)")
    ax.axhline(kernel_res[FINITE_ARCH]["acc_ntk"], color="k", ls="--", lw=1,
               label=f"NTK, t = ∞ ({100 * kernel_res[FINITE_ARCH]['acc_ntk']:.1f}%)")
    acc_single = {w: np.asarray(finite[w]["acc_single"]) for w in widths}
    ax.errorbar(widths, [acc_single[w].mean() for w in widths],
                yerr=[2 * acc_single[w].std(ddof=1) / math.sqrt(acc_single[w].size) for w in widths],
                fmt="o-", capsize=3, label="single network (mean ± 2 SE)")
    ax.plot(widths, [finite[w]["acc_ensemble"] for w in widths], "s-", label=f"ensemble of {cfg['ensemble']}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("channels C")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"(c) finite CNNs (GD, η = η_max/2, {steps[-1]} steps) vs NTK")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    artifacts = save_figure(fig, out_dir, "convolutions")
    plt.close(fig)

    ref_loss = 0.5 * np.mean((ref_train[-1] - np.asarray(y_train, np.float64)) ** 2)
    notes = "; ".join(
        [f"{n}: NNGP {100 * r['acc_nngp']:.2f}%, NTK {100 * r['acc_ntk']:.2f}% ({r['seconds']:.0f} s)"
         for n, r in kernel_res.items()]
        + [f"η = {lr:.4g} (η_max/2), NTK at step {steps[-1]}: acc {100 * ref_acc:.2f}%, train loss {ref_loss:.3g}"]
        + [f"C={w}: single RMS {single[w].mean():.4f} ± {se_single[w]:.4f}, ensemble RMS "
           f"{finite[w]['rms_ensemble']:.4f}, ensemble acc {100 * finite[w]['acc_ensemble']:.2f}%, train loss "
           f"{finite[w]['train_loss'][-1]:.3g} ({finite[w]['seconds']:.0f} s)" for w in widths])
    return FigureResult(comparisons=comparisons, artifacts=artifacts + [results.path], notes=notes)
