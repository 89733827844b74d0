"""Controlled ResNets vs neural signature kernels, and the signature-kernel PDE schemes.

Cirone, Lemercier & Salvi 2023 (arXiv:2303.17671): a random controlled ResNet
Z_{k+1} = Z_k + Σ_i (A_i φ(Z_k) + b_i) Δx_i^k of width N, one step per path increment, has a
readout covariance that tends, as N → ∞ and the grid is refined, to the neural signature kernel.
The error splits exactly into a width part and a discretisation part,

    MC(N, steps) − K_cont = [MC − K_grid] + [K_grid − K_cont],

K_grid = `controlled_resnet_limit_kernel` (the N → ∞ limit at the network's depth: the explicit
PDE scheme at refinement 0 for shared weights, Euler along the diagonal for fresh weights).

Figure ``signature_resnet`` (ReLU and Erf; three smooth sinusoid paths in d = 2, scale 0.4):
(a) MC mean ± 2 SE of K(x₁, x₂) against width (shared weights, 8 steps), with K_grid and K_cont;
(b) |MC − K_grid| on the diagonal against width for fresh weights, Erf with σ_A = 2.5 (a bias
    large enough to resolve), with the SE-weighted fitted exponent (theory: −1);
(c) |K_grid − K_cont| against steps for both activations and both weight schemes, with fitted
    exponents (theory: −1), and MC errors |MC − K_cont| ± 2 SE at the largest width.
Comparisons: MC vs K_grid (4 SE); MC vs K_cont within 4 SE + the computed discretisation term
|K_grid − K_fine| + |K_fine − K_fine'| (second-order scheme at refinements λ and λ − 1); the
fitted exponents (width: 4 SE of the fit; steps: within 0.15 of −1, first-order schemes).

Figure ``signature_pde_schemes``: the signature kernel of two paths by the Goursat PDE
(Salvi et al. 2021, arXiv:2006.14794) against refinement λ for both schemes, against the
truncated-signature kernel (depth 16; tail ≤ Σ_{n>16}(ℓ_x ℓ_y)^n/(n!)² ≈ 0): fitted slopes of log₂
error (theory: −2 second order, −1 explicit).
"""
from __future__ import annotations

import math
from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from widenets import duals
from widenets.reproduce import Comparison, FigureResult, in_float64, register, save_figure
from widenets.signature import theory
from widenets.signature.empirical import controlled_resnet_kernel_mc, controlled_resnet_limit_kernel

SCALES = {
    "quick": dict(widths=(32, 128, 512), n_nets=32, bias_widths=(4, 8, 16), bias_nets=3000,
                  steps_factors=(1, 2, 4, 8), mc_depth_factors=(2,), lambdas=(0, 1, 2, 3, 4, 5)),
    "paper": dict(widths=(64, 256, 1024, 4096), n_nets=256, bias_widths=(4, 8, 16, 32, 64),
                  bias_nets=40000, steps_factors=(1, 2, 4, 8, 16, 32), mc_depth_factors=(1, 2, 4, 8),
                  lambdas=(0, 1, 2, 3, 4, 5, 6, 7)),
}
ACTIVATIONS = {"ReLU": duals.relu, "Erf": duals.erf}
FINE_LAMBDA = 5  # K_fine: second order on 4 · 2⁵ = 128 steps (K_fine' at λ = 4)


def sinusoid_paths(n_points: int, n_paths: int = 3, scale: float = 0.4) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n_points)
    return np.stack([scale * np.stack([np.sin(2 * t + p), np.cos(3 * t - p)], -1)
                     for p in np.linspace(0.0, 2.0, n_paths)])


def refine(x: np.ndarray, factor: int) -> np.ndarray:
    """The same piecewise-linear paths with every segment split into ``factor`` pieces."""
    s = np.linspace(0.0, 1.0, factor + 1)[:-1]
    seg = (x[:, :-1, None, :] + s[None, None, :, None] * np.diff(x, axis=1)[:, :, None, :])
    return np.concatenate([seg.reshape(x.shape[0], -1, x.shape[2]), x[:, -1:]], axis=1)


