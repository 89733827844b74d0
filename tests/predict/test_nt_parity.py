"""Parity of `widenets.predict` with neural-tangents 0.6.5 golden outputs (float64).

``golden/predict_cases.run_cases`` makes the same calls with both libraries: the kernel-level
functions (`gradient_descent_mse`, `gp_inference`, `max_learning_rate`) receive NT's own kernel
matrices stored in the npz; `gradient_descent_mse_ensemble` uses `widenets.stax` built from the
same spec (stax parity with NT is tested to ~1e-12 in tests/stax). For every output array

    max|widenets - NT| / max|NT|  <=  1e-6,

and the flattened output structures must agree (same keys: bare array vs tuple vs
``Gaussians`` namedtuple, field names, shapes). Regenerate with
``golden/make_nt_predict_golden.py`` (see ``golden/README.md``).
"""
from __future__ import annotations

import json
import os
import sys

import jax.numpy as jnp
import numpy as np
import pytest

from widenets import predict, stax

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
sys.path.insert(0, GOLDEN)

import predict_cases  # noqa: E402

with open(os.path.join(GOLDEN, "nt_predict_golden.json")) as _f:
    META = json.load(_f)
RTOL = float(META["rtol"])


@pytest.fixture(scope="module")
def golden():
    with np.load(os.path.join(GOLDEN, "nt_predict_golden.npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    data = {k[len("input__"):]: v for k, v in arrays.items() if k.startswith("input__")}
    nt_out = {k[len("out__"):]: v for k, v in arrays.items() if k.startswith("out__")}
    return data, nt_out


@pytest.fixture(scope="module")
def widenets_out(golden):
    data, _ = golden
    return predict_cases.run_cases(predict, stax, jnp, data)


def _rel_err(a, b):
    scale = np.max(np.abs(b))
    return float(np.max(np.abs(a - b)) / (scale if scale > 0 else 1.0))


def test_output_structure(golden, widenets_out):
    _, nt_out = golden
    assert sorted(widenets_out) == sorted(nt_out)
    for key, ref in nt_out.items():
        assert widenets_out[key].shape == ref.shape, key
        assert widenets_out[key].dtype == np.float64, key


@pytest.mark.parametrize("function", ["gd", "gp", "ens", "lr"])
def test_parity(golden, widenets_out, function):
    _, nt_out = golden
    keys = [k for k in nt_out if k.startswith(function + "__")]
    assert keys
    errors = {k: _rel_err(widenets_out[k], nt_out[k]) for k in keys}
    worst = max(errors, key=errors.get)
    print(f"\n{function}: {len(keys)} arrays, worst {worst}: {errors[worst]:.2e}")
    assert all(np.all(np.isfinite(widenets_out[k])) for k in keys)
    assert errors[worst] <= RTOL, {k: e for k, e in errors.items() if e > RTOL}


def test_stax_kernels_match_stored(golden):
    """The ensemble cases use widenets.stax: its kernels must equal NT's stored ones."""
    data, _ = golden
    x, xt = jnp.asarray(data["x_train"]), jnp.asarray(data["x_test"])
    for arch in predict_cases.ARCHS:
        _, _, kernel_fn = predict_cases.build(stax, arch)
        for w, (a, b) in {"dd": (x, None), "td": (xt, x), "tt": (xt, None)}.items():
            k = kernel_fn(a, b, get=("nngp", "ntk"))
            for g in ("nngp", "ntk"):
                assert _rel_err(np.asarray(getattr(k, g)), data[f"{arch}__{g}_{w}"]) < 1e-10
