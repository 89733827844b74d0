"""The NTK during training and the outputs of trained networks: finite width vs infinite width.

``jacot_fig1`` — Jacot, Gabriel & Hongler (2018, arXiv:1806.07572), Fig. 1: Θ(x₀, x(γ)) with
x₀ = (1, 0), x(γ) = (cos γ, sin γ), γ ∈ [−π, π], for 4-layer ReLU networks (three hidden layers
of width n and a readout, NTK parameterisation, σ_w = 1, σ_b = 0.1), 10 networks per width, at
initialisation and after full-batch GD on 4 points of the circle, against the analytic NTK of
`widenets.stax`. Compared: the mean over networks of Θ_0(x₀, x(γ)) at the larger width with the
analytic NTK (4 SE, SE from the 10 networks), and the relative change of the NTK row during
training, which must be smaller at the larger width (lazy training).

``training_dynamics`` — Lee et al. (2019, arXiv:1902.06720): test outputs of M finite networks
trained by GD (optax) against the infinite-width Gaussian (mean ± 2σ) of
`gradient_descent_mse_ensemble(get='ntk', compute_cov=True)`. Compared (4 SE): the ensemble's
mean (SE s/√M) and variance (SE from the fourth moment) at one test point at four times. The
finite-width corrections are O(1/n): the fluctuating Θ̂_0 adds output variance ∝ 1/n, visible
as a ≈ +25% variance excess late in training at n = 512 (≈ 1.2 SE with M = 64) that is gone
at the quick scale's n = 1024 (−13%, 0.8 SE at step 400).

Networks are float32 (`widenets.predict.empirical`); the analytic references float64.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from widenets import stax
from widenets.kernels import empirical_ntk_fn
from widenets.predict import gradient_descent_mse_ensemble, max_learning_rate
from widenets.predict.empirical import train_mse, train_mse_ensemble
from widenets.reproduce import Comparison, FigureResult, register, save_figure

JACOT = {
    "quick": dict(widths=(100, 1000), n_nets=10, n_angles=61, steps=200),
    "paper": dict(widths=(500, 10000), n_nets=10, n_angles=101, steps=200),
}
DYNAMICS = {
    "quick": dict(width=1024, n_nets=64, steps=(0, 5, 10, 20, 40, 80, 160, 320, 400)),
    "paper": dict(width=4096, n_nets=256, steps=(0, 5, 10, 20, 40, 80, 160, 320, 640, 1000)),
}
CHECK_ANGLES = (0.0, math.pi / 3, 2 * math.pi / 3, math.pi)


def circle(gammas) -> np.ndarray:
    gammas = np.asarray(gammas, float)
    return np.stack([np.cos(gammas), np.sin(gammas)], axis=1)


def relu_mlp(width: int, depth: int, W_std: float, b_std: float) -> stax.Layer:
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(width, W_std=W_std, b_std=b_std), stax.Relu()]
    return stax.serial(*layers, stax.Dense(1, W_std=W_std, b_std=b_std))


def init32(init_fn, key, shape):
    with jax.enable_x64(False):
        return init_fn(key, shape)[1]


@register("jacot_fig1", "Jacot et al. 2018 Fig. 1: NTK of 4-layer ReLU nets on the circle, init and trained")
def jacot_fig1(scale: str, out_dir: Path) -> FigureResult:
    cfg = JACOT[scale]
    gammas = np.linspace(-math.pi, math.pi, cfg["n_angles"])
    xs, x0 = circle(gammas), circle([0.0])
    x_train = circle([-2.0, -0.6, 0.9, 2.4])
    y_train = np.array([[-0.4], [0.3], [0.8], [-0.6]])
    spec = dict(depth=3, W_std=1.0, b_std=0.1)
    theory = np.asarray(relu_mlp(1, **spec).kernel_fn(xs, x0, get="ntk"))[:, 0]
    theta_dd = np.asarray(relu_mlp(1, **spec).kernel_fn(x_train, None, get="ntk"))
    lr = 0.5 * max_learning_rate(theta_dd, y_train.size)

    rows, changes, seconds = {}, {}, {}
    for width in cfg["widths"]:
        start = time.perf_counter()
        init_fn, apply_fn, _ = relu_mlp(width, **spec)
        # Θ(xs, x0): one VJP at x0 and one JVP per angle; memory O(parameters), as at n = 10⁴.
        ntk_row = jax.jit(empirical_ntk_fn(apply_fn, vmap_axes=0, implementation="ntk_vector_products"))
        init_rows, trained_rows = [], []
        for seed in range(cfg["n_nets"]):
            params = init32(init_fn, jax.random.PRNGKey(1000 * width + seed), x_train.shape)
            trained = train_mse(apply_fn, params, jnp.float32(x_train), jnp.float32(y_train),
                                [cfg["steps"]], lr).params
            init_rows.append(np.asarray(ntk_row(jnp.float32(xs), jnp.float32(x0), params), np.float64)[:, 0])
            trained_rows.append(np.asarray(ntk_row(jnp.float32(xs), jnp.float32(x0), trained), np.float64)[:, 0])
        rows[width] = np.stack(init_rows), np.stack(trained_rows)
        changes[width] = np.linalg.norm(rows[width][1] - rows[width][0], axis=1) / np.linalg.norm(rows[width][0], axis=1)
        seconds[width] = time.perf_counter() - start

    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot(gammas, theory, "k-", lw=2.5, label="n = ∞ (analytic)")
    for width, color in zip(cfg["widths"], ("tab:orange", "tab:blue")):
        init, trained = rows[width]
        for i in range(cfg["n_nets"]):
            ax.plot(gammas, init[i], color=color, lw=0.8, alpha=0.6,
                    label=f"n = {width}, t = 0 ({seconds[width]:.0f} s)" if i == 0 else None)
            ax.plot(gammas, trained[i], color=color, lw=0.8, ls="--", alpha=0.6,
                    label=f"n = {width}, t = {cfg['steps']} steps" if i == 0 else None)
    for g in np.arctan2(x_train[:, 1], x_train[:, 0]):
        ax.axvline(g, color="gray", lw=0.5, ls=":")
    ax.set_xlabel("γ")
    ax.set_ylabel("Θ(x₀, x(γ))")
    ax.set_title("NTK of 4-layer ReLU nets (after Jacot et al. 2018, Fig. 1); dotted: training inputs")
    ax.legend(fontsize=8)
    fig.tight_layout()

    big, small = cfg["widths"][-1], cfg["widths"][0]
    init = rows[big][0]
    comparisons = []
    for g in CHECK_ANGLES:
        i = int(np.argmin(np.abs(gammas - g)))
        comparisons.append(Comparison.within_se(
            f"mean Θ_0(x0, x(γ={g:.2f})), n={big}, {cfg['n_nets']} nets", theory[i], init[:, i].mean(),
            init[:, i].std(ddof=1) / math.sqrt(cfg["n_nets"]), n_se=4))
    comparisons.append(Comparison.within_abs(
        f"relative change of Θ(x0, ·) in training, n={big} (→ 0; tolerance: the n={small} value)",
        0.0, changes[big].mean(), atol=float(changes[small].mean())))
    notes = "mean relative NTK-row change: " + ", ".join(f"n={w}: {changes[w].mean():.4f}" for w in cfg["widths"])
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "jacot_fig1"), notes=notes)


def variance_se(samples: np.ndarray) -> np.ndarray:
    """SE of the sample variance from the fourth central moment (axis 0), no Gaussian assumption."""
    m = samples.shape[0]
    c = samples - samples.mean(axis=0)
    s2 = c.var(axis=0, ddof=1)
    return np.sqrt((np.mean(c**4, axis=0) - (m - 3) / (m - 1) * s2**2) / m)


@register("training_dynamics", "Finite nets trained by GD vs the infinite-width Gaussian prediction")
def training_dynamics(scale: str, out_dir: Path) -> FigureResult:
    cfg = DYNAMICS[scale]
    g_train = 2 * np.pi * np.arange(8) / 8 + 0.1
    x_train, y_train = circle(g_train), (np.sin(2 * g_train) + 0.5 * np.cos(g_train))[:, None]
    g_test = np.linspace(-math.pi, math.pi, 49)
    x_test = circle(g_test)
    probe = int(np.argmin(np.abs(g_test - 1.2)))  # a test point between training inputs
    spec = dict(depth=2, W_std=math.sqrt(2.0), b_std=0.1)
    kernel_fn = relu_mlp(1, **spec).kernel_fn
    lr = 0.05 * max_learning_rate(np.asarray(kernel_fn(x_train, None, get="ntk")), y_train.size)
    steps = np.asarray(cfg["steps"])

    start = time.perf_counter()
    init_fn, apply_fn, _ = relu_mlp(cfg["width"], **spec)
    traj = train_mse_ensemble(init_fn, apply_fn, jax.random.PRNGKey(7), cfg["n_nets"], jnp.float32(x_train),
                              jnp.float32(y_train), cfg["steps"], lr, jnp.float32(x_test), nets_per_batch=8)
    seconds = time.perf_counter() - start
    samples = np.asarray(traj.fx_test, np.float64)[..., 0]  # (M, T, N_test)

    predict_fn = gradient_descent_mse_ensemble(kernel_fn, x_train, y_train, learning_rate=lr)
    t_fine = np.concatenate([[0.0], np.geomspace(1, steps[-1], 80)])
    fine = predict_fn(t=t_fine, x_test=x_test[probe:probe + 1], get="ntk", compute_cov=True)
    at_steps = predict_fn(t=steps.astype(float), x_test=x_test, get="ntk", compute_cov=True)
    mean = np.asarray(at_steps.mean)[..., 0]
    var = np.diagonal(np.asarray(at_steps.covariance), axis1=-2, axis2=-1)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    mu, sd = np.asarray(fine.mean)[:, 0, 0], np.sqrt(np.asarray(fine.covariance)[:, 0, 0])
    tx = np.maximum(t_fine, 0.5)
    ax1.fill_between(tx, mu - 2 * sd, mu + 2 * sd, color="k", alpha=0.15, label="n = ∞: mean ± 2σ")
    ax1.plot(tx, mu, "k-", lw=2)
    for m in range(min(cfg["n_nets"], 20)):
        ax1.plot(np.maximum(steps, 0.5), samples[m, :, probe], color="tab:blue", lw=0.7, alpha=0.6,
                 label=f"n = {cfg['width']} nets ({seconds:.0f} s for {cfg['n_nets']})" if m == 0 else None)
    ax1.plot(np.maximum(steps, 0.5), samples[:, :, probe].mean(0), "o--", color="tab:red", ms=4,
             label=f"mean of {cfg['n_nets']} nets")
    ax1.set_xscale("log")
    ax1.set_xlabel("GD step (step 0 drawn at 0.5)")
    ax1.set_ylabel(f"f(x(γ={g_test[probe]:.2f}))")
    ax1.set_title("A test output during training")
    ax1.legend(fontsize=8)

    last = len(steps) - 1
    sd_last = np.sqrt(var[last])
    ax2.fill_between(g_test, mean[last] - 2 * sd_last, mean[last] + 2 * sd_last, color="k", alpha=0.15,
                     label="n = ∞: mean ± 2σ")
    ax2.plot(g_test, mean[last], "k-", lw=2)
    for m in range(8):
        ax2.plot(g_test, samples[m, last], color="tab:blue", lw=0.7, alpha=0.7, label="finite nets" if m == 0 else None)
    ax2.plot(g_test, samples[:, last].mean(0), color="tab:red", lw=1.5, ls="--", label="mean of nets")
    ax2.plot(np.angle(np.exp(1j * g_train)), y_train[:, 0], "ko", ms=6, mfc="w", label="training data")
    ax2.set_xlabel("γ")
    ax2.set_title(f"Test outputs on the circle after {steps[-1]} steps")
    ax2.legend(fontsize=8)
    fig.suptitle(f"ReLU MLP, 2 hidden layers, n = {cfg['width']}, η = η_max/20: GD (optax) vs infinite width")
    fig.tight_layout()

    comparisons = []
    m_nets = cfg["n_nets"]
    for k in (1, 3, 5, last):
        s = samples[:, k, probe]
        comparisons.append(Comparison.within_se(f"ensemble mean f(x_probe), step {steps[k]}, M={m_nets}",
                                                mean[k, probe], s.mean(), s.std(ddof=1) / math.sqrt(m_nets)))
        comparisons.append(Comparison.within_se(f"ensemble variance f(x_probe), step {steps[k]}, M={m_nets}",
                                                var[k, probe], s.var(ddof=1), variance_se(s[:, None])[0]))
    return FigureResult(comparisons=comparisons, artifacts=save_figure(fig, out_dir, "training_dynamics"))