def fit_slope(x, y, sigma=None) -> tuple[float, float]:
    """(Weighted) least-squares slope of log y on log x, and its SE when σ(log y) is given."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    w = np.ones_like(lx) if sigma is None else 1.0 / np.asarray(sigma, float) ** 2
    xm, ym = np.sum(w * lx) / w.sum(), np.sum(w * ly) / w.sum()
    sxx = np.sum(w * (lx - xm) ** 2)
    return float(np.sum(w * (lx - xm) * (ly - ym)) / sxx), (float(np.sqrt(1 / sxx)) if sigma is not None else math.nan)


def continuous(paths, dual, homogeneous):
    """(K_fine, |K_fine − K_fine'|): second order at refinements FINE_LAMBDA and FINE_LAMBDA − 1."""
    fine, coarse = (np.asarray(theory.neural_signature_kernel_gram(paths, dual=dual, homogeneous=homogeneous,
                                                                   refinement=lam))
                    for lam in (FINE_LAMBDA, FINE_LAMBDA - 1))
    return fine, np.abs(fine - coarse)


@register("signature_resnet", "Controlled ResNets vs neural signature kernels: width and depth")
@in_float64
def signature_resnet(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    paths = sinusoid_paths(5)  # 4 segments
    comparisons = []
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    colors = {"ReLU": "tab:blue", "Erf": "tab:orange"}

    # (a) width sweep, shared weights, 8 steps, entry K(x1, x2)
    ax = axes[0]
    x8 = refine(paths, 2)
    for name, make in ACTIVATIONS.items():
        dual = make()
        grid = np.asarray(controlled_resnet_limit_kernel(x8, dual=dual))
        cont, cont_err = continuous(paths, dual, True)
        means, ses = [], []
        for i, width in enumerate(cfg["widths"]):
            m, s = controlled_resnet_kernel_mc(jax.random.key(10 + i), x8.astype(np.float32), dual=dual,
                                               width=width, n_networks=cfg["n_nets"])
            means.append(float(m[0, 1]))
            ses.append(float(s[0, 1]))
        ax.errorbar(cfg["widths"], means, yerr=2 * np.array(ses), fmt="o-", color=colors[name], capsize=3,
                    label=f"{name}: MC ± 2 SE (M = {cfg['n_nets']})")
        ax.axhline(grid[0, 1], color=colors[name], ls="--", lw=1, label=f"{name}: K_grid (N → ∞, 8 steps)")
        ax.axhline(cont[0, 1], color=colors[name], ls=":", lw=1.5, label=f"{name}: K_cont (neural sig. kernel)")
        width = cfg["widths"][-1]
        disc = abs(grid[0, 1] - cont[0, 1]) + cont_err[0, 1]
        comparisons += [
            Comparison.within_se(f"{name} K(x1,x2) shared weights, N={width}, 8 steps: MC vs K_grid",
                                 grid[0, 1], means[-1], ses[-1], n_se=4),
            Comparison.within_abs(f"{name} K(x1,x2), N={width}, 8 steps: MC vs K_cont (4 SE + disc {disc:.2e})",
                                  cont[0, 1], means[-1], 4 * ses[-1] + disc, stderr=ses[-1]),
        ]
    ax.set_xscale("log")
    ax.set_xlabel("width N")
    ax.set_title("(a) K(x₁, x₂) vs width (shared weights)")
    ax.legend(fontsize=6)

    # (b) width bias, fresh weights, Erf σ_A = 2.5, diagonal K(x1, x1), 8 steps
    ax = axes[1]
    x1 = refine(paths[:1], 2)
    kw = dict(dual=duals.erf(), homogeneous=False, sigma_A=2.5)
    grid = float(controlled_resnet_limit_kernel(x1, **kw)[0, 0])
    bias, se = [], []
    for width in cfg["bias_widths"]:
        m, s = controlled_resnet_kernel_mc(jax.random.key(100 + width), x1, width=width,
                                           n_networks=cfg["bias_nets"], **kw)
        bias.append(grid - float(m[0, 0]))
        se.append(float(s[0, 0]))
    bias, se = np.array(bias), np.array(se)
    slope, slope_se = fit_slope(cfg["bias_widths"], np.abs(bias), se / np.abs(bias))
    ax.errorbar(cfg["bias_widths"], bias, yerr=2 * se, fmt="o", color="tab:orange", capsize=3,
                label=f"Erf, fresh weights: K_grid − MC ± 2 SE (M = {cfg['bias_nets']})")
    ws = np.array(cfg["bias_widths"], float)
    amp = np.exp(np.mean(np.log(np.abs(bias)) - slope * np.log(ws)))
    ax.plot(ws, amp * ws**slope, "k--", label=f"fit N^{slope:.2f} ± {slope_se:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width N")
    ax.set_title("(b) width bias of K(x₁, x₁) (σ_A = 2.5)")
    ax.legend(fontsize=7)
    comparisons.append(Comparison.within_se("width-bias exponent (Erf, fresh weights, K(x1,x1))",
                                            -1.0, slope, slope_se, n_se=4))

    # (c) depth: discretisation error of the network's limit, and MC at the largest width
    ax = axes[2]
    steps = [4 * f for f in cfg["steps_factors"]]
    for name, make in ACTIVATIONS.items():
        dual = make()
        for hom, ls in ((True, "-"), (False, "--")):
            cont, cont_err = continuous(paths, dual, hom)
            errs = [float(np.max(np.abs(np.asarray(controlled_resnet_limit_kernel(
                refine(paths, f), dual=dual, homogeneous=hom)) - cont))) for f in cfg["steps_factors"]]
            slope, _ = fit_slope(steps, errs)
            label = f"{name}, {'shared' if hom else 'fresh'} weights: max|K_grid − K_cont| (slope {slope:.2f})"
            ax.plot(steps, errs, ls, marker="s", color=colors[name], label=label)
            comparisons.append(Comparison.within_abs(
                f"discretisation exponent, {name}, {'shared' if hom else 'fresh'} weights (first order)",
                -1.0, slope, 0.15))
            for f in cfg["mc_depth_factors"]:
                xf = refine(paths, f)
                width = cfg["widths"][-1]
                m, s = (np.asarray(a, float) for a in controlled_resnet_kernel_mc(
                    jax.random.key(1000 + f), xf.astype(np.float32), dual=dual, width=width,
                    n_networks=cfg["n_nets"], homogeneous=hom))
                gridf = np.asarray(controlled_resnet_limit_kernel(xf, dual=dual, homogeneous=hom))
                disc = np.abs(gridf - cont) + cont_err
                ax.errorbar([4 * f], [abs(m[0, 1] - cont[0, 1])], yerr=[2 * s[0, 1]], fmt="x", color=colors[name],
                            capsize=2)
                comparisons.append(Comparison.within_abs(
                    f"{name} {'shared' if hom else 'fresh'} K(x1,x2), N={width}, {4 * f} steps: "
                    f"MC vs K_cont (4 SE + disc {disc[0, 1]:.2e})",
                    cont[0, 1], m[0, 1], 4 * s[0, 1] + disc[0, 1], stderr=s[0, 1]))
    ax.plot(steps, 0.5 * errs[0] * steps[0] / np.array(steps, float), "k:", label="∝ 1/steps")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("steps (grid refinement = depth)")
    ax.set_title(f"(c) discretisation error; × = |MC − K_cont|, N = {cfg['widths'][-1]}")
    ax.legend(fontsize=6)
    fig.tight_layout()
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "signature_resnet"))


