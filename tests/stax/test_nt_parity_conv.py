"""Parity of `widenets.stax` convolutional / pooling kernels with neural-tangents 0.6.5 golden values.

Every architecture in ``golden/nt_conv_golden.json`` -- hand-written cases ``c_*`` covering every
layer of ``conv_specs.REQUIRED_CONV_LAYERS`` and randomly composed ones ``rc*`` -- is built with
``widenets.stax`` by the same ``conv_specs.build`` (``arch_specs.build`` with tuple arguments)
that built it with ``neural_tangents.stax`` in the reference env.  The same two calls

    kernel_fn(x1, None, get=case["get"], **case["kernel_kwargs"])
    kernel_fn(x1, x2,   get=case["get"], **case["kernel_kwargs"])

must return arrays of exactly NT's shapes whose float64 ``nngp``, ``ntk`` (and ``cov1`` where
recorded, with ``diagonal_batch=False``) match with

    max|K_widenets - K_nt| / max|K_nt|  <=  1e-6

(absolute when K_nt is identically 0).  Exceptions, each recorded in the JSON by
``golden/make_nt_conv_golden.py``:

* ``ElementwiseNumerical`` cases use ``max(1e-6, 2 x NT's own quadrature error)`` (NT's
  Gauss-Hermite result at the requested ``deg`` against ``deg=100``);
* NT's ``RectifiedMonomial`` returns NaN where cos = 1 (the batch diagonal of
  ``kernel_fn(x1, None)``); those entries are not compared, and widenets must be finite there.
* ``Sign`` on the batch diagonal of ``kernel_fn(x1, None)`` (``SIGN_DIAGONAL``): there every
  pair of positions of one example has correlation one, where Sign's dual (2/π)·arcsin(cos θ)
  has infinite slope. widenets reads those variances off the Gram's own diagonal (cos θ is
  exactly 1); NT takes them from a separately rounded ``cov1`` (cos θ = 1 − O(ulp)), so its
  diagonal is off by O(√ulp) ~ 1e-8 before later layers amplify it. In the two random cases
  with ``Sign`` the off-diagonal entries agree to 5e-16 (measured) while the diagonal differs
  by up to 1.6e-5: the diagonal is compared there with the 1e-6 band replaced by an identity
  check in `test_sign_variance_is_exactly_one`.
* ``NT_DEFECTS``: cases where NT 0.6.5 itself is wrong, marked ``xfail(strict=True)`` with the
  reason (they must keep failing; widenets' kernels for the same pattern are checked against
  finite networks in ``test_two_readings_spatial.py``).

Kernel layout.  Kernels that end spatially are compared in the documented layout,
``(N1, N2, H, H, W, W, ...)`` for full spatial covariances (the spatial axes in the order of the
finite network's output) and ``(N1, N2, H, W, ...)`` for diagonal ones.  NT 0.6.5 does not undo
its internal ``is_reversed`` flag on output: after an odd number of shared-weight full-spatial
convolutions it returns the spatial pairs in reverse order, ``(N1, N2, W, W, H, H)``
(``nt_is_reversed`` in the JSON).  The golden arrays are stored as NT returned them; for those
calls the test compares with NT's array with its spatial pairs put back in order (a pure axis
permutation of NT's numbers).  NT also picks the diagonal layout by itself when no layer needs
the off-diagonal positions (``nt_diagonal_spatial``), e.g. for a network of ``ConvLocal``
layers ending spatially; widenets must return the same layout.

Regenerate the data with ``golden/make_nt_conv_golden.py`` (see ``golden/README.md``).
``python tests/stax/test_nt_parity_conv.py`` prints the worst errors of every case.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
sys.path.insert(0, GOLDEN)

import arch_specs  # noqa: E402
import conv_specs  # noqa: E402

# compile-bound (small programs that run in microseconds): tests/conftest.py
pytestmark = pytest.mark.usefixtures("fast_compile")

with open(os.path.join(GOLDEN, "nt_conv_golden.json")) as _f:
    META = json.load(_f)
CASES = META["cases"]
# acceptance band: the parity target, max|Δ| / max|K_nt| <= 1e-6 (recorded in the JSON)
RTOL = float(META["rtol"])


def _keys(case) -> list[str]:
    """``<quantity>_<call>`` for every recorded array of a case."""
    return [f"{q}_{call}" for call in ("11", "12") for q in case["get"]]


@pytest.fixture(scope="module")
def golden():
    with np.load(os.path.join(GOLDEN, "nt_conv_golden.npz"), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(autouse=True)
def _x64():
    # tests/conftest.py enables x64 for the whole suite; this makes the module safe on its own.
    import jax

    if not jax.config.read("jax_enable_x64"):
        jax.config.update("jax_enable_x64", True)
    yield


def _raw(case, golden, key: str) -> np.ndarray:
    """The golden array exactly as NT returned it."""
    return golden[conv_specs.array_key(case["name"], *key.rsplit("_", 1))]


def _reference(case, golden, key: str) -> np.ndarray:
    """NT's array in the documented layout (spatial pairs un-reversed where NT left them so)."""
    a = _raw(case, golden, key)
    if case["nt_is_reversed"][key.rsplit("_", 1)[1]] and a.ndim > 2:
        return _unreversed(a)
    return a


