"""Produce the neural-tangents golden kernels for the widenets parity test.

Run in the pinned reference env (neural-tangents 0.6.5, jax 0.4.30), from the repository root:

    /work/ntenv/bin/python /work/shared/tools/nt_legacy.py tests/stax/golden/make_nt_golden.py

(the env is built by ``shared/tools/nt-legacy-env.sh DIR``; ``nt_legacy.py`` stubs NT's
TensorFlow-only ``experimental`` package).  Writes ``nt_golden.npz`` (float64 arrays) and
``nt_golden.json`` (specs, inputs, provenance) next to this file.  widenets never imports NT; this
script is the only place NT runs.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
import traceback
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import arch_specs  # noqa: E402

N_RANDOM = 80
RANDOM_SEED = 2024
COMMAND = ("/work/ntenv/bin/python /work/shared/tools/nt_legacy.py "
           "tests/stax/golden/make_nt_golden.py")
GET = ("nngp", "ntk")
HUGE = 1e12  # kernels beyond this are not useful golden data
RTOL = 1e-6  # the parity tolerance, max|K_widenets - K_nt| / max|K_nt|
QUAD_REF_DEG = 300  # reference quadrature degree for ElementwiseNumerical cases


def main() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import neural_tangents as nt
    import scipy
    from neural_tangents import stax

    t_start = time.perf_counter()
    cases = arch_specs.all_cases(N_RANDOM, RANDOM_SEED)
    inputs = {kind: arch_specs.make_inputs(kind) for kind in arch_specs.INPUT_SHAPES}
    arrays: dict[str, np.ndarray] = {}
    for kind, (x1, x2) in inputs.items():
        arrays[f"input__{kind}__x1"] = x1
        arrays[f"input__{kind}__x2"] = x2

    def kernels(kernel_fn, x1, x2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            k11 = kernel_fn(x1, None, get=GET)
            k12 = kernel_fn(x1, x2, get=GET)
        out = {"nngp_11": k11[0], "ntk_11": k11[1], "nngp_12": k12[0], "ntk_12": k12[1]}
        return {key: np.asarray(a) for key, a in out.items()}

    kept, skipped = [], []
    for case in cases:
        x1, x2 = (jnp.asarray(a, dtype=jnp.float64) for a in inputs[case["input"]])
        t0 = time.perf_counter()
        record = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, _, kernel_fn = arch_specs.build(stax, jnp, case["arch"])
            out = kernels(kernel_fn, x1, x2)
            nonfinite = {}
            for key, a in out.items():
                if a.dtype != np.float64:
                    raise TypeError(f"{key}: dtype {a.dtype}, expected float64")
                bad = int(np.sum(~np.isfinite(a)))
                if bad:
                    nonfinite[key] = bad
                if bad and key.endswith("_12"):
                    raise FloatingPointError(f"{key}: {bad} non-finite values")
                if np.isfinite(a).any() and np.nanmax(np.abs(a)) > HUGE:
                    raise FloatingPointError(f"{key}: max |K| = {np.nanmax(np.abs(a)):.3g} > {HUGE:g}")
            if nonfinite:
                # NT's own defect (RectifiedMonomial's 0/0 at cos = 1 on the diagonal of
                # kernel_fn(x1, None), which later layers spread to every entry); kept as NaN, the
                # test compares the finite entries only (the x1 != x2 call must be all finite).
                record["nt_nonfinite"] = nonfinite
            if "ElementwiseNumerical" in arch_specs.layer_names(case["arch"]):
                # NT's Gauss-Hermite error at the requested `deg`, measured against deg=QUAD_REF_DEG:
                # parity below it only holds for an identical quadrature scheme, so the test's
                # tolerance for this case is max(1e-6, 2 x this error).
                ref_arch = arch_specs.with_quadrature_degree(case["arch"], QUAD_REF_DEG)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _, _, ref_fn = arch_specs.build(stax, jnp, ref_arch)
                ref = kernels(ref_fn, x1, x2)
                qerr = {key: float(np.nanmax(np.abs(out[key] - ref[key])) / np.nanmax(np.abs(ref[key])))
                        for key in out if np.isfinite(ref[key]).any()}
                record["nt_quadrature_rel_error"] = qerr
                record["rtol"] = max(RTOL, 2.0 * max(qerr.values()))
        except Exception as e:  # noqa: BLE001 -- record and skip, never hand-edit a spec
            skipped.append({**case, "error": f"{type(e).__name__}: {e}"[:500]})
            print(f"SKIP {case['name']}: {type(e).__name__}: {e}"[:300], file=sys.stderr)
            if os.environ.get("GOLDEN_DEBUG"):
                traceback.print_exc()
            continue
        for key, a in out.items():
            arrays[f"{case['name']}__{key}"] = a
        scale = {key: (float(np.nanmax(np.abs(a))) if np.isfinite(a).any() else None)
                 for key, a in out.items()}
        kept.append({**case, "max_abs": scale, **record, "seconds": round(time.perf_counter() - t0, 3)})
        print(f"ok   {case['name']:34s} max|nngp|={scale['nngp_12']:.3g} "
              f"max|ntk|={scale['ntk_12']:.3g}  {time.perf_counter() - t0:.2f}s  "
              + " ".join(f"{k}={v}" for k, v in record.items()))

    n_hand = sum(c["name"].startswith("h_") for c in kept)
    meta = {
        "about": "neural-tangents 0.6.5 golden NNGP/NTK kernels for tests/stax/test_nt_parity.py",
        "command": COMMAND,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "neural_tangents_version": nt.__version__,
        "jax_version": jax.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "env": ("pinned reference env built by shared/tools/nt-legacy-env.sh DIR: jax==0.4.30, "
                "jaxlib==0.4.30, frozendict, scipy, neural-tangents==0.6.5 (--no-deps); run through "
                "shared/tools/nt_legacy.py, which stubs NT's TensorFlow-only `experimental` package"),
        "python_version": platform.python_version(),
        "x64": True,
        "get": list(GET),
        "rtol": RTOL,
        "rtol_note": ("per case `rtol` overrides this for ElementwiseNumerical cases whose NT "
                      "quadrature error at the requested deg exceeds it (see nt_quadrature_rel_error, "
                      f"measured against deg={QUAD_REF_DEG})"),
        "calls": {"11": "kernel_fn(x1, None, get=('nngp', 'ntk'))",
                  "12": "kernel_fn(x1, x2, get=('nngp', 'ntk'))"},
        "array_keys": "<case name>__{nngp,ntk}_{11,12}; inputs under input__<kind>__{x1,x2}",
        "inputs": {kind: {"x1_shape": list(arch_specs.INPUT_SHAPES[kind][0]),
                          "x2_shape": list(arch_specs.INPUT_SHAPES[kind][1]),
                          "generator": "numpy.random.default_rng([seed, ndim]).standard_normal(shape)",
                          "seeds": arch_specs.INPUT_SEEDS}
                   for kind in arch_specs.INPUT_SHAPES},
        "random_architectures": {"n": N_RANDOM, "seed": RANDOM_SEED},
        "n_cases": len(kept), "n_hand_written": n_hand, "n_random": len(kept) - n_hand,
        "skipped": skipped,
        "generation_seconds": round(time.perf_counter() - t_start, 1),
        "cases": kept,
    }
    np.savez_compressed(os.path.join(HERE, "nt_golden.npz"), **arrays)
    with open(os.path.join(HERE, "nt_golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"wrote {len(kept)} cases ({n_hand} hand-written, {len(kept) - n_hand} random), "
          f"skipped {len(skipped)}, in {meta['generation_seconds']} s")


if __name__ == "__main__":
    main()
