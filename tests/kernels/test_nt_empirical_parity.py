"""Empirical NNGP/NTK against neural-tangents 0.6.5 (golden data, float64).

Reference: `golden/nt_empirical_golden.npz`, computed by NT's ``empirical_nngp_fn`` and
``empirical_ntk_fn`` (implementations 1 and 2) in its pinned env from the plain-jnp networks
and numpy parameters of `golden/empirical_specs.py` (see golden/README.md). Both libraries
differentiate the same function of the same numbers, so shapes must match exactly and values
to round-off (rtol 1e-10 on the largest entry).
"""
import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets.kernels import empirical_nngp_fn, empirical_ntk_fn

GOLDEN = pathlib.Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))
import empirical_specs as specs  # noqa: E402

sys.path.remove(str(GOLDEN))

RTOL = 1e-10
DATA = np.load(GOLDEN / "nt_empirical_golden.npz", allow_pickle=False)
META = json.loads((GOLDEN / "nt_empirical_golden.json").read_text())


def test_golden_covers_every_case():
    assert set(META["cases"]) == set(specs.CASES)
    assert META["versions"]["neural_tangents"] == "0.6.5"


@pytest.mark.parametrize("case", list(specs.CASES))
def test_matches_neural_tangents(case):
    net, trace_axes, diagonal_axes, vmap_axes, _ = specs.CASES[case]
    f = specs.NETWORKS[net](jnp)
    params = jax.tree.map(jnp.asarray, specs.make_params())
    x1 = DATA[f"{case}__x1"]
    x2 = DATA[f"{case}__x2"] if f"{case}__x2" in DATA else None
    nngp_ref = DATA[f"{case}__nngp"]
    nngp = empirical_nngp_fn(f, trace_axes, diagonal_axes)(x1, x2, params)
    assert nngp.shape == nngp_ref.shape
    np.testing.assert_allclose(nngp, nngp_ref, rtol=RTOL, atol=RTOL * np.max(np.abs(nngp_ref)))
    for ours in (1, 2):  # 'auto' runs one of these (tests/kernels/test_ntk_methods.py)
        ntk = jax.jit(empirical_ntk_fn(f, trace_axes, diagonal_axes, vmap_axes, ours))(x1, x2, params)
        for theirs in (1, 2):
            ref = DATA[f"{case}__ntk{theirs}"]
            assert ntk.shape == ref.shape, (ours, theirs)
            np.testing.assert_allclose(ntk, ref, rtol=RTOL, atol=RTOL * np.max(np.abs(ref)),
                                       err_msg=f"widenets {ours} vs NT {theirs}")
