"""Spectral bias: NTK eigenvalue decay on the sphere, per-frequency learning, Snake extrapolation.

Figure ``spectral_decay`` (d = 3). Funk–Hecke eigenvalues μ_k of the NTK (`theory.spectrum`,
inputs of norm 1) against k, log-log, for ReLU MLPs of 1–3 hidden layers (bias-free and
b_std = 0.5), Π-Nets (ReLU variant, degrees 2 and 3; CCP degree 4) and a Snake MLP, with the
fitted slopes over even k ∈ [12, 40] (theory: μ_k ~ k^{−d}, Bietti & Mairal 2019, reached
slowly: −2.97). Comparisons: the bias-free two-layer ReLU NTK has μ_k = 0 for odd k ≥ 3
(1e−12 μ_0); its fitted slope is within 0.1 of −3 (pre-asymptotic); the CCP Π-Net of degree N
has no mass above degree N; Π-Nets put more NTK mass on k ≥ 3 than the two-layer ReLU MLP
(Choraria et al. 2022); and, as the empirical side, μ_k of finite networks — the Funk–Hecke
transform of each network's own NTK κ̂(t), averaged over M networks — agree with the
infinite-width μ_k within 4 SE for the one-hidden-layer architectures (their empirical NTKs
are unbiased).

Figure ``spectral_learning`` (circle, n equispaced points). Per-degree residuals r_k(t)/r_k(0) of
a wide two-layer ReLU network (NTK parameterisation, centred, GD on ½·mean((f − y)²), target
0.25 Σ_{k∈{1,2,4}} sin kθ) against (1 − ηλ_k)^t, λ_k the exact eigenvalue of Θ/n on these points
(`circle_gram_eigenvalues`), and against GD with the network's own Θ̂_0 frozen. Comparisons as in
tests/spectral/test_empirical.py: λ̂_k of Θ̂_0 vs λ_k (4 SE over hidden units), fitted ρ_k vs
the Θ̂_0-linearised rate (Weyl bound of the measured drift), fitted ρ_k vs ηλ_k (4 SE + drift +
measured mode coupling of Θ̂_0), and steps-to-10× increasing with k.

Figure ``snake_extrapolation``. Networks with Snake (a = 1; Ziyin et al. 2020, arXiv:2006.08195),
ReLU and tanh activations, trained by Adam on sin x for x ∈ [−4π, 4π], evaluated on one more
period at each side. Comparison: log10 MSE outside the interval, Snake below ReLU and tanh by
at least 4 SE of the difference (seeds independent).
"""
from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from widenets import stax
from widenets.kernels import empirical_ntk_fn
from widenets.reproduce import Comparison, FigureResult, in_float64, register, save_figure
from widenets.spectral import empirical as E
from widenets.spectral import theory

SCALES = {
    "quick": dict(k_max=40, mc_nets=32, mc_width=256, n_points=64, width=4096, snake_seeds=6, snake_steps=1500),
    "paper": dict(k_max=100, mc_nets=256, mc_width=1024, n_points=128, width=16384, snake_seeds=16,
                  snake_steps=4000),
}
D = 3


def _mlp(depth: int, b_std: float | None, width: int = 512):
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(width, b_std=b_std), stax.Relu()]
    return stax.serial(*layers, stax.Dense(1, b_std=b_std))


def _snake(width: int = 512):
    return stax.serial(stax.Dense(width, b_std=0.5), stax.Snake(1.0), stax.Dense(1, b_std=0.5))


def _network_spectra(layer, key, n_nets: int, k_max: int) -> np.ndarray:
    """μ̂_k of M finite networks: Funk–Hecke of each network's own NTK κ̂(t) = Θ̂(e₁, x_t), (M, K+1)."""
    init_fn, apply_fn, _ = layer
    ntk_fn = jax.jit(empirical_ntk_fn(apply_fn, vmap_axes=0))
    x1 = np.zeros((1, D))
    x1[0, 0] = 1.0
    out = []
    for sub in jax.random.split(key, n_nets):
        _, params = init_fn(sub, (1, D))

        def kappa(t, params=params):
            x2 = np.zeros((t.size, D))
            x2[:, 0], x2[:, 1] = t, np.sqrt(np.clip(1 - t * t, 0, None))
            return np.asarray(ntk_fn(x1, x2, params))[0]

        out.append(theory.funk_hecke_eigenvalues(kappa, D, k_max))
    return np.array(out)


