"""Truncated signatures against closed forms (level 1, Lévy area, straight lines, Chen)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from tests.signature._helpers_theory import random_path
from widenets.signature.theory import truncated_signature, truncated_signature_kernel


def test_level_one_is_the_increment():
    x = random_path(0, 7, 3)
    s1 = np.asarray(truncated_signature(x, 1)[0])
    np.testing.assert_allclose(s1, x[-1] - x[0], rtol=0, atol=1e-14)


def test_level_two_symmetric_part_and_levy_area():
    # S² = ½ Δ⊗Δ + A, A the Lévy area: ½ Σ_k [(x¹_k − x¹_0)Δx²_k − (x²_k − x²_0)Δx¹_k] (closed form
    # for a piecewise-linear path, the straight pieces contributing no area of their own).
    x = random_path(1, 9, 2)
    s2 = np.asarray(truncated_signature(x, 2)[1]).reshape(2, 2)
    delta = x[-1] - x[0]
    np.testing.assert_allclose((s2 + s2.T) / 2, np.outer(delta, delta) / 2, atol=1e-13)
    rel, dx = x[:-1] - x[0], np.diff(x, axis=0)
    area = 0.5 * np.sum(rel[:, 0] * dx[:, 1] - rel[:, 1] * dx[:, 0])
    np.testing.assert_allclose((s2 - s2.T)[0, 1] / 2, area, atol=1e-13)


def test_straight_line_signature_is_exponential():
    # collinear, unevenly spaced points: S^k = Δ^{⊗k}/k!
    delta = np.array([0.7, -0.4, 0.2])
    ts = np.array([0.0, 0.1, 0.35, 0.4, 1.0])
    x = 0.3 + ts[:, None] * delta[None, :]
    sig = truncated_signature(x, 5)
    power = np.ones(1)
    for k, level in enumerate(sig, start=1):
        power = np.multiply.outer(power, delta).ravel()
        np.testing.assert_allclose(np.asarray(level), power / math.factorial(k), atol=1e-14)


def test_chen_identity_on_a_split_path():
    # S(x) = S(x[:m+1]) ⊗ S(x[m:]) in the truncated tensor algebra, written out here in numpy.
    x = random_path(2, 8, 2)
    depth, m = 4, 3
    a = [np.asarray(s) for s in truncated_signature(x[: m + 1], depth)]
    b = [np.asarray(s) for s in truncated_signature(x[m:], depth)]
    full = [np.asarray(s) for s in truncated_signature(x, depth)]
    for n in range(1, depth + 1):
        want = a[n - 1] + b[n - 1]
        for k in range(1, n):
            want = want + np.multiply.outer(a[k - 1], b[n - k - 1]).ravel()
        np.testing.assert_allclose(full[n - 1], want, atol=1e-13)


def test_batched_and_kernel_definition():
    xs = np.stack([random_path(s, 5, 2) for s in range(3)])
    sig = truncated_signature(xs, 3)
    for i in range(3):
        one = truncated_signature(xs[i], 3)
        for lb, lo in zip(sig, one):
            np.testing.assert_allclose(np.asarray(lb[i]), np.asarray(lo), atol=1e-14)
    k = truncated_signature_kernel(xs[0], xs[1], 3)
    want = 1 + sum(float(np.dot(u, v)) for u, v in zip(truncated_signature(xs[0], 3), truncated_signature(xs[1], 3)))
    assert abs(float(k) - want) < 1e-13


@pytest.mark.parametrize("bad", [np.zeros((1, 2)), np.zeros(3), np.array([[0.0, np.nan], [1.0, 1.0]])])
def test_bad_paths(bad):
    with pytest.raises(ValueError, match="`x`"):
        truncated_signature(bad, 2)


def test_bad_depth():
    with pytest.raises(ValueError, match="depth"):
        truncated_signature(np.zeros((3, 2)), 0)
