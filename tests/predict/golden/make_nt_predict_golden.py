"""Produce the neural-tangents `predict` golden values for `tests/predict/test_nt_parity.py`.

Run in the pinned reference env (neural-tangents 0.6.5, jax 0.4.30), from the repository root:

    /work/ntenv/bin/python /work/shared/tools/nt_legacy.py tests/predict/golden/make_nt_predict_golden.py

Writes ``nt_predict_golden.npz`` (float64 inputs, NT's kernels and every output of
`predict_cases.run_cases`) and ``nt_predict_golden.json`` (provenance) next to this file.
widenets never imports NT; this script is the only place NT runs.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import predict_cases  # noqa: E402

COMMAND = ("/work/ntenv/bin/python /work/shared/tools/nt_legacy.py "
           "tests/predict/golden/make_nt_predict_golden.py")
RTOL = 1e-6


def main() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import neural_tangents as nt
    import scipy
    from neural_tangents import stax
    from neural_tangents._src import predict as nt_predict_src

    # NT 0.6.5's max_learning_rate calls scipy.linalg.eigvalsh(..., eigvals=...) on CPU, a keyword
    # scipy >= 1.14 removed; take NT's own non-CPU branch (jnp.linalg.eigvalsh) instead.
    nt_predict_src._is_on_cpu = lambda x: False

    t0 = time.perf_counter()
    data = predict_cases.make_inputs()
    x, xt = jnp.asarray(data["x_train"]), jnp.asarray(data["x_test"])
    for arch in predict_cases.ARCHS:
        _, _, kernel_fn = predict_cases.build(stax, arch)
        for w, (a, b) in {"dd": (x, None), "td": (xt, x), "tt": (xt, None)}.items():
            k = kernel_fn(a, b, get=("nngp", "ntk"))
            data[f"{arch}__nngp_{w}"] = np.asarray(k.nngp)
            data[f"{arch}__ntk_{w}"] = np.asarray(k.ntk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs = predict_cases.run_cases(nt.predict, stax, jnp, data)
    bad = {k: v.dtype.name for k, v in outputs.items() if v.dtype != np.float64}
    if bad:
        raise TypeError(f"non-float64 outputs: {bad}")
    nonfinite = sorted(k for k, v in outputs.items() if not np.all(np.isfinite(v)))
    if nonfinite:
        raise FloatingPointError(f"non-finite NT outputs: {nonfinite}")
    arrays = {f"input__{k}": v for k, v in data.items()}
    arrays.update({f"out__{k}": v for k, v in outputs.items()})
    conds = {k[len("input__"):]: float(np.linalg.cond(v)) for k, v in arrays.items()
             if k.endswith("_dd")}
    meta = {
        "about": "neural-tangents 0.6.5 predict outputs for tests/predict/test_nt_parity.py",
        "command": COMMAND,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "neural_tangents_version": nt.__version__,
        "jax_version": jax.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python_version": platform.python_version(),
        "env": ("pinned reference env built by shared/tools/nt-legacy-env.sh DIR (jax==0.4.30, "
                "neural-tangents==0.6.5 --no-deps), run through shared/tools/nt_legacy.py"),
        "x64": True,
        "patches": ("max_learning_rate: NT's CPU branch uses scipy.linalg.eigvalsh(eigvals=...), "
                    "removed in scipy 1.14; the script sets neural_tangents._src.predict._is_on_cpu "
                    "to return False so NT takes its own jnp.linalg.eigvalsh branch"),
        "rtol": RTOL,
        "rtol_note": "max|widenets - NT| / max|NT| per output array, float64",
        "seed": predict_cases.SEED,
        "archs": predict_cases.ARCHS,
        "train_kernel_condition_numbers": conds,
        "array_keys": ("input__<name>: inputs and NT's kernels <arch>__<nngp|ntk>_<dd|td|tt>; "
                       "out__<case>: outputs flattened by predict_cases.flatten"),
        "n_outputs": len(outputs),
        "generation_seconds": round(time.perf_counter() - t0, 1),
    }
    np.savez_compressed(os.path.join(HERE, "nt_predict_golden.npz"), **arrays)
    with open(os.path.join(HERE, "nt_predict_golden.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(outputs)} outputs in {meta['generation_seconds']} s; conds {conds}")


if __name__ == "__main__":
    main()