@register("spectral_decay", "NTK eigenvalue decay on the sphere: MLPs, Π-Nets, Snake (d = 3)")
@in_float64
def spectral_decay(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    k_max = cfg["k_max"]
    ks = np.arange(k_max + 1)
    mult = theory.multiplicity(D, ks)
    archs = {f"ReLU MLP, {L} hidden{', bias' if b else ''}": _mlp(L, b) for L in (1, 2, 3) for b in (None, 0.5)}
    archs.update({f"Π-Net ReLU, N={n}": theory.PiNet(n, 512, variant="relu") for n in (2, 3)})
    archs["Π-Net CCP, N=4"] = theory.PiNet(4, 512, variant="ccp")
    archs["Snake MLP (a=1)"] = _snake()
    fit_ks = np.arange(12, min(40, k_max) + 1)
    spectra, comparisons = {}, []
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    ax = axes[0]
    for name, layer in archs.items():
        mu = theory.spectrum(layer, D, k_max)
        spectra[name] = mu
        keep = (ks >= 1) & (mu > 1e-12 * mu[0])
        label = name
        if np.count_nonzero(keep[fit_ks]) >= 3 and "CCP" not in name and "Snake" not in name:
            slope, _ = theory.fit_decay_exponent(mu, fit_ks, parity="even")
            label += f" (slope {slope:.2f})"
        ls = "--" if "bias" in name else "-"
        ax.loglog(ks[keep], mu[keep] / mu[0], ls, marker=".", ms=3, lw=1, label=label)
    ref = spectra["ReLU MLP, 1 hidden"]
    ax.loglog(fit_ks, ref[fit_ks[0]] / ref[0] * (fit_ks / fit_ks[0]) ** -3.0, "k:", lw=2, label="∝ k^−3 (= k^−d)")
    ax.set_xlabel("degree k")
    ax.set_ylabel("μ_k / μ_0 (NTK)")
    ax.set_title("(a) Funk–Hecke eigenvalues of the NTK on S² (zeros omitted)")
    ax.legend(fontsize=6)

    relu1 = spectra["ReLU MLP, 1 hidden"]
    slope, slope_se = theory.fit_decay_exponent(relu1, fit_ks, parity="even")
    comparisons += [
        Comparison.within_abs("ReLU 2-layer NTK: max_{odd k≥3} |μ_k|/μ_0 (zeros)", 0.0,
                              float(np.max(np.abs(relu1[3::2])) / relu1[0]), 1e-12),
        Comparison.within_abs(f"ReLU 2-layer NTK decay slope, even k ∈ [12, {fit_ks[-1]}] (theory −d = −3, "
                              "pre-asymptotic; tol 0.1)", -3.0, slope, 0.1, stderr=slope_se),
        Comparison.within_abs("Π-Net CCP N=4: Σ_{k>4} N(d,k)|μ_k| / κ(1) (polynomial of degree 4)", 0.0,
                              float(np.sum(mult[5:] * np.abs(spectra["Π-Net CCP, N=4"][5:]))
                                    / np.sum(mult * spectra["Π-Net CCP, N=4"])), 1e-10),
    ]
    mass = {name: float(np.sum(mult[3:] * mu[3:]) / np.sum(mult * mu)) for name, mu in spectra.items()}
    for n in (2, 3):
        comparisons.append(Comparison.at_least(
            f"NTK mass on k ≥ 3: Π-Net ReLU N={n} − ReLU MLP 1 hidden (> 0)", 0.0,
            mass[f"Π-Net ReLU, N={n}"] - mass["ReLU MLP, 1 hidden"]))

    # empirical side: finite networks' own spectra (one hidden layer: unbiased)
    ax = axes[1]
    k_show = 8
    finite = {"ReLU MLP, 1 hidden": _mlp(1, None, cfg["mc_width"]),
              "Π-Net ReLU, N=2": theory.PiNet(2, cfg["mc_width"], variant="relu"),
              "Snake MLP (a=1)": _snake(cfg["mc_width"])}
    for i, (name, layer) in enumerate(finite.items()):
        mus = _network_spectra(layer, jax.random.key(20 + i), cfg["mc_nets"], k_show)
        mean, se = mus.mean(0), mus.std(0, ddof=1) / math.sqrt(mus.shape[0])
        exact = spectra[name][: k_show + 1]
        nonzero = exact > 1e-12 * exact[0]
        z = (mean - exact) / se
        ax.plot(np.arange(k_show + 1)[nonzero] + 0.1 * (i - 1), z[nonzero], "o-", ms=4, lw=0.8,
                label=f"{name} (width {cfg['mc_width']}, M = {cfg['mc_nets']})")
        for k in np.nonzero(nonzero)[0]:
            comparisons.append(Comparison.within_se(f"{name}: μ_{k} finite networks (width {cfg['mc_width']}) "
                                                    "vs infinite width", exact[k], mean[k], se[k]))
    ax.axhspan(-4, 4, color="gray", alpha=0.15, label="±4 SE")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("degree k")
    ax.set_ylabel("(mean μ̂_k − μ_k) / SE")
    ax.set_title("(b) finite networks: Funk–Hecke of their own NTK vs theory")
    ax.legend(fontsize=6)
    fig.tight_layout()
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "spectral_decay"))