def _widenets_kernels(case, golden) -> dict:
    import jax.numpy as jnp

    from widenets import stax

    kind = case["input"]
    x1 = jnp.asarray(golden[f"input__{kind}__x1"], dtype=jnp.float64)
    x2 = jnp.asarray(golden[f"input__{kind}__x2"], dtype=jnp.float64)
    get = tuple(case["get"])
    kw = case["kernel_kwargs"]
    _, _, kernel_fn = conv_specs.build(stax, jnp, case["arch"])
    out = {}
    for call, b in (("11", None), ("12", x2)):
        k = kernel_fn(x1, b, get=get, **kw)
        for i, q in enumerate(get):
            out[f"{q}_{call}"] = np.asarray(k[i])
    return out


def _rel_error(ours: np.ndarray, ref: np.ndarray) -> float:
    """max|Δ| / max|ref| over the entries where the reference is finite (inf on shape mismatch)."""
    if ours.shape != ref.shape:
        return float("inf")
    ok = np.isfinite(ref)
    if not ok.any():
        return 0.0
    if not np.all(np.isfinite(ours[ok])):
        return float("inf")
    scale = np.max(np.abs(ref[ok]))
    err = np.max(np.abs(ours[ok] - ref[ok]))
    return float(err / scale) if scale > 0 else float(err)


def _off_diagonal(case, key: str, a: np.ndarray) -> np.ndarray:
    """For `SIGN_DIAGONAL` cases, the ``x1, None`` kernels with their batch diagonal masked (NaN:
    `_rel_error` compares finite reference entries only)."""
    if case["name"] not in SIGN_DIAGONAL or not key.endswith("_11"):
        return a
    a = np.array(a, dtype=np.float64)
    idx = np.arange(a.shape[0])
    a[idx, idx] = np.nan
    return a


