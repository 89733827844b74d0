"""Neural signature kernels (Cirone, Lemercier & Salvi 2023, arXiv:2303.17671) against
independent references: the identity-activation closed form through the signature kernel, a
numpy transcription of the network's infinite-width recursion with the arc-cosine formula
written out here (Cho & Saul 2009), a small-path expansion, convergence orders, Gram properties.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.signature._helpers_theory import random_path
from widenets import duals
from widenets.signature.theory import (
    neural_signature_kernel,
    neural_signature_kernel_gram,
    signature_kernel,
)

S0, SA, SB = 0.8, 1.3, 0.4


def relu_dual_reference(q11, q22, q12):
    """E[relu(u) relu(v)] = √(q11 q22)/(2π) [sin θ + (π − θ) cos θ] (Cho & Saul 2009)."""
    norm = np.sqrt(q11 * q22)
    cos = np.clip(q12 / norm, -1, 1)
    theta = np.arccos(cos)
    return norm / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * cos)


def network_recursion(x, y, s0, sa, sb):
    """Infinite-width kernel of the homogeneous controlled ResNet, one Euler step per increment:
    K[k+1, l+1] = K[k+1, l] + K[k, l+1] − K[k, l] + (σ_A² V(Σ[k, l]) + σ_b²)⟨Δx^k, Δy^l⟩
    (self kernels by the same rule), in plain numpy loops."""

    def cell(K, a, b, k, l, qa, qb):
        F = sa**2 * relu_dual_reference(qa, qb, K[k, l]) + sb**2
        return K[k + 1, l] + K[k, l + 1] - K[k, l] + F * np.dot(a[k + 1] - a[k], b[l + 1] - b[l])

    def self_grid(a):
        # F at (k, l) needs K[k, k] and K[l, l]: fill square shells n = 1, 2, ... in order
        K = np.full((len(a), len(a)), s0**2)
        for n in range(1, len(a)):
            for m in range(1, n + 1):
                K[n, m] = cell(K, a, a, n - 1, m - 1, K[n - 1, n - 1], K[m - 1, m - 1])
                K[m, n] = cell(K, a, a, m - 1, n - 1, K[m - 1, m - 1], K[n - 1, n - 1])
        return K

    def cross_grid(a, b, da, db):
        K = np.full((len(a), len(b)), s0**2)
        for k in range(len(a) - 1):
            for l in range(len(b) - 1):
                K[k + 1, l + 1] = cell(K, a, b, k, l, da[k], db[l])
        return K

    dx = np.diag(self_grid(x))
    dy = np.diag(self_grid(y))
    return cross_grid(x, y, dx, dy)[-1, -1]


@pytest.fixture(scope="module")
def paths():
    return random_path(1, 6, 2, 0.6), random_path(2, 5, 2, 0.6)


@pytest.mark.parametrize("scheme", ["explicit", "second_order"])
@pytest.mark.parametrize("lam", [0, 2])
def test_identity_activation_is_rescaled_signature_kernel(paths, scheme, lam):
    # V_id = q12, so K + σ_b²/σ_A² solves the signature PDE with ⟨ẋ,ẏ⟩ scaled by σ_A² and
    # boundary σ₀² + σ_b²/σ_A²; both schemes reduce to the signature-kernel rules exactly.
    x, y = paths
    k = float(neural_signature_kernel(x, y, duals.identity(), sigma_0=S0, sigma_A=SA, sigma_b=SB,
                                      refinement=lam, scheme=scheme))
    ks = float(signature_kernel(SA * x, SA * y, refinement=lam, scheme=scheme))
    want = ((SA**2 * S0**2 + SB**2) * ks - SB**2) / SA**2
    assert abs(k - want) < 1e-12 * max(1.0, abs(want))


def test_explicit_lambda0_is_the_network_recursion(paths):
    # paths in orthogonal-ish directions with σ_A = 1.3: the correlation of Σ leaves 1 (where the
    # authors' precedence bug π − arccos(κ)·κ would change the result).
    x, y = paths
    want = network_recursion(x, y, S0, SA, SB)
    got = float(neural_signature_kernel(x, y, duals.relu(), sigma_0=S0, sigma_A=SA, sigma_b=SB, scheme="explicit"))
    assert abs(got - want) < 1e-12 * abs(want)


@pytest.mark.slow
def test_small_paths_first_order_expansion():
    # K(T, T) = σ₀² + F₀ ⟨x_T − x_0, y_T − y_0⟩ + O(ε⁴) for paths of size ε, with
    # F₀ = σ_A² E[relu(u)²] + σ_b² = σ_A² σ₀²/2 + σ_b² at Σ = σ₀² 𝟙 (the next term is
    # ∫∫(F − F₀)⟨dx, dy⟩ with F − F₀ = O(ε²)). The remainder must shrink 16× per halving of ε.
    x0, y0 = random_path(5, 6, 3), random_path(6, 4, 3)
    F0 = SA**2 * S0**2 / 2 + SB**2
    rem = []
    for eps in (0.1, 0.05, 0.025):
        x, y = eps * x0, eps * y0
        k = float(neural_signature_kernel(x, y, duals.relu(), sigma_0=S0, sigma_A=SA, sigma_b=SB, refinement=5))
        rem.append(k - S0**2 - F0 * np.dot(x[-1] - x[0], y[-1] - y[0]))
    ratios = np.array(rem[:-1]) / np.array(rem[1:])
    assert np.all((ratios > 14) & (ratios < 18)), ratios


def _richardson_order(fn, lams):
    vals = np.array([fn(lam) for lam in lams])
    d = np.diff(vals)
    return d[:-1] / d[1:]


@pytest.mark.slow
def test_homogeneous_convergence_order(paths):
    # successive differences k_{λ+1} − k_λ shrink by 4 (reference-free Richardson estimate);
    # band as in test_theory_pde. (The explicit scheme's order is checked on the signature
    # kernel and the inhomogeneous ODE; here its error changes sign near λ = 6, so successive
    # ratios are pre-asymptotic until λ ≳ 9, too slow for the suite.)
    scheme, band = "second_order", (3.5, 4.5)
    x, y = paths[0][:4], paths[1][:4]
    fn = lambda lam: float(neural_signature_kernel(x, y, duals.erf(), sigma_A=SA, sigma_b=SB,  # noqa: E731
                                                   refinement=lam, scheme=scheme))
    ratios = _richardson_order(fn, [4, 5, 6, 7])
    assert np.all((ratios > band[0]) & (ratios < band[1])), ratios


def test_inhomogeneous_identity_closed_form_and_orders():
    # identity φ: dK/dt = (σ_A² K + σ_b²)⟨ẋ,ẏ⟩ ⇒ K(1) = (σ₀² + σ_b²/σ_A²) exp(σ_A² I) − σ_b²/σ_A²,
    # I = ∫₀¹⟨ẋ,ẏ⟩dt = Σ_k ⟨Δx^k, Δy^k⟩ (L − 1) on the uniform grid.
    x, y = random_path(7, 5, 2, 0.3), random_path(8, 5, 2, 0.3)
    integral = np.sum(np.diff(x, axis=0) * np.diff(y, axis=0)) * (len(x) - 1)
    c = SB**2 / SA**2
    exact = (S0**2 + c) * np.exp(SA**2 * integral) - c
    err = {}
    for scheme in ("explicit", "second_order"):
        err[scheme] = np.array([
            float(neural_signature_kernel(x, y, duals.identity(), sigma_0=S0, sigma_A=SA, sigma_b=SB,
                                          homogeneous=False, refinement=lam, scheme=scheme)) - exact
            for lam in (4, 5, 6)
        ])
    r1 = err["explicit"][:-1] / err["explicit"][1:]
    r2 = err["second_order"][:-1] / err["second_order"][1:]
    assert np.all((r1 > 1.8) & (r1 < 2.2)), r1
    assert np.all((r2 > 3.5) & (r2 < 4.5)), r2


def test_inhomogeneous_explicit_is_the_network_recursion():
    # K_{k+1} = K_k + (σ_A² V(Σ_k) + σ_b²)⟨Δx^k, Δy^k⟩/Δt, Δt = 1/(L−1), self kernels alongside
    x, y = random_path(9, 6, 2, 0.3), random_path(10, 6, 2, 0.3)
    dt = 1 / (len(x) - 1)
    kxx = kyy = kxy = S0**2
    for k in range(len(x) - 1):
        dx, dy = x[k + 1] - x[k], y[k + 1] - y[k]
        fxx = SA**2 * relu_dual_reference(kxx, kxx, kxx) + SB**2
        fyy = SA**2 * relu_dual_reference(kyy, kyy, kyy) + SB**2
        fxy = SA**2 * relu_dual_reference(kxx, kyy, kxy) + SB**2
        kxx, kyy, kxy = kxx + fxx * dx @ dx / dt, kyy + fyy * dy @ dy / dt, kxy + fxy * dx @ dy / dt
    got = float(neural_signature_kernel(x, y, duals.relu(), sigma_0=S0, sigma_A=SA, sigma_b=SB,
                                        homogeneous=False, scheme="explicit"))
    assert abs(got - kxy) < 1e-12 * abs(kxy)


@pytest.mark.slow
@pytest.mark.parametrize("homogeneous", [True, False])
def test_gram_symmetric_psd(homogeneous):
    X = np.stack([random_path(30 + s, 5, 2, 0.5) for s in range(6)])
    G = np.asarray(neural_signature_kernel_gram(X, dual=duals.relu(), sigma_b=SB, homogeneous=homogeneous,
                                                refinement=1))
    assert np.array_equal(G, G.T)
    w = np.linalg.eigvalsh(G)
    assert w.min() > -1e-6 * w.max()
    g01 = float(neural_signature_kernel(X[0], X[1], duals.relu(), sigma_b=SB, homogeneous=homogeneous, refinement=1))
    assert abs(G[0, 1] - g01) < 1e-12 * abs(g01)


@pytest.mark.slow
def test_float32_close_to_float64(paths):
    x, y = paths
    k64 = float(neural_signature_kernel(x, y, duals.relu(), refinement=2))
    k32 = neural_signature_kernel(x.astype(np.float32), y.astype(np.float32), duals.relu(), refinement=2)
    assert k32.dtype == np.float32
    # (#cells = 20·16) · ε32 · max|K| worst-case accumulation, as for the signature kernel
    grid = np.asarray(neural_signature_kernel(x, y, duals.relu(), refinement=2, full_grid=True))
    assert abs(float(k32) - k64) < 20 * 16 * np.finfo(np.float32).eps * np.abs(grid).max()


def test_jit_and_broadcasting(paths):
    import jax  # noqa: PLC0415

    x, y = paths
    eager = float(neural_signature_kernel(x, y, duals.erf(), sigma_b=SB, refinement=1))
    jitted = jax.jit(lambda a, b: neural_signature_kernel(a, b, duals.erf(), sigma_b=SB, refinement=1))(x, y)
    assert abs(float(jitted) - eager) < 1e-13 * abs(eager)
    batch = neural_signature_kernel(np.stack([x, 2 * x])[:, None], y[None, None], duals.erf(), sigma_b=SB, refinement=1)
    assert batch.shape == (2, 1)
    assert abs(float(batch[0, 0]) - eager) < 1e-13 * abs(eager)


def test_bad_input():
    x = np.zeros((4, 2))
    with pytest.raises(TypeError, match="dual"):
        neural_signature_kernel(x, x, "relu")
    with pytest.raises(ValueError, match="same number of points"):
        neural_signature_kernel(x, np.zeros((5, 2)), duals.relu(), homogeneous=False)
    with pytest.raises(ValueError, match="refinement"):
        neural_signature_kernel(x, x, duals.relu(), homogeneous=False, refinement=(1, 2))
    with pytest.raises(ValueError, match="sigma_A"):
        neural_signature_kernel(x, x, duals.relu(), sigma_A=-1.0)
    with pytest.raises(ValueError, match="`x` and `y`"):
        neural_signature_kernel(x, np.zeros((4, 3)), duals.relu())
    with pytest.raises(ValueError, match="refinement"):
        neural_signature_kernel(x, x, duals.relu(), refinement=-1)