@register("spectral_learning", "Per-frequency learning curves: trained ReLU network vs (1 − ημ_k)^t")
@in_float64
def spectral_learning(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    n, width, degrees, k_max = cfg["n_points"], cfg["width"], (1, 2, 4), 8
    x = E.circle_points(n)
    y = E.harmonic_target(x, degrees, [0.25] * len(degrees))
    init_fn, apply_raw, kernel_fn = stax.serial(stax.Dense(width), stax.Relu(), stax.Dense(1))
    kappa = theory.dot_product_kernel(kernel_fn, 2, "ntk")
    lam = E.circle_gram_eigenvalues(kappa, n, k_max)
    mu = theory.funk_hecke_eigenvalues(kappa, 2, k_max)
    eta = 0.25 / lam[0]
    _, params = init_fn(jax.random.key(0), x.shape)

    def apply_fn(p, inputs):
        return apply_raw(p, inputs) - apply_raw(params, inputs)

    jac = jax.jacobian(lambda p: apply_raw(p, x)[:, 0])(params)
    feats = np.concatenate([np.asarray(jac[0][0]), np.asarray(jac[2][0])[:, :, 0][:, None, :]], axis=1)
    per_unit = E.unit_degree_contributions(feats, x, k_max)
    lam_hat, se = per_unit.mean(1), per_unit.std(1, ddof=1) / math.sqrt(width)
    ntk_fn = jax.jit(empirical_ntk_fn(apply_fn, vmap_axes=0))
    ntk_0 = np.asarray(ntk_fn(x, None, params))
    n_steps = int(math.ceil(1.3 * math.log(10) / -math.log1p(-eta * lam[max(degrees)])))
    steps = np.arange(n_steps + 1)
    run = E.train_and_project(apply_fn, params, x, y, eta, steps, k_max)
    drift = eta * np.linalg.norm(np.asarray(ntk_fn(x, None, run.trajectory.params)) - ntk_0, 2) / n
    r_lin = np.sqrt(E.degree_projection(E.linear_residuals(ntk_0, np.asarray(apply_fn(params, x)) - y, eta, steps),
                                        x, k_max))
    rho = E.fit_decay_rates(steps, run.residual_norms, floor=0.1)
    rho_lin = E.fit_decay_rates(steps, r_lin, floor=0.1)
    t10 = E.convergence_steps(steps, run.residual_norms)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    curves = theory.frequency_dynamics(lam, eta, steps)
    comparisons = []
    for k in degrees:
        line = ax.semilogy(steps, run.residual_norms[:, k] / run.residual_norms[0, k], lw=2,
                           label=f"k={k}: trained, width {width} (ρ = {rho[k]:.4f})")[0]
        ax.semilogy(steps, r_lin[:, k] / r_lin[0, k], ":", color=line.get_color(), lw=1.5,
                    label=f"k={k}: GD with Θ̂₀ frozen")
        ax.semilogy(steps, curves[:, k], "--", color="k", lw=0.8)
        tol = 4 * eta * se[k] + drift + abs(rho_lin[k] - eta * lam_hat[k])
        comparisons += [
            Comparison.within_se(f"k={k}: degree-k eigenvalue of Θ̂₀/n vs exact λ_k (width {width}, SE: units)",
                                 lam[k], lam_hat[k], se[k]),
            Comparison.within_abs(f"k={k}: fitted rate ρ_k vs Θ̂₀-linearised (Weyl drift bound {drift:.2e})",
                                  rho_lin[k], rho[k], drift),
            Comparison.within_abs(f"k={k}: fitted rate ρ_k vs ηλ_k (4 SE + drift + mode coupling)",
                                  eta * lam[k], rho[k], tol),
        ]
    ax.semilogy([], [], "--", color="k", lw=0.8, label="theory (1 − ηλ_k)^t")
    ax.axhline(0.1, color="gray", lw=0.5)
    ax.set_ylim(1e-3, 1.5)
    ax.set_xlabel("GD step t")
    ax.set_ylabel("r_k(t) / r_k(0)")
    ax.set_title(f"(a) per-degree residuals on {n} circle points")
    ax.legend(fontsize=6)
    for a, b in zip(degrees[:-1], degrees[1:]):
        comparisons.append(Comparison.at_least(f"steps to 10× smaller: t10(k={b}) − t10(k={a}) (> 0)", 0.0,
                                               t10[b] - t10[a]))
    ax = axes[1]
    kk = np.arange(k_max + 1)
    good = lam > 1e-12 * lam[0]
    ax.semilogy(kk[good], eta * mu[good], "ks", mfc="none", label="η μ_k (Funk–Hecke)")
    ax.semilogy(kk[good], eta * lam[good], "k+", ms=10, label="η λ_k (exact, n points)")
    ax.errorbar(kk[good], eta * lam_hat[good], yerr=2 * eta * se[good], fmt="o", ms=3, capsize=2,
                label="η λ̂_k of Θ̂₀ ± 2 SE")
    ax.semilogy(list(degrees), [rho[k] for k in degrees], "r*", ms=10, label="fitted ρ_k (trained)")
    ax.set_xlabel("degree k")
    ax.set_ylabel("rate per step")
    ax.set_title("(b) rates: theory, empirical NTK, trained network")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "spectral_learning"))


