"""Generate neural-tangents 0.6.5 reference outputs of its top-level kernel API for widenets.

Run in the pinned NT env, from the repository root:

    /work/ntenv/bin/python /work/shared/tools/nt_legacy.py tests/kernels/golden/make_nt_api_golden.py

Writes ``nt_api_golden.npz`` (inputs and every output of `api_cases.run_cases`, float64) and
``nt_api_golden.json`` (the kind of each output, the enum members and signatures, versions,
command, date) next to this file. See README.md here.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import neural_tangents as nt  # noqa: E402
import numpy as np  # noqa: E402
from neural_tangents import stax  # noqa: E402

import api_cases  # noqa: E402

COMMAND = ("/work/ntenv/bin/python /work/shared/tools/nt_legacy.py "
           "tests/kernels/golden/make_nt_api_golden.py")


def main() -> None:
    data = api_cases.make_inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs, kinds = api_cases.run_cases(nt, stax, jnp, data)
    bad = {k: v.dtype.name for k, v in outputs.items()
           if v.dtype != np.float64 and not k.endswith((".shape1", ".shape2"))}
    if bad:
        raise TypeError(f"non-float64 outputs: {bad}")
    arrays = {f"input__{k}": v for k, v in data.items()}
    arrays.update({f"out__{k}": v for k, v in outputs.items()})
    meta = {
        "description": "neural-tangents 0.6.5 batch / empirical_kernel_fn / monte_carlo_kernel_fn / "
                       "empirical_ntk_vp_fn outputs of tests/kernels/golden/api_cases.py, float64",
        "kinds": kinds,
        "api": api_cases.api_facts(nt),
        "n_outputs": len(outputs),
        "seed": api_cases.SEED,
        "versions": {"neural_tangents": nt.__version__, "jax": jax.__version__,
                     "numpy": np.__version__, "python": sys.version.split()[0]},
        "command": COMMAND,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    np.savez(os.path.join(HERE, "nt_api_golden.npz"), **arrays)
    with open(os.path.join(HERE, "nt_api_golden.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(outputs)} arrays for {len(kinds)} outputs")


if __name__ == "__main__":
    main()
