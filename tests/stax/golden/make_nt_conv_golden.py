"""Produce the neural-tangents golden kernels of convolutional / pooling architectures.

Run in the pinned reference env (neural-tangents 0.6.5, jax 0.4.30), from the repository root:

    /work/ntenv/bin/python /work/shared/tools/nt_legacy.py tests/stax/golden/make_nt_conv_golden.py

(the env is built by ``shared/tools/nt-legacy-env.sh DIR``; ``nt_legacy.py`` stubs NT's
TensorFlow-only ``experimental`` package).  Writes ``nt_conv_golden.npz`` (float64 arrays) and
``nt_conv_golden.json`` (specs, kernel_fn keywords, provenance) next to this file, for
``tests/stax/test_nt_parity_conv.py``.  The specs come from ``conv_specs.all_cases``; widenets
never imports NT.  Set ``GOLDEN_ONLY=substring`` to evaluate a subset without writing files.
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
import conv_specs  # noqa: E402

N_RANDOM = 64
RANDOM_SEED = 7
COMMAND = ("/work/ntenv/bin/python /work/shared/tools/nt_legacy.py "
           "tests/stax/golden/make_nt_conv_golden.py")
HUGE = 1e12  # kernels beyond this are not useful golden data
RTOL = 1e-6  # the parity tolerance, max|K_widenets - K_nt| / max|K_nt|
QUAD_REF_DEG = 100  # reference quadrature degree for ElementwiseNumerical cases (300 in
# make_nt_golden.py; NT's quadrature costs deg^2 per kernel entry, too slow on full spatial kernels)
FLAGS = ("is_reversed", "diagonal_spatial")
JIT_STATIC = ("get", "diagonal_batch", "diagonal_spatial")


def main() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import neural_tangents as nt
    import scipy
    from neural_tangents import stax

    t_start = time.perf_counter()
    cases = conv_specs.all_cases(N_RANDOM, RANDOM_SEED)
    only = os.environ.get("GOLDEN_ONLY")
    if only:
        cases = [c for c in cases if only in c["name"]]
    used_inputs = sorted({c["input"] for c in cases})
    inputs = {kind: conv_specs.make_inputs(kind) for kind in used_inputs}
    arrays: dict[str, np.ndarray] = {}
    for kind, (x1, x2) in inputs.items():
        arrays[f"input__{kind}__x1"] = x1
        arrays[f"input__{kind}__x2"] = x2

    def kernels(kernel_fn, x1, x2, case):
        get = tuple(case["get"])
        kw = case["kernel_kwargs"]
        # jit as NT recommends (3x faster here than op-by-op; equal to ~1 ulp); the flags
        # 'is_reversed' / 'diagonal_spatial' only read attributes of the same Kernel.
        fn = jax.jit(kernel_fn, static_argnames=JIT_STATIC)
        out, flags = {}, {"is_reversed": {}, "diagonal_spatial": {}}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for call, b in (("11", None), ("12", x2)):
                k = fn(x1, b, get=get + FLAGS, **kw)
                for q in get:
                    out[f"{q}_{call}"] = np.asarray(getattr(k, q))
                for f in FLAGS:
                    flags[f][call] = bool(getattr(k, f))
        return out, flags

    kept, skipped = [], []
    for case in cases:
        x1, x2 = (jnp.asarray(a, dtype=jnp.float64) for a in inputs[case["input"]])
        t0 = time.perf_counter()
        record = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, _, kernel_fn = conv_specs.build(stax, jnp, case["arch"])
            out, flags = kernels(kernel_fn, x1, x2, case)
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
                # NT's RectifiedMonomial is 0/0 at cos = 1 (the diagonal of kernel_fn(x1, None));
                # kept as NaN, the test compares the finite entries only.
                record["nt_nonfinite"] = nonfinite
            if "ElementwiseNumerical" in arch_specs.layer_names(case["arch"]):
                # NT's Gauss-Hermite error at the requested `deg`, measured against deg=QUAD_REF_DEG;
                # the test's tolerance for this case is max(1e-6, 2 x this error).
                ref_arch = arch_specs.with_quadrature_degree(case["arch"], QUAD_REF_DEG)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _, _, ref_fn = conv_specs.build(stax, jnp, ref_arch)
                ref, _ = kernels(ref_fn, x1, x2, case)
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
            arrays[conv_specs.array_key(case["name"], *key.rsplit("_", 1))] = a
        scale = {key: (float(np.nanmax(np.abs(a))) if np.isfinite(a).any() else None)
                 for key, a in out.items()}
        shapes = {key: list(a.shape) for key, a in out.items()}
        nd = out["nngp_12"].ndim
        layout = ("readout" if nd == 2 else
                  "diagonal_spatial" if flags["diagonal_spatial"]["12"] else "full_spatial")
        rev = flags["is_reversed"]
        kept.append({**case, "output_layout": layout, "shapes": shapes, "nt_is_reversed": rev,
                     "nt_diagonal_spatial": flags["diagonal_spatial"],
                     "max_abs": scale, **record, "seconds": round(time.perf_counter() - t0, 3)})
        print(f"ok   {case['name']:34s} {str(shapes['nngp_12']):22s} rev={int(rev['12'])} "
              f"max|nngp|={scale['nngp_12']:.3g} max|ntk|={scale['ntk_12']:.3g}  "
              f"{time.perf_counter() - t0:.2f}s  " + " ".join(f"{k}={v}" for k, v in record.items()),
              flush=True)

    n_hand = sum(c["name"].startswith("c_") for c in kept)
    n_hand_total = sum(c["name"].startswith("c_") for c in cases)
    meta = {
        "about": ("neural-tangents 0.6.5 golden NNGP/NTK kernels of convolutional / pooling "
                  "architectures for tests/stax/test_nt_parity_conv.py"),
        "command": COMMAND,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "neural_tangents_version": nt.__version__,
        "jax_version": jax.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "env": ("pinned reference env built by shared/tools/nt-legacy-env.sh DIR: jax==0.4.30, "
                "jaxlib==0.4.30, frozendict, scipy, neural-tangents==0.6.5 (--no-deps); run through "
                "shared/tools/nt_legacy.py, which stubs NT's TensorFlow-only `experimental` package"),
        "platform": f"{platform.platform()} ({jax.default_backend()})",
        "python_version": platform.python_version(),
        "x64": True,
        "rtol": RTOL,
        "rtol_note": ("per case `rtol` overrides this for ElementwiseNumerical cases whose NT "
                      "quadrature error at the requested deg exceeds it (see nt_quadrature_rel_error, "
                      f"measured against deg={QUAD_REF_DEG})"),
        "evaluation": ("jax.jit(kernel_fn, static_argnames=('get', 'diagonal_batch', "
                       "'diagonal_spatial')); get also requests the Kernel flags "
                       "'is_reversed' and 'diagonal_spatial' (recorded as nt_is_reversed, "
                       "nt_diagonal_spatial)"),
        "calls": {"11": "kernel_fn(x1, None, get=tuple(case['get']), **case['kernel_kwargs'])",
                  "12": "kernel_fn(x1, x2, get=tuple(case['get']), **case['kernel_kwargs'])"},
        "array_keys": "<case name>__<quantity>_{11,12} for quantity in case['get']; "
                      "inputs under input__<kind>__{x1,x2}",
        "layout_note": ("arrays are stored exactly as NT returns them. NT does not undo its "
                        "internal `is_reversed` flag: after an odd number of shared-weight "
                        "full-spatial Conv/ConvTranspose layers a kernel that ends spatially has "
                        "its spatial axis pairs in reverse order, e.g. (N1, N2, W, W, H, H) "
                        "instead of (N1, N2, H, H, W, W); `nt_is_reversed` records the flag per "
                        "call. Diagonal-spatial kernels are (N1, N2, H, W) and never reversed; NT also "
                        "returns that layout without diagonal_spatial=True when no layer needs "
                        "the off-diagonal positions (e.g. a network of ConvLocal layers ending "
                        "spatially); `nt_diagonal_spatial` records the flag per call"),
        "inputs": {kind: {"x1_shape": list(conv_specs.INPUT_SHAPES[kind][0]),
                          "x2_shape": list(conv_specs.INPUT_SHAPES[kind][1]),
                          "generator": ("numpy.random.default_rng([seed, *shape]).standard_normal(shape)"
                                        if kind not in conv_specs._TRANSPOSED else
                                        f"transpose of input {conv_specs._TRANSPOSED[kind][0]!r} by "
                                        f"{conv_specs._TRANSPOSED[kind][1]}"),
                          "seeds": conv_specs.INPUT_SEEDS}
                   for kind in used_inputs},
        "random_architectures": {"function": "conv_specs.random_conv_architectures",
                                 "n": N_RANDOM, "seed": RANDOM_SEED},
        "n_cases": len(kept), "n_hand_written": n_hand, "n_random": len(kept) - n_hand,
        "n_hand_written_specs": n_hand_total, "n_random_specs": len(cases) - n_hand_total,
        "skipped": skipped,
        "generation_seconds": round(time.perf_counter() - t_start, 1),
        "cases": kept,
    }
    if not only:
        np.savez_compressed(os.path.join(HERE, "nt_conv_golden.npz"), **arrays)
        with open(os.path.join(HERE, "nt_conv_golden.json"), "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")
    print(f"{'wrote' if not only else 'evaluated (nothing written)'} {len(kept)} cases "
          f"({n_hand} hand-written, {len(kept) - n_hand} random), skipped {len(skipped)}, "
          f"in {meta['generation_seconds']} s")


if __name__ == "__main__":
    main()