@register("signature_pde_schemes", "Signature-kernel PDE: error vs refinement for both schemes")
@in_float64
def signature_pde_schemes(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    x, y = sinusoid_paths(6, n_paths=2, scale=0.8)
    ref = float(theory.truncated_signature_kernel(x, y, depth=16))
    lambdas = np.array(cfg["lambdas"])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    comparisons = []
    for scheme, order, marker in (("second_order", 2, "o"), ("explicit", 1, "s")):
        vals = np.array([float(theory.signature_kernel(x, y, refinement=int(lam), scheme=scheme)) for lam in lambdas])
        errs = np.abs(vals - ref)
        tail = slice(2, None)  # asymptotic range
        slope = float(np.polyfit(lambdas[tail], np.log2(errs[tail]), 1)[0])
        ax.semilogy(lambdas, errs, marker=marker, label=f"{scheme}: slope {slope:.2f} (theory −{order})")
        comparisons.append(Comparison.within_abs(f"log2 error slope per refinement level, {scheme}",
                                                 -float(order), slope, 0.25))
        comparisons.append(Comparison.within_abs(
            f"k_sig {scheme} λ={lambdas[-1]} vs truncated signature (depth 16; tol |k_λ − k_λ−1|)",
            ref, vals[-1], abs(vals[-1] - vals[-2])))
    ax.set_xlabel("refinement λ (each segment split into 2^λ)")
    ax.set_ylabel("|k_PDE − k_truncated|")
    ax.set_title("Signature kernel: Goursat PDE schemes vs truncated signatures")
    ax.legend()
    fig.tight_layout()
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "signature_pde_schemes"))
