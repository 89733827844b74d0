"""Finite-width corrections: theory vs ensembles of finite networks at initialisation.

Three figures (docs/theory/finite-width.md; Roberts, Yaida & Hanin, *The Principles of Deep Learning
Theory*, arXiv:2106.10165, ch. 4; Antognini 2019, arXiv:1908.10030; Hanin & Nica 2019,
arXiv:1909.05989):

- ``edgeworth_histogram`` — the output of a one-hidden-layer ReLU network of width 4, 8 and 32:
  histogram of Monte-Carlo samples against the Gaussian (NNGP) density and the Edgeworth densities
  to O(1/n) and O(1/n²). Compared: the exact κ4 and γ₂ (4 SE), and the probability of a central
  interval, P(|y| ≤ √K/2), under the O(1/n²) Edgeworth density (4 SE + the size of the last
  included correction, a stated truncation term) where γ₂ ≤ 2; at width 4 (γ₂ = 3.75) the
  truncated series is shown failing, as an asymptotic series does at O(1) expansion parameter.
- ``kurtosis_depth`` — n·γ₂ of a preactivation vs depth for tanh at criticality
  (C_W = 1, C_b = 0) at several widths, against the recursion's 3V/K². Compared: the 1/n
  coefficient fitted over widths (γ̂(n) = a/n + b/n²) at three depths, within 4 SE plus the
  shift of a when a 1/n³ term is added to the fit.
- ``ntk_fluctuations`` — Var Θ / E[Θ]² of the NTK diagonal of ReLU networks (C_W = 2, NTK
  parameterisation) against L/n, several widths. No constant is asserted (the literature gives
  none that holds here: Hanin & Nica 2019 bound it up to constants); the fitted slope is reported. Compared: E[Θ] against the
  infinite-width NTK (4 SE; for ReLU the forward and backward second moments are exact at every
  width, so no bias term is added).
"""
from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from widenets import duals, stax
from widenets.edgeworth import empirical, theory
from widenets.reproduce import Comparison, FigureResult, in_float64, register, save_figure

SCALES = {
    "quick": dict(
        hist_networks=200_000, hist_widths=(4, 8, 32),
        kurt_widths=(16, 32, 64, 128, 256), kurt_networks=20_000, kurt_depth=9,
        ntk_widths=(16, 32, 64), ntk_depths=(1, 2, 4, 6), ntk_networks=1000,
    ),
    "paper": dict(
        hist_networks=2_000_000, hist_widths=(4, 8, 32),
        kurt_widths=(16, 32, 64, 128, 256, 512), kurt_networks=200_000, kurt_depth=12,
        ntk_widths=(16, 32, 64, 128), ntk_depths=(1, 2, 4, 6, 8, 12), ntk_networks=10_000,
    ),
}
N_SE = 4.0
# The Edgeworth series is asymptotic in 1/n: at γ₂ = O(1) the truncated series over-corrects
# (ReLU, width 4, γ₂ = 3.75: its log-likelihood on samples is below the Gaussian's). Densities are
# compared only where γ₂ ≤ MAX_GAMMA2; the exact cumulants are compared at every width.
MAX_GAMMA2 = 2.0


def _key(*ints: int) -> jax.Array:
    key = jax.random.PRNGKey(4)
    for i in ints:
        key = jax.random.fold_in(key, i)
    return key


def _unit_input(d: int = 4) -> jax.Array:
    """One input with |x|²/d = 1."""
    return jnp.ones((1, d), jnp.float64)


