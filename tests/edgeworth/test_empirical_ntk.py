"""NTK fluctuations over random initialisations (`widenets.edgeworth.empirical.ntk_fluctuations`).

References:
- one network's Θ(x, x) = |∇_θ f|² vs `widenets.kernels.empirical_ntk_fn` (an independent
  implementation: Jacobian contraction), to rounding;
- E[Θ] vs the infinite-width NTK `kernel_fn(x, x, 'ntk')` of the same `stax` net. For ReLU
  with C_b = 0 the mean is *exact at every width* (Hanin & Nica 2019, arXiv:1909.05989,
  Thm 1: E[Θ(x, x)] in closed form, with no dependence on the hidden widths, i.e. equal to
  its infinite-width value. Heuristically, the O(L/n) correction
  of PDLT ch. 8 vanishes for ReLU because E[σ(z)²] = E[z²]/2 and E[σ'(z)²] = 1/2 hold for
  every symmetric z, Gaussian or not), so the truncation term is 0 and the tolerance is 4 SE
  at widths 3–4 — a regime where a 1/n bias would be resolved: for erf (C_W = 1.5, n = 3, L = 3)
  we measured E[Θ] = 2.382 ± 0.007 against 2.507 at infinite width (17 SE, M = 200 000),
  while ReLU gave 3.583 ± 0.025 against 3.573;
- Var Θ/E[Θ]² grows with depth at fixed width (Hanin & Nica: ≈ exp(5L/n) − 1).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import duals
from widenets.edgeworth.empirical import ntk_fluctuations, ntk_network
from widenets.kernels import empirical_ntk_fn

from ._helpers_empirical import N_SE, key_for, within

X = jnp.asarray([1.0, 0.5, -0.3])


@pytest.mark.slow
def test_theta_samples_match_empirical_ntk_fn():
    key = key_for(101)
    res = ntk_fluctuations(key, X, 2, 5, C_W=1.3, C_b=0.2, dual=duals.erf(), n_networks=3)
    init_fn, apply_fn, _ = ntk_network(duals.erf(), 2, 5, 1.3, 0.2)
    ntk = empirical_ntk_fn(apply_fn)
    for j, k in enumerate(jax.random.split(key, 3)):
        _, params = init_fn(k, (1, 3))
        theta = ntk(X[None], X[None], params)
        np.testing.assert_allclose(float(res.samples[j]), float(np.asarray(theta).ravel()[0]), rtol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("depth, width, M", [(1, 4, 40_000), (3, 3, 200_000)])
def test_relu_mean_ntk_equals_infinite_width_ntk(depth, width, M):
    """E[Θ] = kernel_fn(x, x, 'ntk') within 4 SE (bias 0 for ReLU, C_b = 0). At n = 3, L = 3 an
    O(L/n) bias of the size seen for erf (≈ 5 %, 17 SE at this M) would be resolved."""
    res = ntk_fluctuations(key_for(102, depth), X, depth, width, C_W=2.0, n_networks=M)
    _, _, kernel_fn = ntk_network(duals.relu(), depth, width, 2.0, 0.0)
    exact = float(kernel_fn(X[None], X[None], "ntk")[0, 0])
    assert within(res.mean, exact), (res.mean, exact)
    assert res.samples.shape == (M,)


@pytest.mark.slow
def test_relative_variance_grows_with_depth():
    """Width 8: Var Θ/E[Θ]² at depth 4 exceeds depth 1 by more than 4 combined SE."""
    shallow = ntk_fluctuations(key_for(103, 1), X, 1, 8, n_networks=4000)
    deep = ntk_fluctuations(key_for(103, 4), X, 4, 8, n_networks=4000)
    diff = float(deep.relative_variance.value - shallow.relative_variance.value)
    se = float(np.hypot(deep.relative_variance.stderr, shallow.relative_variance.stderr))
    assert diff > N_SE * se, (shallow.relative_variance, deep.relative_variance)


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        (dict(x=jnp.ones((2, 3))), ValueError, "x"),
        (dict(x=jnp.asarray([1.0, jnp.inf])), ValueError, "x"),
        (dict(depth=0), ValueError, "depth"),
        (dict(width=2.0), TypeError, "width"),
        (dict(n_networks=1), ValueError, "n_networks"),
        (dict(dual="relu"), TypeError, "dual"),
        (dict(C_W=-2.0), ValueError, "C_W"),
        (dict(key=3), TypeError, "key"),
        (dict(chunk=0), ValueError, "chunk"),
    ],
)
def test_ntk_fluctuations_rejects_bad_input(kwargs, exc, name):
    args = dict(key=key_for(104), x=X, depth=1, width=3, n_networks=4)
    args.update(kwargs)
    key, x, depth, width = args.pop("key"), args.pop("x"), args.pop("depth"), args.pop("width")
    with pytest.raises(exc, match=f"`{name}`"):
        ntk_fluctuations(key, x, depth, width, **args)
