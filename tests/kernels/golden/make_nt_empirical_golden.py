"""Generate neural-tangents 0.6.5 reference empirical NNGPs/NTKs (float64) for widenets' tests.

Run in the pinned NT env, from the repository root:

    /work/ntenv/bin/python /work/shared/tools/nt_legacy.py tests/kernels/golden/make_nt_empirical_golden.py

Writes ``nt_empirical_golden.npz`` (kernels) and ``nt_empirical_golden.json`` (cases,
versions, command, date) next to this file. See README.md here.
"""
from __future__ import annotations

import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import neural_tangents as nt  # noqa: E402
import numpy as np  # noqa: E402

import empirical_specs as specs  # noqa: E402

IMPLEMENTATIONS = (1, 2)  # 3 (structured derivatives) fails in the 0.6.5 wheel


def main() -> None:
    params = jax.tree.map(jnp.asarray, specs.make_params())
    arrays, cases = {}, {}
    for case, (net, trace_axes, diagonal_axes, vmap_axes, _) in specs.CASES.items():
        f = specs.NETWORKS[net](jnp)
        x1, x2 = specs.case_inputs(case)
        arrays[f"{case}__x1"] = x1
        if x2 is not None:
            arrays[f"{case}__x2"] = x2
        nngp = nt.empirical_nngp_fn(f, trace_axes, diagonal_axes)(x1, x2, params)
        arrays[f"{case}__nngp"] = np.asarray(nngp)
        for impl in IMPLEMENTATIONS:
            ntk_fn = nt.empirical_ntk_fn(f, trace_axes, diagonal_axes, vmap_axes, impl)
            ntk = np.asarray(jax.jit(ntk_fn)(x1, x2, params))
            assert ntk.dtype == np.float64, ntk.dtype
            arrays[f"{case}__ntk{impl}"] = ntk
        spread = float(np.max(np.abs(arrays[f"{case}__ntk1"] - arrays[f"{case}__ntk2"])))
        cases[case] = {"network": net, "trace_axes": list(trace_axes),
                       "diagonal_axes": list(diagonal_axes), "vmap_axes": repr(vmap_axes),
                       "x2": "None" if x2 is None else list(x2.shape),
                       "ntk_shape": list(arrays[f"{case}__ntk1"].shape),
                       "nngp_shape": list(arrays[f"{case}__nngp"].shape),
                       "max_abs_ntk": float(np.max(np.abs(arrays[f"{case}__ntk1"]))),
                       "nt_impl1_vs_impl2_max_abs": spread}
        print(f"{case:22s} ntk {arrays[f'{case}__ntk1'].shape}  impl1 vs impl2 {spread:.1e}")
    for i, layer in enumerate(specs.make_params()["layers"]):  # the parameters, for the record
        for k, v in layer.items():
            if v is not None:
                arrays[f"param__layers_{i}_{k}"] = v
    meta = {
        "description": "neural-tangents 0.6.5 empirical_nngp_fn / empirical_ntk_fn (implementations 1 "
                       "and 2) of the plain-jnp networks in empirical_specs.py, float64",
        "cases": cases,
        "versions": {"neural_tangents": nt.__version__, "jax": jax.__version__,
                     "numpy": np.__version__, "python": sys.version.split()[0]},
        "command": "/work/ntenv/bin/python /work/shared/tools/nt_legacy.py "
                   "tests/kernels/golden/make_nt_empirical_golden.py",
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    np.savez(os.path.join(HERE, "nt_empirical_golden.npz"), **arrays)
    with open(os.path.join(HERE, "nt_empirical_golden.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