@register("edgeworth_histogram", "Output of a narrow one-hidden-layer ReLU net: MC vs Gaussian vs Edgeworth")
@in_float64
def edgeworth_histogram(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    x = _unit_input()
    dual, law, c_w = duals.relu(), theory.gaussian_weights(), 2.0
    comparisons, notes = [], []
    fig, axes = plt.subplots(1, len(cfg["hist_widths"]), figsize=(15, 4))
    for ax, n in zip(np.atleast_1d(axes), cfg["hist_widths"]):
        exact = theory.one_hidden_layer(x, dual, n, C_W=c_w, C_b=0.0, law=law)
        k, g2, k6 = float(exact.K[0, 0]), float(exact.gamma2[0]), float(exact.kappa6[0])
        y = empirical.sample_one_hidden_layer(_key(1, n), x, dual, n, C_W=c_w, C_b=0.0, law=law,
                                              n_networks=cfg["hist_networks"])[:, 0]
        k4_mc, g2_mc = empirical.fourth_cumulant(y), empirical.excess_kurtosis(y)
        m = cfg["hist_networks"]
        comparisons += [
            Comparison.within_se(f"κ4, width {n} (exact), M={m}", float(exact.kappa4[0, 0, 0, 0]),
                                 k4_mc.value, k4_mc.stderr, n_se=N_SE),
            Comparison.within_se(f"γ₂, width {n} (exact), M={m}", g2, g2_mc.value, g2_mc.stderr,
                                 n_se=N_SE),
        ]
        # P(|y| ≤ c) under the O(1/n²) density; truncation = the size of the O(1/n²) terms
        c = 0.5 * math.sqrt(k)
        y_np = np.asarray(y)
        frac = float(np.mean(np.abs(y_np) <= c))
        frac_se = math.sqrt(frac * (1 - frac) / y_np.size)

        def prob(order: int) -> float:
            cdf = theory.edgeworth_cdf(jnp.asarray([-c, c]), k, g2, kappa6=k6, order=order)
            return float(cdf[1] - cdf[0])

        p1, p2 = prob(1), prob(2)
        gauss = math.erf(c / math.sqrt(2 * k))
        if g2 <= MAX_GAMMA2:  # the series is asymptotic: compare only where γ₂ is small
            comparisons.append(Comparison.within_abs(
                f"P(|y| ≤ √K/2), width {n}: Edgeworth O(1/n²) (tol 4 SE + |O(1/n²) terms|)",
                p2, frac, N_SE * frac_se + abs(p2 - p1)))
        notes.append(f"width {n}: P(|y| ≤ √K/2) MC {frac:.4f} ± {frac_se:.4f}, Gaussian {gauss:.4f}, "
                     f"Edgeworth O(1/n) {p1:.4f}, O(1/n²) {p2:.4f}")
        # plot
        lim = 4 * math.sqrt(k)
        grid = np.linspace(-lim, lim, 401)
        ax.hist(y_np, bins=160, range=(-lim, lim), density=True, color="0.8", label=f"MC, M = {m}")
        ax.plot(grid, np.exp(-grid**2 / (2 * k)) / math.sqrt(2 * math.pi * k), "k--", label="Gaussian (NNGP)")
        ax.plot(grid, np.asarray(theory.edgeworth_pdf(grid, k, g2)), "C0", label="Edgeworth O(1/n)")
        ax.plot(grid, np.asarray(theory.edgeworth_pdf(grid, k, g2, kappa6=k6, order=2)), "C3",
                label="Edgeworth O(1/n²)")
        ax.set_yscale("log")
        ax.set_ylim(1e-4 / math.sqrt(k), None)
        ax.set_title(f"ReLU, one hidden layer, width {n}: γ₂ = {g2:.2f}")
        ax.set_xlabel("network output y")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return FigureResult(comparisons=comparisons, notes="; ".join(notes),
                        artifacts=save_figure(fig, out_dir, "edgeworth_histogram"))


@register("kurtosis_depth", "n·γ₂ vs depth for tanh at criticality: finite widths vs the 4-point vertex recursion")
@in_float64
def kurtosis_depth(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    dual, c_w = duals.tanh(), 1.0
    depth, widths = cfg["kurt_depth"], cfg["kurt_widths"]
    x = _unit_input()
    layers = np.arange(1, depth + 2)  # z¹ … z^{depth+1}
    values = np.zeros((len(widths), len(layers)))
    errors = np.zeros_like(values)
    th = theory.mlp_cumulants(x, dual, (widths[0],) * depth, C_W=c_w, C_b=0.0)
    predicted = widths[0] * np.asarray(th.gamma2[:, 0])  # 3V/K², the same for every width
    for i, n in enumerate(widths):
        zs = empirical.sample_preactivations(_key(2, n), x, dual, (n,) * depth, C_W=c_w, C_b=0.0,
                                             n_networks=cfg["kurt_networks"], n_out=16, keep=16,
                                             method="gram")
        for j, z in enumerate(zs):
            est = empirical.excess_kurtosis(z[..., 0])
            values[i, j], errors[i, j] = float(est.value), float(est.stderr)
    comparisons = []
    for ell in (3, 6, depth + 1):
        j = ell - 1
        fit = empirical.fit_inverse_width(widths, values[:, j], errors[:, j])
        comparisons.append(Comparison.within_abs(
            f"1/n coefficient of γ₂ at layer {ell} (tol 4 SE + 1/n³ fit shift)",
            predicted[j], fit.leading, N_SE * fit.leading_stderr + fit.truncation))
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.plot(layers, predicted, "k-", lw=2, label="3V/K² (recursion)")
    colors = plt.cm.viridis(np.linspace(0.1, 0.85, len(widths)))
    for i, (n, color) in enumerate(zip(widths, colors)):
        ax.errorbar(layers + 0.05 * i, n * values[i], yerr=2 * n * errors[i], fmt="o", ms=3,
                    color=color, label=f"n = {n}")
    ax.set_xlabel("layer ℓ")
    ax.set_ylabel("n · γ₂(z^ℓ)")
    ax.set_title("tanh at criticality: excess kurtosis × width (MC ± 2 SE)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "kurtosis_depth"))


@register("ntk_fluctuations", "NTK relative variance of ReLU nets vs depth/width")
@in_float64
def ntk_fluctuations(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    x = jnp.ones((4,), jnp.float64)
    comparisons, rows = [], []
    for n in cfg["ntk_widths"]:
        for depth in cfg["ntk_depths"]:
            fl = empirical.ntk_fluctuations(_key(3, n, depth), x, depth, n,
                                            n_networks=cfg["ntk_networks"])
            rows.append((n, depth, float(fl.relative_variance.value), float(fl.relative_variance.stderr),
                         float(fl.mean.value), float(fl.mean.stderr)))
    for n, depth, _, _, mean, se in rows:
        if n == cfg["ntk_widths"][-1]:
            layers = [stax.Dense(n, W_std=math.sqrt(2.0), b_std=0.0), stax.Relu()] * depth
            net = stax.serial(*layers, stax.Dense(1, W_std=math.sqrt(2.0), b_std=0.0))
            analytic = float(net.kernel_fn(x[None], None, "ntk")[0, 0])
            comparisons.append(Comparison.within_se(f"E[Θ(x,x)], ReLU, n={n}, L={depth}", analytic,
                                                    mean, se, n_se=N_SE))
    data = np.array([(n, d, v, s) for n, d, v, s, _, _ in rows])
    ratio = data[:, 1] / data[:, 0]
    slope, intercept = np.polyfit(ratio, data[:, 2], 1, w=1 / data[:, 3])
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    colors = plt.cm.viridis(np.linspace(0.1, 0.85, len(cfg["ntk_widths"])))
    for n, color in zip(cfg["ntk_widths"], colors):
        sel = data[:, 0] == n
        ax.errorbar(ratio[sel], data[sel, 2], yerr=2 * data[sel, 3], fmt="o-", ms=3, color=color,
                    label=f"n = {n}")
    r = np.linspace(0, ratio.max(), 50)
    ax.plot(r, intercept + slope * r, "k:", label=f"weighted LS line, slope {slope:.2f}")
    ax.set_xlabel("L / n")
    ax.set_ylabel("Var Θ(x,x) / E[Θ(x,x)]²")
    ax.set_title("ReLU, C_W = 2: NTK fluctuations grow with L/n (MC ± 2 SE)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    notes = "measured curve: " + "; ".join(f"n={n} L={d}: {v:.4f}±{s:.4f}" for n, d, v, s, _, _ in rows)
    notes += f"; weighted slope in L/n: {slope:.3f}"
    return FigureResult(comparisons=comparisons, notes=notes,
                        artifacts=save_figure(fig, out_dir, "ntk_fluctuations"))
