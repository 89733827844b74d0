"""Shared helpers of the empirical controlled-ResNet tests: test paths and independent references.

References here are written in plain NumPy loops, independently of `widenets.signature`:

* `discrete_signature_kernel`: Σ_n c^n ⟨S̃ⁿ(x), S̃ⁿ(y)⟩ with S̃(x) = Π_k (1 + Δx^k) in the truncated
  tensor algebra (strictly increasing indices). It solves the explicit scheme
  U_{i+1,j+1} = U_{i,j+1} + U_{i+1,j} − U_{ij} + c⟨Δx^i, Δy^j⟩ U_{ij}, U_{0,·} = U_{·,0} = 1, because
  expanding the recursion sums c^n Π_r g_{i_r j_r} over i_1 < … < i_n, j_1 < … < j_n.
* `naive_explicit_limit`: the homogeneous finite-depth limit recursion cell by cell.
* `naive_inhomogeneous_limit`: the inhomogeneous one (forward Euler along the diagonal) step by step.
"""
from __future__ import annotations

import numpy as np


def sinusoid_paths(n_points: int, n_paths: int = 3, d: int = 2, scale: float = 0.6) -> np.ndarray:
    """``n_paths`` smooth paths t ↦ scale·(sin(2t + p), cos(3t − p), sin(t + 2p)…)[:d] on t ∈ [0, 1]."""
    t = np.linspace(0.0, 1.0, n_points)
    out = []
    for p in np.linspace(0.0, 2.0, n_paths):
        chans = [np.sin(2 * t + p), np.cos(3 * t - p), np.sin(t + 2 * p)]
        out.append(scale * np.stack(chans[:d], axis=-1))
    return np.stack(out)


def refine(x: np.ndarray, factor: int) -> np.ndarray:
    """Insert ``factor − 1`` equally spaced points in every segment (the same piecewise-linear path)."""
    x = np.asarray(x)
    s = np.linspace(0.0, 1.0, factor + 1)[:-1]
    seg = x[:, :-1, None, :] + s[None, None, :, None] * np.diff(x, axis=1)[:, :, None, :]
    seg = seg.reshape(x.shape[0], -1, x.shape[2])
    return np.concatenate([seg, x[:, -1:, :]], axis=1)


def discrete_signature_kernel(x: np.ndarray, y: np.ndarray, c: float = 1.0, depth: int = 14) -> float:
    """Σ_{n ≤ depth} cⁿ ⟨S̃ⁿ(x), S̃ⁿ(y)⟩ for single paths x (L, d), y (L', d)."""

    def levels(p):
        lv = [np.ones(())] + [np.zeros((p.shape[1],) * n) for n in range(1, depth + 1)]
        for dx in np.diff(p, axis=0):  # lv ← lv ⊗ (1 + dx), levels ≤ depth
            lv = [lv[0]] + [lv[n] + np.multiply.outer(lv[n - 1], dx) for n in range(1, depth + 1)]
        return lv

    sx, sy = levels(np.asarray(x, float)), levels(np.asarray(y, float))
    return float(sum(c**n * np.sum(a * b) for n, (a, b) in enumerate(zip(sx, sy))))


def naive_explicit_limit(x, y, nngp, s0sq: float, sa2: float, sb2: float) -> float:
    """Homogeneous limit K_{L−1,L'−1} cell by cell (self grids in max(i, j) order, then the cross grid)."""

    def self_grid(p):
        n_pts = p.shape[0]
        dx = np.diff(p, axis=0)
        k = np.full((n_pts, n_pts), s0sq)

        def cell(i, j):  # K[i+1, j+1] from K[i, j+1], K[i+1, j], K[i, j]
            h = sa2 * nngp(k[i, i], k[j, j], k[i, j]) + sb2
            return k[i, j + 1] + k[i + 1, j] - k[i, j] + h * float(dx[i] @ dx[j])

        for n in range(n_pts - 1):
            for j in range(n):
                k[n + 1, j + 1] = cell(n, j)
                k[j + 1, n + 1] = cell(j, n)
            k[n + 1, n + 1] = cell(n, n)
        return np.diagonal(k).copy()

    qx, qy = self_grid(np.asarray(x, float)), self_grid(np.asarray(y, float))
    dx, dy = np.diff(np.asarray(x, float), axis=0), np.diff(np.asarray(y, float), axis=0)
    k = np.full((len(qx), len(qy)), s0sq)
    for i in range(len(qx) - 1):
        for j in range(len(qy) - 1):
            h = sa2 * nngp(qx[i], qy[j], k[i, j]) + sb2
            k[i + 1, j + 1] = k[i, j + 1] + k[i + 1, j] - k[i, j] + h * float(dx[i] @ dy[j])
    return float(k[-1, -1])


def naive_inhomogeneous_limit(x, y, nngp, s0sq: float, sa2: float, sb2: float) -> float:
    """Inhomogeneous limit K(1) by forward Euler along the diagonal, step by step:
    K_{k+1} = K_k + (σ_A² V(Σ_k) + σ_b²)⟨Δx^k, Δy^k⟩/Δt with Δt = 1/(L − 1), the self kernels
    K^{xx}, K^{yy} advanced alongside (x, y of the same length L)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    dt = 1.0 / (x.shape[0] - 1)
    kxx = kyy = kxy = s0sq
    for dx, dy in zip(np.diff(x, axis=0), np.diff(y, axis=0)):
        fxx = sa2 * nngp(kxx, kxx, kxx) + sb2
        fyy = sa2 * nngp(kyy, kyy, kyy) + sb2
        fxy = sa2 * nngp(kxx, kyy, kxy) + sb2
        kxx, kyy, kxy = (kxx + fxx * float(dx @ dx) / dt, kyy + fyy * float(dy @ dy) / dt,
                         kxy + fxy * float(dx @ dy) / dt)
    return float(kxy)


def mean_and_se(samples: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    samples = np.asarray(samples, float)
    n = samples.shape[axis]
    return samples.mean(axis=axis), samples.std(axis=axis, ddof=1) / np.sqrt(n)
