"""The Monte Carlo error falls like M^(−1/2): fitted log-log slope vs the predicted −1/2.

Network: Dense(256) → ReLU → Dense(16) (σ_W = 1.5, σ_b = 0.3), whose expected empirical
NNGP equals `kernel_fn(...).nngp` exactly (Gaussian first layer, see
test_two_readings_nngp), so the error is pure sampling noise with no bias floor.

For each M on the grid 8, 16, ..., 256 we run R = 32 *disjoint* estimates (independent keys,
so the 6 grid points are independent too) and take

    e_r² = Σ_{10 distinct entries} (K̄_r − nngp)²,     y(M) = ½ log( (1/R) Σ_r e_r² ).

Noise of y, derived: by the CLT δ = K̄_r − nngp ≈ N(0, Σ/M), so e_r² = Σ_i λ_i χ²₁ (λ the
eigenvalues of Σ/M on the 10 entries), with E e² = tr Σ/M and relative variance
2Σλ²/(Σλ)² ≤ 2. The mean over R has relative variance ≤ 2/R, so by the delta method
sd(y) ≤ ½√(2/R) = 1/√(2R) = 0.125. The shape of the distribution does not depend on M (R is
fixed), so E y = −½ log M + const and the OLS slope of y on log M is unbiased for −½ with

    SE(slope) = sd(y) / √Σ(log M − mean)² ≤ 0.125 / √((ln 2)²·17.5) = 0.043.

Non-Gaussian corrections: the per-network kernel (a mean of 16 channel products) has excess
kurtosis κ = 0.5–1.4 over the 10 entries (measured once on 20000 networks), adding κ/M ≤ 0.18
to the relative variance 2 at M = 8 (σ up by ≤ 5%) and shifting E y by ≤ κ/(4RM) ≈ 0.001 —
negligible. Assertion: |slope + ½| ≤ 4·SE.
"""
import jax
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import monte_carlo_kernel_fn

from .nets import IU, X, one_hidden

GRID = [8, 16, 32, 64, 128, 256]
R = 32


@pytest.mark.slow  # 16128 networks in 192 estimates (~8 s CPU)
def test_error_falls_like_inverse_sqrt_m():
    init_fn, apply_fn, kernel_fn = one_hidden(stax.Relu(), 256, 16)
    ref = np.asarray(kernel_fn(X, get="nngp"))[IU]
    grid_keys = jax.random.split(jax.random.key(99), len(GRID))
    y = []
    with jax.enable_x64(False):
        x = X.astype(np.float32)
        for m, grid_key in zip(GRID, grid_keys):
            sq = []
            for key in jax.random.split(grid_key, R):
                # networks_per_batch 8 divides every M: one compiled sampler for the whole grid
                est = monte_carlo_kernel_fn(init_fn, apply_fn, key, m, networks_per_batch=8,
                                            standard_error=True)(x, get="nngp")
                sq.append(np.sum((np.asarray(est.nngp, np.float64)[IU] - ref) ** 2))
            y.append(0.5 * np.log(np.mean(sq)))
    logm = np.log(GRID)
    slope, intercept = np.polyfit(logm, y, 1)
    se = (1 / np.sqrt(2 * R)) / np.sqrt(np.sum((logm - logm.mean()) ** 2))
    resid = np.asarray(y) - (slope * logm + intercept)
    print(f"\nM-slope = {slope:.3f} ± {se:.3f} (bound), residual sd = {resid.std(ddof=2):.3f} "
          f"(bound {1 / np.sqrt(2 * R):.3f})")
    assert abs(slope + 0.5) <= 4 * se, (slope, se)
