"""Two readings of the NTK: the Monte Carlo mean of finite networks' empirical NTKs vs
`kernel_fn(...).ntk`, for one hidden layer (ReLU, Erf, Snake), plus Snake's dual against an
independent quadrature.

**Why one hidden layer has no width bias.** For f_c = (σ_W/√n) Σ_j V_jc φ(h_j) + σ_b β_c,
h_j = (σ_W/√d) Σ_i U_ij x_i + σ_b β¹_j (NTK parameterization), the empirical NTK is a sum
over parameter groups (`test_empirical_ntk._hand_ntk` writes out the Jacobian):

    Θ = σ_W² (1/n) Σ_j φ(h_j)φ(h'_j) + σ_b²
        + σ_W² (σ_W² x·x'/d + σ_b²) (1/n) Σ_j V_jc² φ'(h_j)φ'(h'_j).

The h_j are exactly Gaussian (first layer) and V is independent of h with E V² = 1, so every
term is an average of i.i.d. terms with exact expectation: E Θ = σ_W² T + σ_b² +
σ_W² nngp¹ Tdot = the stax NTK, at every width n. The stated O(1/n) term is therefore 0 and
the tolerance is 4 SE. (φ' is defined a.e.; ReLU's kink has probability zero.)

The standard parameterization (W ~ N(0, σ_W²/fan_in), b ~ N(0, σ_b²)) is exact for the same
reason: Θ = Σ_j φ(h_j)φ(h'_j) + 1 + (x·x' + 1) Σ_j v_j² φ'(h_j)φ'(h'_j) with v_j ~ N(0, σ_W²/n),
whose mean n·T + 1 + σ_W² (x·x' + 1) Tdot is the stax rule ntk' = fan_in·nngp + σ_W² ntk + 1
(fan_in = n for the readout, d for the first layer). It is checked for ReLU, since this
NTK, unlike the NTK-parameterization one, depends on the declared widths.

Errors: per-network NTK fluctuations are O(1/√n) (averages over n units), so M = 512
networks with k = 2 outputs give relative SEs ≈ 0.2% on the diagonal. The three specs have
the same parameters (activations have none), so they share one ``init_fn`` (one compiled
sampler, see test_two_readings_nngp); Snake's NNGP is tested there with the other activations.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import monte_carlo_kernel_fn

from .nets import ACTIVATIONS, B_STD, W_STD, X, one_hidden, zscores

M, BATCH, WIDTH, READOUT = 512, 64, 1024, 2
SHARED_INIT = one_hidden(stax.Relu(), WIDTH, READOUT).init_fn


@pytest.mark.slow  # 512 networks and their Jacobians, ~2 s CPU each (mostly compilation)
@pytest.mark.parametrize(
    "name, parameterization",
    [("Relu", "ntk"), ("Erf", "ntk"), ("Snake", "ntk"), ("Relu", "standard")],
)
def test_one_hidden_layer_ntk_within_4_se(name, parameterization):
    init_fn, apply_fn, kernel_fn = one_hidden(
        ACTIVATIONS[name](), WIDTH, READOUT, parameterization=parameterization
    )
    init_fn = SHARED_INIT if parameterization == "ntk" else init_fn
    with jax.enable_x64(False):
        mc = monte_carlo_kernel_fn(init_fn, apply_fn, jax.random.key(31), M, networks_per_batch=BATCH,
                                   standard_error=True)
        est = mc(X.astype(np.float32), get="ntk")
    assert est.ntk.dtype == jnp.float32 and est.nngp is None
    ref = np.asarray(kernel_fn(X, get="ntk"))
    z = zscores(est.ntk, est.ntk_se, ref)
    rel = np.diag(np.asarray(est.ntk_se, np.float64)) / np.diag(ref)
    print(f"\n{name} ({parameterization}) NTK: max|z| = {np.abs(z).max():.2f}, diag rel SE ≤ {rel.max():.4f}")
    assert np.abs(z).max() <= 4, z


def _gauss_hermite_2d(f, q11, q22, q12, deg=80):
    """E f(u, v) for (u, v) ~ N(0, [[q11, q12], [q12, q22]]) by a tensor Gauss–Hermite rule on
    the eigen-decomposition of the covariance (numpy only, independent of widenets.duals)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(deg)
    weights = weights / np.sqrt(2 * np.pi)
    evals, evecs = np.linalg.eigh(np.array([[q11, q12], [q12, q22]]))
    z = np.stack(np.meshgrid(nodes, nodes, indexing="ij")).reshape(2, -1)
    u, v = evecs @ (np.sqrt(np.maximum(evals, 0))[:, None] * z)
    return np.sum(np.outer(weights, weights).ravel() * f(u, v))


def test_snake_kernel_vs_independent_quadrature():
    """Snake φ(x) = x + sin²(a x)/a, φ'(x) = 1 + sin(2 a x), a = 0.7. The stax kernels of
    Dense → Snake → Dense are σ_W² T + σ_b² and that + σ_W² nngp¹ Tdot, with T = E φφ',
    Tdot = E φ'φ' computed here by an 80×80 Gauss–Hermite rule. φ is entire and the largest
    variance is 3.65, so the rule is exact to ~1e-13; tolerance rtol 1e-10."""
    a = 0.7

    def phi(x):
        return x + np.sin(a * x) ** 2 / a

    def dphi(x):
        return 1 + np.sin(2 * a * x)

    nngp1 = W_STD**2 * X @ X.T / X.shape[1] + B_STD**2
    t = np.zeros_like(nngp1)
    tdot = np.zeros_like(nngp1)
    for i in range(len(X)):
        for j in range(len(X)):
            q = (nngp1[i, i], nngp1[j, j], nngp1[i, j])
            t[i, j] = _gauss_hermite_2d(lambda u, v: phi(u) * phi(v), *q)
            tdot[i, j] = _gauss_hermite_2d(lambda u, v: dphi(u) * dphi(v), *q)
    nngp = W_STD**2 * t + B_STD**2
    ntk = nngp + W_STD**2 * nngp1 * tdot
    kernel = one_hidden(stax.Snake(a), 8, 1).kernel_fn(X, get=("nngp", "ntk"))
    np.testing.assert_allclose(kernel.nngp, nngp, rtol=1e-10)
    np.testing.assert_allclose(kernel.ntk, ntk, rtol=1e-10)