@register("snake_extrapolation", "Snake vs ReLU vs tanh: extrapolating sin x beyond the training interval")
@in_float64
def snake_extrapolation(scale: str, out_dir: Path) -> FigureResult:
    cfg = SCALES[scale]
    half = 4 * math.pi
    x_in = np.linspace(-half, half, 128, dtype=np.float32)[:, None]
    x_out = np.concatenate([np.linspace(-1.5 * half, -half, 50), np.linspace(half, 1.5 * half, 50)]
                           ).astype(np.float32)[:, None]
    x_plot = np.linspace(-1.5 * half, 1.5 * half, 600, dtype=np.float32)[:, None]
    acts = {"Snake (a=1)": stax.Snake(1.0), "ReLU": stax.Relu(), "tanh": stax.Elementwise(fn=jnp.tanh)}
    colors = dict(zip(acts, ("tab:green", "tab:blue", "tab:orange")))
    m = cfg["snake_seeds"]
    logs, fig = {}, plt.figure(figsize=(12, 4.5))
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(x_plot[:, 0], np.sin(x_plot[:, 0]), "k", lw=2.5, alpha=0.3, label="sin x")
    for name, act in acts.items():
        init_fn, apply_fn, _ = stax.serial(stax.Dense(64, b_std=1.0, parameterization="standard"), act,
                                           stax.Dense(1, b_std=1.0, parameterization="standard"))
        params, _ = E.train_adam_mse_ensemble(init_fn, apply_fn, jax.random.key(7), m, x_in, np.sin(x_in),
                                              n_steps=cfg["snake_steps"], learning_rate=1e-2)
        errs = [E.extrapolation_error(apply_fn, jax.tree.map(lambda p, i=i: p[i], params), x_in, np.sin(x_in),
                                      x_out, np.sin(x_out)) for i in range(m)]
        lg = np.log10([e.outside for e in errs])
        logs[name] = (lg.mean(), lg.std(ddof=1) / math.sqrt(m), np.mean([e.inside for e in errs]))
        ax.plot(x_plot[:, 0], np.asarray(apply_fn(jax.tree.map(lambda p: p[0], params), x_plot))[:, 0], lw=1,
                color=colors[name],
                label=f"{name}: log10 MSE out {logs[name][0]:.2f} ± {logs[name][1]:.2f}")
    for s in (-half, half):
        ax.axvline(s, color="gray", ls="--", lw=0.8)
    ax.set_ylim(-3, 3)
    ax.set_xlabel("x (training interval between the dashed lines)")
    ax.set_title("(a) fits of one seed")
    ax.legend(fontsize=7)
    ax = fig.add_subplot(1, 2, 2)
    names = list(logs)
    ax.bar(names, [logs[n][0] for n in names], yerr=[2 * logs[n][1] for n in names], capsize=4,
           color=[colors[n] for n in names])
    ax.set_ylabel(f"log10 MSE outside [−4π, 4π] (mean ± 2 SE, {m} seeds)")
    ax.set_title("(b) extrapolation error")
    comparisons = [Comparison.at_most("Snake MSE inside the training interval (≤ 0.01)", 0.01, logs[names[0]][2])]
    for other in names[1:]:
        diff = logs[other][0] - logs[names[0]][0]
        se = math.hypot(logs[other][1], logs[names[0]][1])
        comparisons.append(Comparison.at_least(f"log10 MSE out: {other} − Snake (≥ 4 SE = {4 * se:.2f})",
                                               4 * se, diff, stderr=se))
    fig.tight_layout()
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "snake_extrapolation"))
