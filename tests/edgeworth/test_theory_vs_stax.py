"""The infinite-width part of the deep finite-width recursion is the stax NNGP.

`mlp_cumulants` propagates K^{ℓ+1} = C_b + C_W⟨σσ⟩_{K^ℓ} itself (Roberts, Yaida & Hanin,
arXiv:2106.10165, eq. 4.3 and §4.3), next to its 1/n terms; `widenets.stax` computes the same
kernel layer by layer from the architecture (`Dense(W_std=√C_W, b_std=√C_b)`, whose NNGP is
W_std²·K + b_std² in either parameterization). Two independent code paths for one closed
form: they must agree to float64 rounding (tolerance: 1e-12 relative, a few hundred ulp of
accumulated rounding over L layers of closed-form duals — derived, not tuned; measured ~1e-16).
"""
import math

import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals, stax
from widenets.edgeworth.theory import mlp_cumulants

X = np.random.default_rng(7).normal(size=(2, 4))  # two inputs: the cheap (48²-node) quadrature


@pytest.mark.parametrize(
    "dual, C_W, C_b",
    # closed-form duals (a quadrature dual such as tanh would only add compile time: both
    # sides call the same `Dual` methods)
    [(duals.relu(), 2.0, 0.1), (duals.erf(), 1.7, 0.3)],
)
def test_deep_recursion_kernel_is_the_stax_nngp(dual, C_W, C_b):
    widths = (8, 8, 8)
    cum = mlp_cumulants(jnp.asarray(X), dual, widths, C_W=C_W, C_b=C_b)
    dense = stax.Dense(8, W_std=math.sqrt(C_W), b_std=math.sqrt(C_b))
    layers = [dense]
    worst = 0.0
    for depth in range(len(widths) + 1):  # z¹ … z^{L+1}
        k = np.asarray(stax.serial(*layers).kernel_fn(X, get="nngp"))
        ref = np.asarray(cum.K[depth])
        worst = max(worst, float(np.max(np.abs(k - ref)) / np.max(np.abs(ref))))
        layers += [stax.Activation(dual), dense]
    print(f"\n{dual.name}: max relative difference over {len(widths) + 1} layers = {worst:.1e}")
    assert worst <= 1e-12
