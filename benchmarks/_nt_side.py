"""The neural-tangents side of `bench_kernels.py`; runs in the pinned NT 0.6.5 env.

Not meant to be run by hand. ``bench_kernels.py`` starts it as a subprocess, usually as
``NT_PYTHON ../shared/tools/nt_legacy.py _nt_side.py ARGS``, with the inputs in ``.npy`` files
it wrote. This script builds the same architecture with ``neural_tangents.stax``, times
``jax.jit(kernel_fn, static_argnames='get')`` exactly as the widenets side does (see
`_common.time_kernel_fn`), and writes into ``--out-dir``:

* ``nngp.npy``, ``ntk.npy``: the kernels, for the agreement check;
* ``nngp64.npy``, ``ntk64.npy``: the same kernels computed once more in float64 (untimed), the
  reference that tells float32 rounding (both libraries) from a wrong answer;
* ``result.json``: the timings and the versions/device of this env.

With ``--probe`` it only prints the versions as JSON (the availability check).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import types

# Run via nt_legacy.py or directly, this file imports its sibling `_common` ...
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# ... and neural-tangents 0.6.5 without TensorFlow: its `experimental` package (unused by
# stax) needs TF; an empty module stands in, as ../shared/tools/nt_legacy.py does.
sys.modules.setdefault("neural_tangents.experimental", types.ModuleType("neural_tangents.experimental"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--x1")
    parser.add_argument("--x2")
    parser.add_argument("--activation")
    parser.add_argument("--depth", type=int)
    parser.add_argument("--width", type=int)
    parser.add_argument("--W-std", type=float)
    parser.add_argument("--b-std", type=float)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--out-dir")
    args = parser.parse_args()

    import jax
    import neural_tangents
    import numpy as np
    from neural_tangents import stax

    import _common

    info = {"neural_tangents": neural_tangents.__version__, **_common.jax_info()}
    if args.probe:
        print(json.dumps(info))
        return

    x1 = jax.device_put(np.load(args.x1, allow_pickle=False))
    x2 = None if args.x2 is None else jax.device_put(np.load(args.x2, allow_pickle=False))
    _, _, kernel_fn = _common.build(stax, args.activation, args.depth, args.width, args.W_std, args.b_std)
    out, stats = _common.time_kernel_fn(kernel_fn, x1, x2, args.repeats)
    for name in _common.GET:
        np.save(os.path.join(args.out_dir, f"{name}.npy"), np.asarray(getattr(out, name)))
    stats["dtype"] = str(out.nngp.dtype)
    out = None

    jax.config.update("jax_enable_x64", True)
    ref = jax.jit(kernel_fn, static_argnames="get")(
        np.load(args.x1, allow_pickle=False).astype(np.float64),
        None if args.x2 is None else np.load(args.x2, allow_pickle=False).astype(np.float64),
        get=_common.GET,
    )
    for name in _common.GET:
        values = np.asarray(getattr(ref, name))
        assert values.dtype == np.float64, values.dtype
        np.save(os.path.join(args.out_dir, f"{name}64.npy"), values)
    with open(os.path.join(args.out_dir, "result.json"), "w") as f:
        json.dump({"info": info, "stats": stats}, f)


if __name__ == "__main__":
    main()
