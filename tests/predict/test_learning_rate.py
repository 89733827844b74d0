"""`max_learning_rate` against the stability of the discrete dynamics it describes: full-batch
(heavy-ball) GD on the linearised MSE, r_{k+1} = r_k − (η/|y|) Θ r_k + β (r_k − r_{k−1}),
iterated in numpy, must converge just below η_max and diverge just above it."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from widenets.predict import max_learning_rate

from .problems import relu_problem


def _final_residual(ntk, size, lr, momentum, steps=3000):
    rng = np.random.default_rng(0)
    r = rng.standard_normal((len(ntk), 2))
    prev = r.copy()
    a = lr / size * ntk
    for _ in range(steps):
        r, prev = r - a @ r + momentum * (r - prev), r
    return np.abs(r).max()


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_stability_boundary(momentum):
    p = relu_problem()
    ntk, size = p["ntk_dd"], p["y"].size
    lr = max_learning_rate(jnp.asarray(ntk), size, momentum)
    assert isinstance(lr, float)
    np.testing.assert_allclose(lr, 2 * (1 + momentum) * size / np.linalg.eigvalsh(ntk)[-1], rtol=1e-10)
    assert _final_residual(ntk, size, 0.98 * lr, momentum) < 1.0
    assert _final_residual(ntk, size, 1.02 * lr, momentum) > 1e3


def test_default_size_is_kernel_rows():
    p = relu_problem()
    k = jnp.asarray(p["ntk_dd"])
    assert max_learning_rate(k) == pytest.approx(max_learning_rate(k, k.shape[0]), rel=1e-14)