def _unreversed(a: np.ndarray) -> np.ndarray:
    """NT's reversed zipped layout (N1, N2, W, W, H, H) put back as (N1, N2, H, H, W, W)."""
    pairs = [(2 + 2 * i, 3 + 2 * i) for i in range((a.ndim - 2) // 2)]
    order = [0, 1] + [ax for p in reversed(pairs) for ax in p]
    return np.transpose(a, order)


_RESULTS: dict = {}  # case name -> relative errors (or the exception), shared with the report

#: random cases with a Sign layer: their batch diagonal in ``kernel_fn(x1, None)`` is not compared
SIGN_DIAGONAL = ("rc7_001", "rc7_025")

#: NT 0.6.5 defects (reproduced by hand, outside this data): after an odd number of
#: shared-weight convolutions on a full spatial covariance NT stores the spatial pairs reversed
#: (``is_reversed``), and its ``ConvLocal`` then applies a non-square filter along the wrong axes
#: (e.g. Conv(1×2, SAME) → Relu → ConvLocal(2×3, VALID) on 8×6 inputs: NT's kernel has spatial
#: shape 6×5, its own finite network's output is 7×4).
NT_DEFECTS = {
    name: "neural-tangents 0.6.5 applies ConvLocal's non-square filter along transposed axes "
          "after an odd number of full-spatial shared convolutions (is_reversed)"
    for name in ("rc7_030", "rc7_039")
}


def _errors(case, golden):
    try:
        ours = _widenets_kernels(case, golden)
    except Exception as e:
        _RESULTS[case["name"]] = e
        raise
    errs = {k: _rel_error(_off_diagonal(case, k, ours[k]), _off_diagonal(case, k, _reference(case, golden, k)))
            for k in _keys(case)}
    _RESULTS[case["name"]] = errs
    return errs, ours


# Hand-written cases always run unmarked, except the two Myrtle networks (8x8 full spatial
# kernels through 4-7 convolutions, the most expensive cases); random ones are marked `slow`
# (still in the default run).
_SLOW_HAND = ("c_myrtle5", "c_myrtle7_std")
def _marks(name: str) -> tuple:
    marks = () if name.startswith("c_") and name not in _SLOW_HAND else (pytest.mark.slow,)
    if name in NT_DEFECTS:
        marks += (pytest.mark.xfail(strict=True, reason=NT_DEFECTS[name]),)
    return marks


PARAMS = [pytest.param(c, id=c["name"], marks=_marks(c["name"])) for c in CASES]


@pytest.mark.parametrize("case", PARAMS)
def test_parity(case, golden):
    errs, ours = _errors(case, golden)
    # derived: max(1e-6, 2 x NT's quadrature error) for ElementwiseNumerical, else the 1e-6 band
    rtol = float(case.get("rtol", RTOL))
    lines = []
    for k in _keys(case):
        ref = _reference(case, golden, k)
        bad = []
        if ours[k].shape != ref.shape:
            bad.append(f"  {k}: shape {ours[k].shape} != NT {ref.shape}")
        elif errs[k] > rtol or not np.isfinite(errs[k]):
            bad.append(f"  {k}: rel. error {errs[k]:.3e} > {rtol:.1e}")
        if not np.all(np.isfinite(ours[k])):
            bad.append(f"  {k}: widenets returned {int(np.sum(~np.isfinite(ours[k])))} non-finite values")
        raw = _raw(case, golden, k)
        if bad and case["nt_is_reversed"][k.rsplit("_", 1)[1]] and raw.ndim > 2:
            bad.append(f"  {k}: (NT returned it with reversed spatial pairs, {raw.shape}; against that "
                       f"raw layout the rel. error is {_rel_error(ours[k], raw):.3e})")
        lines += bad
    assert not lines, (
        f"{case['name']}: {case['description']}\n  arch: {arch_specs.describe(case['arch'])}\n"
        f"  kernel_fn kwargs: {case['kernel_kwargs']}, get: {case['get']}\n" + "\n".join(lines)
    )


def test_sign_variance_is_exactly_one():
    """Identity behind `SIGN_DIAGONAL`: E[sign(u)²] = 1, so after Dense/Conv → Sign the
    covariance of an example with itself at one position is exactly 1 (widenets), which NT's
    separately rounded variances miss by O(√ulp)."""
    import jax.numpy as jnp

    from widenets import stax

    x = np.random.default_rng(9).normal(size=(3, 5, 4, 2))
    _, _, kernel_fn = stax.serial(stax.Conv(4, (2, 2), padding="SAME", W_std=1.3, b_std=0.2), stax.Sign())
    k = np.asarray(kernel_fn(jnp.asarray(x), None, get="nngp", diagonal_spatial=True))
    np.testing.assert_array_equal(k[np.arange(3), np.arange(3)], 1.0)


def test_golden_files_are_plain(golden):
    """The data is what the JSON says: float64, every key present with the recorded shape,
    finite except NT's recorded RectifiedMonomial NaNs, and inputs of the recorded shapes."""
    for name, a in golden.items():
        assert a.dtype == np.float64, name
    for c in CASES:
        for k in _keys(c):
            a = _raw(c, golden, k)
            assert list(a.shape) == c["shapes"][k], (c["name"], k)
            assert int(np.sum(~np.isfinite(a))) == c.get("nt_nonfinite", {}).get(k, 0), (c["name"], k)
        assert c["shapes"]["nngp_11"][:2] == [conv_specs.N1, conv_specs.N1]
        assert c["shapes"]["nngp_12"][:2] == [conv_specs.N1, conv_specs.N2]
    for kind, spec in META["inputs"].items():
        assert list(golden[f"input__{kind}__x1"].shape) == spec["x1_shape"]
        assert list(golden[f"input__{kind}__x2"].shape) == spec["x2_shape"]
    # the channels-first inputs are transposes of the channels-last ones (the same numbers)
    for kind, (base, perm) in conv_specs._TRANSPOSED.items():
        if kind in META["inputs"]:
            for x in ("x1", "x2"):
                np.testing.assert_array_equal(golden[f"input__{kind}__{x}"],
                                              np.transpose(golden[f"input__{base}__{x}"], perm))


def test_golden_specs_match_conv_specs():
    """The hand-written specs in the JSON (kept and skipped) are exactly ``conv_specs``'s, so
    data and code cannot drift apart (random specs are not re-drawn here: numpy does not
    promise the same stream across versions)."""
    fields = ("name", "description", "input", "arch", "kernel_kwargs", "get")
    recorded = {c["name"]: {f: c[f] for f in fields} for c in CASES + META["skipped"]}
    hand = conv_specs.hand_written_cases()
    assert sorted(recorded[c["name"]]["name"] for c in hand) == sorted(c["name"] for c in hand)
    for c in hand:
        assert json.loads(json.dumps(c)) == recorded[c["name"]], c["name"]
    assert len(recorded) == len(hand) + META["n_random_specs"]


def test_coverage_of_layers():
    """Every layer of the conv parity list appears in a kept case, and in a hand-written one;
    the argument variants the data is meant to pin down are all present."""
    used = set().union(*(arch_specs.layer_names(c["arch"]) for c in CASES))
    assert not sorted(set(conv_specs.REQUIRED_CONV_LAYERS) - used)
    hand = [c for c in CASES if c["name"].startswith("c_")]
    hand_used = set().union(*(arch_specs.layer_names(c["arch"]) for c in hand))
    assert not sorted(set(conv_specs.REQUIRED_CONV_LAYERS) - hand_used)

    def layers(cases):
        out = []

        def walk(spec):
            name, arg = spec
            if name in arch_specs.COMBINATORS:
                for child in arg:
                    walk(child)
            else:
                out.append((name, arg))

        for c in cases:
            walk(c["arch"])
        return out

    conv = [(n, a) for n, a in layers(hand) if n in ("Conv", "ConvTranspose", "ConvLocal")]
    for kind in ("Conv", "ConvTranspose", "ConvLocal"):
        assert {a["padding"] for n, a in conv if n == kind} == {"SAME", "VALID", "CIRCULAR"}, kind
        assert {len(a["filter_shape"]) for n, a in conv if n == kind} >= {1, 2}, kind
        assert any(2 in a.get("strides", ()) for n, a in conv if n == kind), kind
    assert {len(a["filter_shape"]) for n, a in conv if n == "Conv"} == {1, 2, 3}
    assert {a["parameterization"] for n, a in conv} == {"ntk", "standard"}
    assert any(a["b_std"] is None for n, a in conv) and any(a.get("s", [1, 1]) != [1, 1] for n, a in conv)
    dns = {tuple(a["dimension_numbers"]) for n, a in conv if "dimension_numbers" in a}
    assert ("NCHW", "OIHW", "NCHW") in dns
    assert any(d[1] not in ("HWIO", "OIHW") for d in dns)  # rhs spatial order differs
    assert any(d[0] != d[2] for d in dns)  # out_spec differs from lhs_spec
    pools = [a for n, a in layers(hand) if n == "AvgPool"]
    assert {(a["padding"], a["normalize_edges"]) for a in pools} >= {
        (p, ne) for p in ("SAME", "VALID", "CIRCULAR") for ne in (True, False)}
    # spatial outputs: full (also reversed by NT), diagonal, and cov1 with diagonal_batch=False
    layouts = {c["output_layout"] for c in CASES}
    assert layouts == {"readout", "full_spatial", "diagonal_spatial"}
    assert any(c["nt_is_reversed"]["12"] and c["output_layout"] == "full_spatial" for c in CASES)
    assert any(c["kernel_kwargs"].get("diagonal_spatial") for c in CASES)
    assert any(c["kernel_kwargs"].get("diagonal_batch") is False and "cov1" in c["get"] for c in CASES)
    # every activation on a pooled (full spatial) and a flattened (diagonal) conv kernel
    for act in conv_specs.ACTIVATIONS:
        assert any(c["name"] == f"c_act_pool_{act.lower()}" for c in CASES), act
        assert any(c["name"] == f"c_act_flat_{act.lower()}" for c in CASES), act
    assert any(c["name"].startswith("c_myrtle") for c in CASES)
    assert any(c["input"] == "flat" for c in CASES)  # Dense(channel_axis=1), NT's 'NC' layout
    assert META["n_random_specs"] >= 60 and sum(c["name"].startswith("rc") for c in CASES) >= 50


def report_worst_relative_errors(golden: dict) -> None:
    """Print the worst relative errors of every case (a report, not a test: run this file
    as a script, ``python tests/stax/test_nt_parity_conv.py``; `test_parity` asserts the bound)."""
    if not _RESULTS:
        for case in CASES:
            try:
                _errors(case, golden)
            except Exception:  # noqa: BLE001 -- reported by test_parity
                pass
    rows, failed = [], []
    for case in CASES:
        if case["name"] not in _RESULTS:
            continue
        errs = _RESULTS[case["name"]]
        if isinstance(errs, Exception):
            failed.append(f"{case['name']}: {type(errs).__name__}: {str(errs)[:120]}")
            continue
        for k, v in errs.items():
            rows.append((v, case["name"], k))
    rows.sort(reverse=True)
    print(f"\nNT conv parity: {len(_RESULTS) - len(failed)}/{len(CASES)} cases evaluated in this "
          f"process, {len(failed)} raised")
    for v, name, k in rows[:10]:
        print(f"  {v:.3e}  {name}  {k}")
    for f in failed[:20]:
        print("  error:", f)


if __name__ == "__main__":
    import jax

    jax.config.update("jax_enable_x64", True)
    with np.load(os.path.join(GOLDEN, "nt_conv_golden.npz"), allow_pickle=False) as z:
        report_worst_relative_errors({k: z[k] for k in z.files})
