"""Produce neural-tangents' own results for its README examples, for
`tests/predict/test_nt_readme_flow.py`.

Run in the pinned reference env (neural-tangents 0.6.5, jax 0.4.30), from the repository root:

    /work/ntenv/bin/python /work/shared/tools/nt_legacy.py tests/predict/golden/make_nt_readme_golden.py

Writes ``nt_readme_golden.npz`` (every array of `readme_flow.run_flow`, float64) and
``nt_readme_golden.json`` (the kind of each result, versions, command, date) next to this
file. widenets never imports NT; this script is the only place NT runs.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import readme_flow  # noqa: E402

COMMAND = ("/work/ntenv/bin/python /work/shared/tools/nt_legacy.py "
           "tests/predict/golden/make_nt_readme_golden.py")


def main() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)  # as in the README's "64-bit precision enabled"
    import jax.numpy as jnp
    import neural_tangents as nt
    from jax import random
    from neural_tangents import stax

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NT's FanIn independence warnings
        arrays, kinds = readme_flow.run_flow(nt, stax, jnp, random)
    meta = {
        "about": "neural-tangents 0.6.5 results of its README examples (readme_flow.py), float64",
        "kinds": kinds,
        "n_arrays": len(arrays),
        "threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
        "versions": {"neural_tangents": nt.__version__, "jax": jax.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "command": COMMAND,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    np.savez(os.path.join(HERE, "nt_readme_golden.npz"), **arrays)
    with open(os.path.join(HERE, "nt_readme_golden.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(arrays)} arrays for {len(kinds)} results")


if __name__ == "__main__":
    main()
