"""The Goursat-PDE signature kernel against independent references.

References: truncated signatures (tensor algebra, Chen's identity) with an explicit bound on the
truncation tail; the feature-space identity for static kernels; exact invariances; finite
differences for gradients; float64 for float32.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.signature._helpers_theory import random_path, truncation_bound
from widenets.signature.theory import (
    rbf_static_kernel,
    signature_kernel,
    signature_kernel_gram,
    truncated_signature_kernel,
)

DEPTH = 16


@pytest.fixture(scope="module")
def pairs():
    xs = np.stack([random_path(10 + s, 5, 2, 0.35) for s in range(3)])
    ys = np.stack([random_path(20 + s, 4, 2, 0.35) for s in range(3)])
    return xs, ys


@pytest.mark.slow
def test_pde_equals_truncated_signature_kernel(pairs):
    # Reference: depth-16 truncated signatures (tail bound computed below, < 1e-15).
    # PDE: second order, error C 4^−λ + O(8^−λ); Richardson (4 k_8 − k_7)/3 removes the 4^−λ
    # term (measured residual ≤ 1.2e-9), so 1e-8 absolute on kernels of size ~1; the raw λ = 8
    # value carries the C 4^−8 term (measured ≤ 2.7e-7 relative), asserted to 1e-6.
    xs, ys = pairs
    for x, y in zip(xs, ys):
        assert truncation_bound(x, y, DEPTH) < 1e-15
    ref = np.asarray(truncated_signature_kernel(xs, ys, DEPTH))
    k7 = np.asarray(signature_kernel(xs, ys, refinement=7))
    k8 = np.asarray(signature_kernel(xs, ys, refinement=8))
    np.testing.assert_allclose((4 * k8 - k7) / 3, ref, rtol=0, atol=1e-8)
    np.testing.assert_allclose(k8, ref, rtol=1e-6)


def _errors(x, y, scheme, lams):
    ref = float(truncated_signature_kernel(x, y, DEPTH))
    return np.array([float(signature_kernel(x, y, refinement=lam, scheme=scheme)) - ref for lam in lams])


@pytest.mark.slow
@pytest.mark.parametrize("scheme,band", [("second_order", (3.5, 4.5)), ("explicit", (1.8, 2.2))])
def test_convergence_order(pairs, scheme, band):
    # error = C h^p + O(h^{p+1}), h = 2^−λ: successive ratios → 2^p. At λ ≥ 6 the O(h) relative
    # correction is a few per cent (measured 3.66, 3.84, 3.84 / 1.97, 1.99, 1.99), so the
    # bands are ±12 % (p = 2) and ±10 % (p = 1) around 4 and 2.
    x, y = pairs[0][0], pairs[1][0]
    err = _errors(x, y, scheme, [6, 7, 8])
    ratios = err[:-1] / err[1:]
    assert np.all((ratios > band[0]) & (ratios < band[1])), ratios


def test_refinement_pair_equals_inserted_midpoints(pairs):
    # splitting every segment of x at its midpoint is exactly refinement λ1 + 1 of x
    x, y = pairs[0][0], pairs[1][0]
    mid = np.empty((2 * len(x) - 1, 2))
    mid[0::2], mid[1::2] = x, (x[:-1] + x[1:]) / 2
    a = float(signature_kernel(mid, y, refinement=(1, 2)))
    b = float(signature_kernel(x, y, refinement=(2, 2)))
    assert abs(a - b) < 1e-13


def test_reparametrisation_and_translation_invariance(pairs):
    x, y = pairs[0][0], pairs[1][0]
    base = float(signature_kernel(x, y, refinement=2))
    # repeated points: zero-increment segments copy a row of the grid exactly
    rep = np.repeat(x, [1, 3, 1, 2, 1], axis=0)
    assert abs(float(signature_kernel(rep, y, refinement=2)) - base) < 1e-13
    # translation: only increments enter (linear), only differences (RBF)
    shift = np.array([3.0, -7.0])
    assert abs(float(signature_kernel(x + shift, y - shift, refinement=2)) - base) < 1e-13
    rbf = rbf_static_kernel(0.7)
    r0 = float(signature_kernel(x, y, static_kernel=rbf, refinement=1))
    r1 = float(signature_kernel(x + shift, y + shift, static_kernel=rbf, refinement=1))
    assert abs(r0 - r1) < 1e-13
    # a collinear point inserted at 30 % of a segment: same path, compared at converged λ
    ins = np.insert(x, 2, x[1] + 0.3 * (x[2] - x[1]), axis=0)
    ref = float(truncated_signature_kernel(x, y, DEPTH))
    assert abs(float(signature_kernel(ins, y, refinement=8)) - ref) < 1e-8


def test_rbf_static_kernel_is_linear_kernel_of_feature_path(pairs):
    # κ = ⟨Φ(a), Φ(b)⟩ with Φ from the eigendecomposition of the Gram matrix of all points:
    # then the RBF signature kernel equals the linear one of the feature paths Φ(x_i), Φ(y_j)
    # (same cell increments, both refined by g/4^λ).
    x, y = pairs[0][0], pairs[1][1]
    sigma = 0.8
    pts = np.concatenate([x, y])
    sq = np.sum((pts[:, None] - pts[None]) ** 2, -1)
    gram = np.exp(-sq / (2 * sigma**2))
    w, v = np.linalg.eigh(gram)
    phi = v * np.sqrt(np.clip(w, 0, None))
    fx, fy = phi[: len(x)], phi[len(x) :]
    for lam in (0, 2):
        a = float(signature_kernel(x, y, static_kernel=rbf_static_kernel(sigma), refinement=lam))
        b = float(signature_kernel(fx, fy, refinement=lam))
        assert abs(a - b) < 1e-12


def test_full_grid_entries_are_prefix_kernels(pairs):
    x, y = pairs[0][0], pairs[1][0]
    grid = np.asarray(signature_kernel(x, y, refinement=(1, 2), full_grid=True))
    assert grid.shape == (2 * 4 + 1, 4 * 3 + 1)
    np.testing.assert_allclose(grid[0], 1.0, atol=0)
    np.testing.assert_allclose(grid[:, 0], 1.0, atol=0)
    for i, j in [(2, 1), (4, 3), (3, 2)]:
        want = float(signature_kernel(x[: i + 1], y[: j + 1], refinement=(1, 2)))
        assert abs(grid[2 * i, 4 * j] - want) < 1e-13
    # swapped roles: the transpose (the solver runs along the shorter path)
    grid_t = np.asarray(signature_kernel(y, x, refinement=(2, 1), full_grid=True))
    np.testing.assert_allclose(grid_t, grid.T, atol=1e-13)


@pytest.mark.slow
def test_gram_symmetric_psd_and_matches_pairs():
    X = np.stack([random_path(40 + s, 6, 3, 0.4) for s in range(7)])
    G = np.asarray(signature_kernel_gram(X, refinement=1))
    assert np.array_equal(G, G.T)
    w = np.linalg.eigvalsh(G)
    assert w.min() > -1e-6 * w.max()
    Y = X[:3, :4]
    GXY = np.asarray(signature_kernel_gram(X, Y, refinement=1))
    for p, q in [(0, 1), (5, 2)]:
        assert abs(GXY[p, q] - float(signature_kernel(X[p], Y[q], refinement=1))) < 1e-13
    assert abs(G[2, 4] - float(signature_kernel(X[2], X[4], refinement=1))) < 1e-13
    # the streamed Gram (`_stream`) against the pairwise wavefront, other options
    rbf = rbf_static_kernel(0.9)
    for opts in (dict(refinement=(2, 1), scheme="explicit"), dict(static_kernel=rbf, refinement=1)):
        want = np.asarray(signature_kernel(X[:, None], Y[None, :], **opts))
        np.testing.assert_allclose(np.asarray(signature_kernel_gram(X, Y, **opts)), want, rtol=1e-13)


def test_gradient_matches_finite_differences(pairs):
    x, y = pairs[0][0], pairs[1][0]
    f = lambda a: signature_kernel(a, jnp.asarray(y), refinement=2)  # noqa: E731
    grad = np.asarray(jax.grad(f)(jnp.asarray(x)))
    eps = 1e-5
    fd = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        fd[idx] = (float(f(x + e)) - float(f(x - e))) / (2 * eps)
    # central differences: O(eps²)·f''' ~ 1e-10 truncation, ~1e-16/eps rounding
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-8)


def test_float32_close_to_float64_and_keeps_dtype(pairs):
    xs, ys = pairs
    k64 = np.asarray(signature_kernel(xs, ys, refinement=3))
    k32 = signature_kernel(xs.astype(np.float32), ys.astype(np.float32), refinement=3)
    assert k32.dtype == jnp.float32
    # A rounding error made at one cell reaches the final point with weight ≈ 1 (the discrete
    # Green's function of ∂²/∂s∂t is 1 above-right of the cell), so the worst case is
    # (#cells) · ε32 · max|K| over the grid: 32·24 · 1.2e-7 · max|K| ≈ 1e-4 · max|K| (absolute,
    # since kernels near 0 come from cancellation between O(1) terms).
    grid = np.asarray(signature_kernel(xs, ys, refinement=3, full_grid=True))
    bound = 32 * 24 * np.finfo(np.float32).eps * np.abs(grid).max(axis=(-2, -1))
    assert np.all(np.abs(np.asarray(k32, np.float64) - k64) < bound)


def test_jit_and_vmap(pairs):
    xs, ys = pairs
    eager = np.asarray(signature_kernel(xs, ys, refinement=1))
    jitted = jax.jit(lambda a, b: signature_kernel(a, b, refinement=1))(xs, ys)
    vmapped = jax.vmap(lambda a, b: signature_kernel(a, b, refinement=1))(xs, ys)
    np.testing.assert_allclose(np.asarray(jitted), eager, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(vmapped), eager, rtol=1e-13)


def test_broadcasting_leading_dims(pairs):
    xs, ys = pairs
    out = signature_kernel(xs[:, None], ys[None, :])
    assert out.shape == (3, 3)
    assert abs(float(out[1, 2]) - float(signature_kernel(xs[1], ys[2]))) < 1e-13


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(x=np.zeros((4, 2)), y=np.zeros((4, 3))), "`x` and `y`"),
        (dict(x=np.zeros((1, 2)), y=np.zeros((4, 2))), "`x`"),
        (dict(x=np.zeros((4, 2)), y=np.zeros((1, 2))), "`y`"),
        (dict(x=np.zeros(4), y=np.zeros((4, 2))), "`x`"),
        (dict(x=np.full((4, 2), np.nan), y=np.zeros((4, 2))), "`x`"),
        (dict(x=np.zeros((4, 2)), y=np.zeros((3, 2)), refinement=-1), "refinement"),
        (dict(x=np.zeros((4, 2)), y=np.zeros((3, 2)), refinement=(1, -2)), "refinement"),
        (dict(x=np.zeros((4, 2)), y=np.zeros((3, 2)), scheme="rk4"), "scheme"),
        (dict(x=np.zeros((2, 4, 2)), y=np.zeros((3, 3, 2))), "broadcast"),
    ],
)
def test_bad_input_raises_value_error(kwargs, name):
    x, y = kwargs.pop("x"), kwargs.pop("y")
    with pytest.raises(ValueError, match=name):
        signature_kernel(x, y, **kwargs)


def test_bad_types():
    with pytest.raises(TypeError, match="static_kernel"):
        signature_kernel(np.zeros((3, 2)), np.zeros((3, 2)), static_kernel="rbf")
    with pytest.raises(TypeError, match="refinement"):
        signature_kernel(np.zeros((3, 2)), np.zeros((3, 2)), refinement=1.5)
    with pytest.raises(ValueError, match="sigma"):
        rbf_static_kernel(-1.0)
    with pytest.raises(ValueError, match="`X`"):
        signature_kernel_gram(np.zeros((3, 1, 2)))
