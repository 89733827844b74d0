"""Theory vs simulation: Monte-Carlo kernels of random controlled ResNets vs the neural signature kernel.

The error of the MC estimate against the continuous kernel of arXiv:2303.17671 is split in two:

    MC(N, grid) − K_cont = [MC − K_grid]  +  [K_grid − K_cont],
                           width: O(1/N) bias + noise    discretisation: O(1/steps)

where K_grid = `controlled_resnet_limit_kernel` is the network's exact N → ∞ limit at its own
depth (the explicit scheme at refinement 0 for shared weights, forward Euler along the diagonal
for fresh weights; derivation in `widenets.signature.empirical`). The tests check

1. K_grid, on exactly the paths and parameters used below, equals a plain NumPy evaluation of
   the finite-depth limit recursion (cell by cell for shared weights, step by step for fresh
   weights; `_helpers_empirical`), which shares no code with `widenets.signature`;
2. at width 1024 the MC Gram matrices (networks run in float32: rounding ~1e-6, far below the
   SE ~5e-3) match K_cont within 4 SE + the computed discretisation term
   |K_grid − K_fine| + |K_fine − K_fine'| (K_fine: second-order scheme at refinement 2 of the
   4-segment paths, i.e. 16 steps; K_fine': refinement 1, so the last term bounds K_fine's own
   error, which shrinks ~4× per level), and match K_grid within 4 SE alone;
3. the discretisation error decays like steps^−1 (fitted slope);
4. the width bias decays like N^−1 (fitted slope, SE-weighted).
Paths: three smooth sinusoid paths in d = 2 (scale 0.4, kernels O(1)), piecewise linear on 5
points and refined by linear interpolation (the same path on finer grids = deeper networks).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals
from widenets.signature import theory
from widenets.signature.empirical import controlled_resnet_kernel_mc, controlled_resnet_limit_kernel

from ._helpers_empirical import naive_explicit_limit, naive_inhomogeneous_limit, refine, sinusoid_paths

N_SE = 4.0
PATHS = sinusoid_paths(5, n_paths=3, d=2, scale=0.4)  # 4 segments
FACTOR = 2  # network grid: 8 steps
WIDTH, N_NETS = 1024, 64
ACTIVATIONS = {"relu": duals.relu(), "erf": duals.erf(), "tanh": duals.tanh(), "identity": duals.identity()}
IU = np.triu_indices(3)


def fit_slope(x, y, sigma=None):
    """Weighted least-squares slope of log y on log x and its standard error (σ of log y given)."""
    lx, ly = np.log(x), np.log(y)
    w = np.ones_like(lx) if sigma is None else 1.0 / np.asarray(sigma) ** 2
    xm = np.sum(w * lx) / np.sum(w)
    sxx = np.sum(w * (lx - xm) ** 2)
    slope = np.sum(w * (lx - xm) * (ly - np.sum(w * ly) / np.sum(w))) / sxx
    return slope, (np.sqrt(1.0 / sxx) if sigma is not None else np.nan)


@pytest.mark.parametrize("homogeneous", [True, False], ids=["homogeneous", "inhomogeneous"])
@pytest.mark.parametrize("name", ["relu", "erf", "tanh", "identity"])
def test_network_limit_matches_the_recursion_written_out(name, homogeneous):
    """K_grid against the recursion evaluated entry by entry in NumPy (V_φ from the dual's T,
    whose closed forms are tested in tests/duals). Tolerance derived: both sides evaluate the
    same 8-step float64 recursion in a different order of operations, so they differ by
    rounding, ~1e-16 relative per operation over ~10² operations per entry (1e-12 is 10⁴ ulp)."""
    dual = ACTIVATIONS[name]
    X = refine(PATHS, FACTOR)
    s0, sa, sb = 0.9, 1.2, 0.3
    ours = np.asarray(controlled_resnet_limit_kernel(X, dual=dual, sigma_0=s0, sigma_A=sa, sigma_b=sb,
                                                     homogeneous=homogeneous))
    t_jit = jax.jit(dual.nngp)  # one compiled T for the ~10³ scalar calls of the reference
    nngp = lambda *q: float(t_jit(*map(jnp.asarray, q)))  # noqa: E731
    naive = naive_explicit_limit if homogeneous else naive_inhomogeneous_limit
    for a, b in zip(*IU):
        ref = naive(X[a], X[b], nngp, s0**2, sa**2, sb**2)
        assert abs(ours[a, b] - ref) <= 1e-12 * abs(ref), (a, b, ours[a, b], ref)


@pytest.mark.slow
@pytest.mark.parametrize("homogeneous", [True, False], ids=["homogeneous", "inhomogeneous"])
@pytest.mark.parametrize("name", ["relu", "erf", "tanh", "identity"])
def test_mc_kernel_matches_neural_signature_kernel(name, homogeneous):
    """Width 1024, 8 steps, 64 networks: |MC − K_cont| ≤ 4 SE + disc and |MC − K_grid| ≤ 4 SE."""
    dual = ACTIVATIONS[name]
    X = refine(PATHS, FACTOR)
    kw = dict(dual=dual, homogeneous=homogeneous)
    mean, se = (np.asarray(a, np.float64) for a in controlled_resnet_kernel_mc(
        jax.random.key(2303), X.astype(np.float32), width=WIDTH, n_networks=N_NETS, **kw))
    grid = np.asarray(controlled_resnet_limit_kernel(X, **kw))
    fine, coarse = (np.asarray(theory.neural_signature_kernel_gram(PATHS, refinement=lam, **kw)) for lam in (2, 1))
    disc = np.abs(grid - fine) + np.abs(fine - coarse)
    # derived: 4 SE of the Monte-Carlo mean (sample SD over networks / √64), plus, against the
    # continuous kernel, the computed discretisation term (module docstring)
    assert np.all(np.abs(mean - grid)[IU] <= N_SE * se[IU]), (mean - grid, se)
    assert np.all(np.abs(mean - fine)[IU] <= N_SE * se[IU] + disc[IU]), (mean - fine, se, disc)


@pytest.mark.slow
@pytest.mark.parametrize("homogeneous", [True, False], ids=["homogeneous", "inhomogeneous"])
@pytest.mark.parametrize("name", ["relu", "erf"])
def test_discretisation_error_decays_like_one_over_steps(name, homogeneous):
    """|K_grid(steps) − K_fine| for 8, 16, 32, 64 steps: fitted log-log slope within 0.15 of −1
    (first-order schemes: error = C/steps + O(steps^−2); K_fine = second order at 256 steps)."""
    kw = dict(dual=ACTIVATIONS[name], homogeneous=homogeneous)
    fine = np.asarray(theory.neural_signature_kernel_gram(PATHS, refinement=6, **kw))
    steps, errs = [], []
    for factor in (2, 4, 8, 16):
        X = refine(PATHS, factor)
        err = np.abs(np.asarray(controlled_resnet_limit_kernel(X, **kw)) - fine)[IU]
        steps.append(4 * factor)
        errs.append(err.max())
    slope, _ = fit_slope(np.array(steps), np.array(errs))
    # acceptance band: ±0.15 around the first-order rate −1, for the O(steps^−2) remainder at
    # 8…64 steps (deterministic: no sampling error)
    assert abs(slope + 1.0) <= 0.15, (steps, errs, slope)


@pytest.mark.slow
def test_width_bias_decays_like_one_over_width():
    """Inhomogeneous Erf, σ_A = 2.5 (a bias large enough to see at small N), 8 steps, the diagonal
    K(x, x): bias(N) = MC − K_grid at N = 4, 8, 16, 32 with 8000 networks each; the SE-weighted
    log-log slope (σ(log|bias|) = SE/|bias|) is within 4 of its standard errors of −1."""
    X = refine(PATHS[:1], 2)
    kw = dict(dual=ACTIVATIONS["erf"], homogeneous=False, sigma_A=2.5)
    grid = float(controlled_resnet_limit_kernel(X, **kw)[0, 0])
    widths = np.array([4, 8, 16, 32])
    bias, se = [], []
    for w in widths:
        m, s = controlled_resnet_kernel_mc(jax.random.key(int(w)), X, width=int(w), n_networks=8000, **kw)
        bias.append(float(m[0, 0]) - grid)
        se.append(float(s[0, 0]))
    bias, se = np.array(bias), np.array(se)
    assert abs(bias[0]) > N_SE * se[0], (bias, se)  # the bias is resolved at the smallest width
    slope, slope_se = fit_slope(widths, np.abs(bias), se / np.abs(bias))
    # derived: 4 standard errors of the weighted fit, propagated from the per-width MC SEs
    assert abs(slope + 1.0) <= N_SE * slope_se, (bias, se, slope, slope_se)
