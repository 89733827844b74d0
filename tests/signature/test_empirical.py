"""Unit tests of `widenets.signature.empirical`: random controlled ResNets and their MC kernels.

References (each named in the test): closed forms that hold at *every* width (σ_A = 0, one
homogeneous step, identity φ with fresh weights), the discrete signature kernel in the tensor
algebra, and a cell-by-cell NumPy recursion. Monte-Carlo comparisons use 4 standard errors
computed from the samples.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals
from widenets.signature.empirical import (
    controlled_resnet,
    controlled_resnet_kernel_mc,
    controlled_resnet_limit_kernel,
)

from ._helpers_empirical import (
    discrete_signature_kernel,
    mean_and_se,
    naive_explicit_limit,
    sinusoid_paths,
)

N_SE = 4.0


def per_network_kernels(key, x, dual, width, n, **kw):
    """(n, m, m) Gram matrices Z_T Z_Tᵀ/N of n independent networks (one call each)."""
    def one(k):
        z = controlled_resnet(k, x, dual, width, **kw)
        return z @ z.T / width
    return np.asarray(jax.lax.map(one, jax.random.split(key, n), batch_size=64))


# ----------------------------------------------------------------------------- shapes, keys
def test_shapes_and_determinism():
    x = sinusoid_paths(5, n_paths=3)
    z1 = controlled_resnet(jax.random.key(1), x, duals.relu(), 16)
    z2 = controlled_resnet(jax.random.key(1), x, duals.relu(), 16)
    z3 = controlled_resnet(jax.random.key(2), x, duals.relu(), 16)
    assert z1.shape == (3, 16)
    np.testing.assert_array_equal(z1, z2)
    assert not np.allclose(z1, z3)
    y = sinusoid_paths(7, n_paths=2)  # another grid length: fine for shared weights
    mean, se = controlled_resnet_kernel_mc(jax.random.key(0), x, y, dual=duals.erf(), width=8, n_networks=4)
    assert mean.shape == se.shape == (3, 2)
    assert np.all(np.asarray(se) > 0)
    mean_xx, _ = controlled_resnet_kernel_mc(jax.random.key(0), x, dual=duals.erf(), width=8, n_networks=4)
    assert mean_xx.shape == (3, 3)
    np.testing.assert_allclose(mean_xx, mean_xx.T, rtol=0, atol=1e-14)


def test_shared_initial_state_and_still_paths():
    """ξ is shared by all paths: a path that does not move leaves Z_T = Z₀ = σ₀ξ, the same for all."""
    x = np.zeros((2, 6, 2))
    x[1] += 3.0  # constant, different level
    for hom in (True, False):
        z = controlled_resnet(jax.random.key(3), x, duals.tanh(), 32, sigma_0=0.7, sigma_b=0.5, homogeneous=hom)
        np.testing.assert_array_equal(z[0], z[1])


# ----------------------------------------------------------------------------- σ_A = 0
def test_sigma_a_zero_depends_on_endpoints_only_pathwise():
    """σ_A = 0, shared weights: Z_T = σ₀ξ + Σ_i b_i (x_T − x_0)_i, whatever the path in between."""
    x = sinusoid_paths(9, n_paths=2)
    y = x.copy()
    y[:, 1:-1] += 0.3 * np.sin(np.arange(7))[None, :, None]  # same endpoints, other interior
    key = jax.random.key(5)
    zx = controlled_resnet(key, x, duals.relu(), 24, sigma_A=0.0, sigma_b=0.8)
    zy = controlled_resnet(key, y, duals.relu(), 24, sigma_A=0.0, sigma_b=0.8)
    np.testing.assert_allclose(zx, zy, rtol=0, atol=1e-13)


@pytest.mark.slow
def test_sigma_a_zero_law():
    """σ_A = 0, shared weights: Z_T coordinates i.i.d. bivariate normal with covariance
    C = σ₀² + σ_b²⟨x_T − x_0, y_T − y_0⟩, so the per-network kernel has mean C_xy and
    variance (C_xy² + C_xx C_yy)/N exactly; both within 4 SE of their sample estimates."""
    x = sinusoid_paths(6, n_paths=2)
    s0, sb, width, n = 0.9, 1.3, 16, 4000
    inc = x[:, -1] - x[:, 0]
    c = s0**2 + sb**2 * inc @ inc.T
    ks = per_network_kernels(jax.random.key(11), x, duals.erf(), width, n, sigma_0=s0, sigma_A=0.0, sigma_b=sb)
    kxy = ks[:, 0, 1]
    m, se = mean_and_se(kxy)
    assert abs(m - c[0, 1]) <= N_SE * se
    dev2 = (kxy - kxy.mean()) ** 2
    var_exact = (c[0, 1] ** 2 + c[0, 0] * c[1, 1]) / width
    assert abs(dev2.mean() - var_exact) <= N_SE * dev2.std(ddof=1) / np.sqrt(n)
    lim = controlled_resnet_limit_kernel(x, dual=duals.erf(), sigma_0=s0, sigma_A=0.0, sigma_b=sb)
    np.testing.assert_allclose(lim, c, rtol=1e-12)


# ----------------------------------------------------------------------------- exact at every width
@pytest.mark.parametrize("dual", [duals.relu(), duals.erf(), duals.identity()], ids=repr)
def test_one_homogeneous_step_exact_at_small_width(dual):
    """One step: A is independent of Z₀ = σ₀ξ, so E[K] = σ₀² + (σ_A² E φ(σ₀ξ)² + σ_b²)⟨Δx, Δy⟩
    exactly at width 8; compared with the MC mean (4 SE) and with the limit recursion."""
    x = sinusoid_paths(2, n_paths=3, d=3)
    s0, sa, sb = 0.8, 1.2, 0.5
    mean, se = controlled_resnet_kernel_mc(jax.random.key(7), x, dual=dual, width=8, n_networks=4000,
                                           sigma_0=s0, sigma_A=sa, sigma_b=sb)
    dx = x[:, 1] - x[:, 0]
    exact = s0**2 + (sa**2 * float(dual.nngp_diag(s0**2)) + sb**2) * dx @ dx.T
    assert np.all(np.abs(np.asarray(mean) - exact) <= N_SE * np.asarray(se))
    lim = controlled_resnet_limit_kernel(x, dual=dual, sigma_0=s0, sigma_A=sa, sigma_b=sb)
    np.testing.assert_allclose(lim, exact, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["weights", "gaussian"])
def test_identity_inhomogeneous_exact_at_small_width(sampler):
    """φ = identity, fresh weights: E[Z_{k+1}(x)·Z_{k+1}(y)]/N = (1 + σ_A²⟨Δx^k,Δy^k⟩/Δt) E[K_k] +
    σ_b²⟨Δx^k,Δy^k⟩/Δt exactly (E[AᵀA] = σ_A²/Δt·I), so at width 12 the MC mean matches the product
    formula U_T = U_0 Π_k (1 + σ_A²⟨Δx^k, Δy^k⟩/Δt), U = σ_A² K + σ_b², within 4 SE."""
    x = sinusoid_paths(5, n_paths=3, scale=0.4)
    s0, sa, sb = 1.0, 0.9, 0.4
    mean, se = controlled_resnet_kernel_mc(jax.random.key(8), x, dual=duals.identity(), width=12,
                                           n_networks=3000, sigma_0=s0, sigma_A=sa, sigma_b=sb,
                                           homogeneous=False, sampler=sampler)
    dx = np.diff(x, axis=1)
    dt = 1.0 / (x.shape[1] - 1)
    g = np.einsum("akd,bkd->abk", dx, dx) / dt
    u = (sa**2 * s0**2 + sb**2) * np.prod(1 + sa**2 * g, axis=-1)
    exact = (u - sb**2) / sa**2
    assert np.all(np.abs(np.asarray(mean) - exact) <= N_SE * np.asarray(se))
    lim = controlled_resnet_limit_kernel(x, dual=duals.identity(), sigma_0=s0, sigma_A=sa, sigma_b=sb,
                                         homogeneous=False)
    np.testing.assert_allclose(lim, exact, rtol=1e-12)


# ----------------------------------------------------------------------------- limit recursion
def test_identity_homogeneous_limit_is_discrete_signature_kernel():
    """φ = identity: U = σ_A²K + σ_b² obeys the explicit signature-kernel scheme with g → σ_A² g, whose
    solution is U₀ Σ_n σ_A^{2n} ⟨S̃ⁿ(x), S̃ⁿ(y)⟩ (tensor-algebra product Π(1 + Δx^k), truncated at 14)."""
    x = sinusoid_paths(6, n_paths=2, d=2)
    y = sinusoid_paths(4, n_paths=2, d=2, scale=0.5)[:, :, ::-1]
    s0, sa, sb = 0.7, 1.1, 0.6
    lim = np.asarray(controlled_resnet_limit_kernel(x, y, dual=duals.identity(), sigma_0=s0, sigma_A=sa, sigma_b=sb))
    for a in range(2):
        for b in range(2):
            u = (sa**2 * s0**2 + sb**2) * discrete_signature_kernel(x[a], y[b], c=sa**2)
            assert lim[a, b] == pytest.approx((u - sb**2) / sa**2, rel=1e-12)


@pytest.mark.parametrize("dual", [duals.relu(), duals.erf(), duals.tanh()], ids=repr)
def test_homogeneous_limit_matches_cell_by_cell_recursion(dual):
    x = sinusoid_paths(5, n_paths=2, d=2)
    y = sinusoid_paths(4, n_paths=1, d=2, scale=0.8)
    s0, sa, sb = 0.9, 1.3, 0.2
    lim = np.asarray(controlled_resnet_limit_kernel(x, y, dual=dual, sigma_0=s0, sigma_A=sa, sigma_b=sb))
    for a in range(2):
        ref = naive_explicit_limit(x[a], y[0], lambda *q: float(dual.nngp(*map(jnp.asarray, q))),
                                   s0**2, sa**2, sb**2)
        assert lim[a, 0] == pytest.approx(ref, rel=1e-12)


# ----------------------------------------------------------------------------- samplers, chunks
@pytest.mark.slow
def test_samplers_agree_in_law():
    """Inhomogeneous ReLU at width 6, 1024 networks each: explicit weights and the exact Gaussian sampler give the same
    mean of K(x, y) and of K(x, y)² (two-sample difference within 4 combined SE)."""
    x = sinusoid_paths(4, n_paths=2, scale=0.5)
    kw = dict(sigma_0=1.0, sigma_A=1.0, sigma_b=0.3, homogeneous=False)
    a = per_network_kernels(jax.random.key(20), x, duals.relu(), 6, 1024, sampler="weights", **kw)[:, 0, 1]
    b = per_network_kernels(jax.random.key(21), x, duals.relu(), 6, 1024, sampler="gaussian", **kw)[:, 0, 1]
    for f in (lambda v: v, lambda v: v * v):
        (ma, sa), (mb, sb) = mean_and_se(f(a)), mean_and_se(f(b))
        assert abs(ma - mb) <= N_SE * np.hypot(sa, sb)


def test_chunking_does_not_change_the_result():
    """chunk = 7 (one chunk), 3 (with 2 padding networks of weight 0): equal up to summation order."""
    x, y = sinusoid_paths(4, n_paths=2), sinusoid_paths(4, n_paths=1, scale=0.3)
    kw = dict(dual=duals.erf(), width=10, n_networks=7, homogeneous=False)
    ref = controlled_resnet_kernel_mc(jax.random.key(4), x, y, **kw, chunk=7)
    for chunk in (3,):
        out = controlled_resnet_kernel_mc(jax.random.key(4), x, y, **kw, chunk=chunk)
        for r, o in zip(ref, out):
            np.testing.assert_allclose(o, r, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- bad input
def test_bad_input():
    key, x, relu = jax.random.key(0), sinusoid_paths(4), duals.relu()
    with pytest.raises(ValueError, match="`x`"):
        controlled_resnet(key, x[0], relu, 4)
    with pytest.raises(ValueError, match="`x`"):
        controlled_resnet(key, x[:, :1], relu, 4)
    with pytest.raises(ValueError, match="`x`"):
        controlled_resnet(key, np.full((1, 3, 2), np.nan), relu, 4)
    with pytest.raises(TypeError, match="`dual`"):
        controlled_resnet(key, x, jnp.tanh, 4)
    with pytest.raises(ValueError, match="no activation"):
        controlled_resnet(key, x, duals.from_nngp_fn(None, relu.nngp, relu.ntk, name="k"), 4)
    with pytest.raises(ValueError, match="`width`"):
        controlled_resnet(key, x, relu, 0)
    with pytest.raises(TypeError, match="`width`"):
        controlled_resnet(key, x, relu, 4.0)
    with pytest.raises(ValueError, match="`sigma_A`"):
        controlled_resnet(key, x, relu, 4, sigma_A=-1.0)
    with pytest.raises(TypeError, match="`homogeneous`"):
        controlled_resnet(key, x, relu, 4, homogeneous="yes")
    with pytest.raises(TypeError, match="`key`"):
        controlled_resnet(0, x, relu, 4)
    with pytest.raises(ValueError, match="sampler"):
        controlled_resnet(key, x, relu, 4, sampler="gaussian")
    with pytest.raises(ValueError, match="`sampler`"):
        controlled_resnet(key, x, relu, 4, sampler="exact")
    mc = dict(dual=relu, width=4, n_networks=4)
    with pytest.raises(ValueError, match="`n_networks`"):
        controlled_resnet_kernel_mc(key, x, **{**mc, "n_networks": 1})
    with pytest.raises(ValueError, match="`chunk`"):
        controlled_resnet_kernel_mc(key, x, **mc, chunk=0)
    with pytest.raises(ValueError, match="`Y`"):
        controlled_resnet_kernel_mc(key, x, sinusoid_paths(4, d=3), **mc)
    with pytest.raises(ValueError, match="same grid"):
        controlled_resnet_kernel_mc(key, x, sinusoid_paths(5), **mc, homogeneous=False)
    with pytest.raises(ValueError, match="same grid"):
        controlled_resnet_limit_kernel(x, sinusoid_paths(5), dual=relu, homogeneous=False)
    with pytest.raises(TypeError, match="`dual`"):
        controlled_resnet_limit_kernel(x, dual="relu")
