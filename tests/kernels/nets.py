"""Shared fixtures for the kernel tests: inputs, the activation registry, z-scores.

Nothing here computes a kernel: references come from `widenets.stax` (the theory under
test) or are written out in the test that uses them.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from widenets import stax

#: 4 inputs in d = 3 with norms 0.5, 0.99, 1.59, 2.18 and pairwise angles from 36° to 129°
#: (three obtuse pairs), so kernels are probed at small and large variances and at
#: positive and negative correlations.
X = np.array(
    [
        [0.5, 0.0, 0.0],
        [0.8, 0.55, -0.2],
        [-1.0, 1.2, 0.3],
        [1.3, -0.9, 1.5],
    ]
)

#: the upper triangle of a 4 x 4 kernel, diagonal included (the 10 distinct entries).
IU = np.triu_indices(len(X))

#: Weight and bias standard deviations of every Monte Carlo network.
W_STD, B_STD = 1.5, 0.3


def _cos_nngp(cov12, var1, var2):
    """E[cos u cos v] = ½[E cos(u − v) + E cos(u + v)] = exp(−(var1 + var2)/2)·cosh(cov12),
    from E cos(w) = exp(−Var w / 2) for a centred Gaussian w (written here, not in duals)."""
    return jnp.exp(-(var1 + var2) / 2) * jnp.cosh(cov12)


#: Every activation of widenets.stax, with arguments away from special cases. Exp and the
#: polynomials grow fast: their parameters keep E[φ⁴] moderate at the largest input
#: variance q = W_STD²·|x|²/3 + B_STD² ≈ 3.7, so that a Monte Carlo average over 1024 hidden
#: units is well behaved (e.g. Exp(0.5, 0.3): Var φ² / (E φ²)² = e^{4b²q} − 1 ≈ 2.8).
ACTIVATIONS = {
    "Relu": lambda: stax.Relu(),
    "LeakyRelu": lambda: stax.LeakyRelu(0.2),
    "Abs": lambda: stax.Abs(),
    "ABRelu": lambda: stax.ABRelu(-0.4, 1.3),
    "Erf": lambda: stax.Erf(1.1, 0.7, 0.2),
    "Sigmoid_like": lambda: stax.Sigmoid_like(),
    "Gelu": lambda: stax.Gelu(),
    "Sin": lambda: stax.Sin(1.2, 0.8, 0.3),
    "Cos": lambda: stax.Cos(0.9, 1.1, -0.4),
    "Rbf": lambda: stax.Rbf(0.6),
    "Exp": lambda: stax.Exp(0.5, 0.3),
    "Gaussian": lambda: stax.Gaussian(1.0, -0.5),
    "Sign": lambda: stax.Sign(),
    "Monomial": lambda: stax.Monomial(3),
    "RectifiedMonomial": lambda: stax.RectifiedMonomial(2),
    "Polynomial": lambda: stax.Polynomial([0.1, 1.0, 0.3]),
    "Snake": lambda: stax.Snake(0.7),
    "Elementwise": lambda: stax.Elementwise(fn=jnp.cos, nngp_fn=_cos_nngp),
    "ElementwiseNumerical": lambda: stax.ElementwiseNumerical(jnp.tanh, deg=25),
}


def one_hidden(act, width=1024, readout=64, W_std=W_STD, b_std=B_STD, parameterization="ntk"):
    """``Dense(width) → act → Dense(readout)`` with biases in both layers."""
    return stax.serial(
        stax.Dense(width, W_std=W_std, b_std=b_std, parameterization=parameterization),
        act,
        stax.Dense(readout, W_std=W_std, b_std=b_std, parameterization=parameterization),
    )


def zscores(estimate, se, reference):
    """(estimate − reference)/se on the 10 distinct entries, in float64."""
    estimate, se, reference = (np.asarray(a, np.float64)[IU] for a in (estimate, se, reference))
    return (estimate - reference) / se
