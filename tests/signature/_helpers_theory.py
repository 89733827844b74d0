"""Shared helpers of the theory tests of `widenets.signature` (fixed seeds, small paths)."""
from __future__ import annotations

import math

import numpy as np


def random_path(seed: int, length: int, dim: int, scale: float = 0.5) -> np.ndarray:
    """A random-walk path ``(length, dim)`` starting anywhere, steps N(0, scale²)."""
    rng = np.random.default_rng(seed)
    start = rng.normal(size=(1, dim))
    return start + np.concatenate([np.zeros((1, dim)), np.cumsum(scale * rng.normal(size=(length - 1, dim)), 0)])


def path_length(x: np.ndarray) -> float:
    """1-variation (Euclidean length) of the piecewise-linear path."""
    return float(np.sum(np.linalg.norm(np.diff(x, axis=0), axis=1)))


def truncation_bound(x: np.ndarray, y: np.ndarray, depth: int, terms: int = 60) -> float:
    """Σ_{n > depth} (ℓx ℓy)^n/(n!)² ≥ |k − k_N|, from |⟨S^n(x), S^n(y)⟩| ≤ ℓx^n ℓy^n/(n!)²
    (the factorial decay of signatures, Lyons et al. 2007 Prop. 2.2)."""
    a = path_length(x) * path_length(y)
    return float(sum(a**n / math.factorial(n) ** 2 for n in range(depth + 1, depth + terms)))
