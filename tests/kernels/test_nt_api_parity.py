"""`batch`, `empirical_kernel_fn`, `monte_carlo_kernel_fn`, `empirical_ntk_vp_fn` and
`NtkImplementation` against neural-tangents 0.6.5 (golden data, float64).

Reference: `golden/nt_api_golden.npz` / `.json`, produced by NT running the calls of
`golden/api_cases.py` (see golden/README.md); the same calls run here with `widenets` after
changing the import. Compared: the kind of every output (array, namedtuple type and field
order, Kernel, generator), every array's shape, and values to max|widenets − NT| ≤ rtol ·
max|NT| per array, with

* rtol 1e-10 for empirical kernels, Monte Carlo means and NTK-vector products (regression
  value (source: NT golden data): both libraries differentiate the same function of the same
  numbers; the Monte Carlo networks all share fixed parameters, so the estimate does not
  depend on the random stream);
* rtol 1e-6 for the analytic (stax) kernels (acceptance band, as in tests/stax/
  test_nt_parity.py: NT's ReLU NTK on a Gram diagonal goes through arccos at correlation 1,
  accurate to ~√eps; measured here 2.0e-9).

Also the enum's members and codes, and the positional signatures (names, order, defaults) of
the top-level kernel functions.

Known difference kept: for a Gram (``x2=None``) a widenets `Kernel` stores ``cov2 = cov1``
where NT stores None; that is checked as such.
"""
import json
import pathlib
import sys

import jax.numpy as jnp
import numpy as np
import pytest

import widenets
from widenets import stax

GOLDEN = pathlib.Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))
import api_cases  # noqa: E402

sys.path.remove(str(GOLDEN))

RTOL = 1e-10  # regression value (source: NT golden data; see the module docstring)
RTOL_ANALYTIC = 1e-6  # acceptance band: NT's arccos at correlation 1 (module docstring)
META = json.loads((GOLDEN / "nt_api_golden.json").read_text())


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN / "nt_api_golden.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    data = {k[len("input__"):]: v for k, v in arrays.items() if k.startswith("input__")}
    nt_out = {k[len("out__"):]: v for k, v in arrays.items() if k.startswith("out__")}
    return data, nt_out


@pytest.fixture(scope="module")
def ours(golden):
    data, _ = golden
    return api_cases.run_cases(widenets, stax, jnp, data)


def test_golden_provenance():
    assert META["versions"]["neural_tangents"] == "0.6.5"
    assert META["n_outputs"] == 49


@pytest.mark.slow  # runs every case once (module fixture): ~8 s of compilation on 2 cores
def test_output_kinds_match(ours):
    """Bare arrays for string ``get``, namedtuples named and ordered as NT's, generators."""
    _, kinds = ours
    assert kinds == META["kinds"]


@pytest.mark.slow  # shares the fixture above
def test_values_match(golden, ours):
    _, nt_out = golden
    arrays, kinds = ours
    for key, ref in nt_out.items():
        if key.endswith((".shape1", ".shape2")) and key not in arrays:
            continue  # a Kernel without shape1/shape2 fields (older widenets.stax)
        assert key in arrays, key
        got = arrays[key]
        assert got.shape == ref.shape, key
        scale = max(float(np.max(np.abs(ref))), 1e-300)
        err = float(np.max(np.abs(got - ref))) / scale
        analytic = key.startswith(("batch__stax", "batch__kernel_in"))
        assert err <= (RTOL_ANALYTIC if analytic else RTOL), (key, err)
    extra = set(arrays) - set(nt_out)
    # a widenets Gram Kernel stores cov2 = cov1 (NT: None)
    for key in extra:
        case, field = key.rsplit(".", 1)
        assert field == "cov2" and kinds[case] == "Kernel" and f"{case}.cov1" in nt_out, key
        np.testing.assert_array_equal(arrays[key], arrays[f"{case}.cov1"])


def test_enum_and_signatures_match():
    facts = api_cases.api_facts(widenets)
    assert facts["NtkImplementation"] == META["api"]["NtkImplementation"]
    for name in api_cases.SIGNATURES:
        assert facts["signatures"][name] == META["api"]["signatures"][name], name
