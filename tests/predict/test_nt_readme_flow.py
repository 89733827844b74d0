"""neural-tangents 0.6.5's README examples run end to end with ``import widenets as nt``.

`golden/readme_flow.py` holds the README's code (5-Minute intro: analytic kernels, a Kernel
composed with ``kernel_fn(kernel)``, `gradient_descent_mse_ensemble` predictions; the
WideResnet definitions; `linearize`; `empirical_kernel_fn` into `gradient_descent_mse`),
changed only in where ``nt``/``stax`` come from. It runs here under
``jax.threefry_partitionable(False)``, the random-bit layout of the jax that NT 0.6.5 pins,
so that ``random.normal(key1, (10, 100))`` draws NT's inputs (checked below), and with numpy
rank promotion allowed (the README's own code broadcasts).

References, each array compared as max|widenets − NT| ≤ rtol · max|NT|:

* NT's own results of the same code, `golden/nt_readme_golden.*` (`golden/README.md`);
  kinds of results (bare array, namedtuple type and fields, Kernel) must be NT's;
* closed forms for the linear model of the README's finite-network examples: its
  linearisation is itself, x W + b, and its NTK (mean over the 2 outputs) is x1·x2 + 1.
"""
from __future__ import annotations

import json
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import random

import widenets as nt
from widenets import stax

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
sys.path.insert(0, GOLDEN)
import readme_flow  # noqa: E402

sys.path.remove(GOLDEN)

with open(os.path.join(GOLDEN, "nt_readme_golden.json")) as _f:
    META = json.load(_f)

# regression value (source: NT golden data, measured ≤ 6.5e-16): inputs (jax's normal sampler
# differs between jax versions in the last bit), analytic kernels between distinct inputs,
# the NNGP ensemble, the linear model.
RTOL = 1e-12
# acceptance band, as in test_nt_parity.py: NT's ReLU NTK on a Gram diagonal goes through
# arccos at correlation 1 (~√eps), amplified by the training kernel's conditioning in the NTK
# ensemble prediction (measured 1.2e-10).
RTOL_NTK_PREDICTION = 1e-6
# acceptance band: the README's ``a == b  # True`` lines compare results of calls with
# different ``get``; widenets compiles one program per ``get``, which may round differently
# (measured 1 ulp, ≤ 1.1e-16 absolute on values of order 0.2–1; NT: 0).
EQ_ATOL = 4 * np.finfo(np.float64).eps


@pytest.fixture(scope="module")
def golden():
    with np.load(os.path.join(GOLDEN, "nt_readme_golden.npz"), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def ours():
    # the README's `jnp.dot(x, W) + b` broadcasts (3, 2) + (2,): user code, which the suite's
    # rank-promotion="raise" (tests/conftest.py) would refuse
    with jax.threefry_partitionable(False), jax.numpy_rank_promotion("allow"):
        return readme_flow.run_flow(nt, stax, jnp, random)


def test_golden_provenance():
    assert META["versions"]["neural_tangents"] == "0.6.5"
    assert META["threefry_partitionable"] is False


@pytest.mark.slow  # the whole README once (module fixture): ~8 s on 2 cores, mostly compilation
def test_kinds_and_keys_match(golden, ours):
    arrays, kinds = ours
    assert kinds == META["kinds"]
    assert sorted(arrays) == sorted(golden)


@pytest.mark.slow  # shares the fixture above
def test_values_match(golden, ours):
    arrays, _ = ours
    for key, ref in golden.items():
        got = arrays[key]
        assert got.shape == ref.shape, key
        if key.startswith("eq__"):  # NT: exactly 0
            continue
        if key.startswith("wrn."):  # shapes, exact
            np.testing.assert_array_equal(got, ref, err_msg=key)
            continue
        rtol = RTOL_NTK_PREDICTION if key in ("y_test_ntk", "predict_both.ntk") else RTOL
        scale = max(float(np.max(np.abs(ref))), 1e-300)
        assert float(np.max(np.abs(got - ref))) <= rtol * scale, key


@pytest.mark.slow  # shares the fixture above
def test_readme_equalities_hold(golden, ours):
    arrays, _ = ours
    for key in (k for k in golden if k.startswith("eq__")):
        assert float(golden[key]) == 0.0, key
        assert float(arrays[key]) <= EQ_ATOL, (key, float(arrays[key]))


@pytest.mark.slow  # shares the fixture above
def test_linear_model_closed_forms(ours):
    arrays, _ = ours
    w, b = np.array([[1.5, 0.2], [0.1, 0.9]]), np.full(2, 0.2)
    x = np.array([[0.3, 0.2], [0.4, 0.5], [1.2, 0.2]])
    np.testing.assert_allclose(arrays["lin_logits"], x @ w + b, rtol=RTOL)
    xd, xt = arrays["fs_x_train"], arrays["fs_x_test"]
    np.testing.assert_allclose(arrays["fs_ntk_train_train"], xd @ xd.T + 1, rtol=RTOL)
    np.testing.assert_allclose(arrays["fs_ntk_test_train"], xt @ xd.T + 1, rtol=RTOL)
