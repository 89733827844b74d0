"""Time widenets' signature-kernel Gram matrices against pysiglib 4.0 in the same process.

Acceptance check of the signature-kernel issue: Gram matrix of 64 × 64 random-walk paths,
L = 200 points, d = 5 channels, float64, CPU, linear static kernel, second-order PDE scheme,
dyadic refinement λ = 1 (target: widenets time ≤ 2 × pysiglib's with ``n_jobs=2``); λ = 0 and
λ = 2 are reported too. Both libraries see the same arrays; the values must agree to 1e-8
relative (max over entries of |Δ| / |K_pysiglib|) — both use the same second-order scheme, so
they agree to rounding.

widenets side: ``jax.jit(lambda X, Y: signature_kernel_gram(X, Y, refinement=λ))``, timed as in
`_common.time_kernel_fn` (lower, compile, warm-up, then the min over ``--repeats`` calls).
pysiglib side: ``pysiglib.sig_kernel_gram(X, Y, dyadic_order=λ, n_jobs=2)`` after one warm-up
call, min over the same number of repeats. pysiglib is a benchmark-only dependency.

Set-up (once; the PyTorch CPU index is optional and may be unreachable offline):

    python3 -m venv /work/sigenv && /work/sigenv/bin/pip install jax numpy scipy sympy \\
        matplotlib optax pysiglib==4.0.0 [--extra-index-url https://download.pytorch.org/whl/cpu]

Usage: ``PYTHONPATH=/work/main /work/sigenv/bin/python benchmarks/bench_signature.py
[--quick] [--lambdas 0,1,2] [--repeats 3] [--out FILE]``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import _common  # noqa: E402

from widenets.signature.theory import signature_kernel_gram  # noqa: E402

DEFAULT_OUT = os.path.join(HERE, "results", "bench_signature.json")
N_PATHS, LENGTH, DIM = 64, 200, 5
TARGET_RATIO = 2.0  # at λ = 1
AGREE_TOL = 1e-8


def make_paths(seed: int, n: int, length: int, dim: int) -> np.ndarray:
    """Random walks with N(0, 1/length) steps (total variance ~1 per channel)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(size=(n, length - 1, dim)) / np.sqrt(length)
    return np.concatenate([np.zeros((n, 1, dim)), np.cumsum(steps, axis=1)], axis=1)


def time_pysiglib(X: np.ndarray, Y: np.ndarray, lam: int, repeats: int, n_jobs: int = 2) -> tuple[np.ndarray, dict]:
    import pysiglib  # noqa: PLC0415

    out = pysiglib.sig_kernel_gram(X, Y, dyadic_order=lam, n_jobs=n_jobs)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = pysiglib.sig_kernel_gram(X, Y, dyadic_order=lam, n_jobs=n_jobs)
        times.append(time.perf_counter() - start)
    return np.asarray(out), {"n_jobs": n_jobs, "times_s": times, "min_s": min(times), "version": pysiglib.__version__}


def run_case(lam: int, n: int, repeats: int) -> dict:
    X, Y = make_paths(0, n, LENGTH, DIM), make_paths(1, n, LENGTH, DIM)
    Xj, Yj = jax.device_put(X), jax.device_put(Y)

    def gram(X, Y, get=None):  # `get` only to share `_common.time_kernel_fn`
        return signature_kernel_gram(X, Y, refinement=lam)

    ours, ours_t = _common.time_kernel_fn(gram, Xj, Yj, repeats)
    ours = np.asarray(ours)
    ref, ref_t = time_pysiglib(X, Y, lam, repeats)
    _, ref1_t = time_pysiglib(X, Y, lam, repeats, n_jobs=1)  # context: widenets runs on one thread
    rel = float(np.max(np.abs(ours - ref) / np.abs(ref)))
    ratio = ours_t["min_s"] / ref_t["min_s"]
    case = {
        "lambda": lam, "n_paths": n, "length": LENGTH, "dim": DIM, "dtype": "float64",
        "widenets": ours_t, "pysiglib": ref_t, "pysiglib_1_thread": ref1_t,
        "ratio_widenets_over_pysiglib": ratio,
        "ratio_widenets_over_pysiglib_1_thread": ours_t["min_s"] / ref1_t["min_s"],
        "max_rel_diff": rel, "agree": rel <= AGREE_TOL,
        "kernel_range": [float(ref.min()), float(ref.max())],
    }
    print(
        f"λ={lam}: widenets {ours_t['min_s']:.3f} s (compile {ours_t['compile_s']:.2f} s), "
        f"pysiglib {ref_t['min_s']:.3f} s (n_jobs=2) / {ref1_t['min_s']:.3f} s (n_jobs=1), "
        f"ratio {ratio:.2f} / {ours_t['min_s'] / ref1_t['min_s']:.2f}, max rel diff {rel:.1e}",
        flush=True,
    )
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="16 × 16 paths instead of 64 × 64")
    parser.add_argument("--lambdas", default="0,1,2")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    n = 16 if args.quick else N_PATHS
    cases = [run_case(int(lam), n, args.repeats) for lam in args.lambdas.split(",")]
    main_case = next((c for c in cases if c["lambda"] == 1), None)
    result = {
        "benchmark": "signature-kernel Gram, widenets vs pysiglib (same process)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_avg_1min": os.getloadavg()[0]},
        "jax": _common.jax_info(),
        "target_ratio_at_lambda_1": TARGET_RATIO,
        "meets_target": None if main_case is None else main_case["ratio_widenets_over_pysiglib"] <= TARGET_RATIO,
        "all_agree": all(c["agree"] for c in cases),
        "cases": cases,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)
    print(f"wrote {args.out}; all agree: {result['all_agree']}; meets target: {result['meets_target']}")


if __name__ == "__main__":
    main()
