"""Time Funk–Hecke spectra of architecture kernels (`widenets.spectral.theory`).

Acceptance check of the spectral-bias issue: ``funk_hecke_eigenvalues`` for k ≤ 200 in
d ∈ {3, 10, 100}, for the two-layer bias-free ReLU NTK (``Dense(512), Relu, Dense(1)``) and a
four-layer Erf NNGP (``4 × (Dense(512), Erf) + Dense(1)``, no biases), inputs of norm 1, float64,
default quadrature (k_max + d + 64 Gauss–Legendre nodes in θ); target: under 1 s each.

κ(t) comes from ``dot_product_kernel`` (one stax ``kernel_fn`` call per evaluation, jitted per
input shape). Timing: construction (rotation-invariance check, compiles the kernel) and one
warm-up call are excluded; reported is the min over ``--repeats`` calls of
``funk_hecke_eigenvalues(kappa, d, 200)``, i.e. the kernel evaluation on the nodes plus the
zonal-polynomial recurrence and the weighted sums. ``setup_s`` (first call, compile included)
is reported for context.

Usage: ``python3 benchmarks/bench_spectral.py [--k-max 200] [--repeats 5] [--out FILE]``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import _common  # noqa: E402

from widenets import stax  # noqa: E402
from widenets.spectral.theory import dot_product_kernel, funk_hecke_eigenvalues  # noqa: E402

DEFAULT_OUT = os.path.join(HERE, "results", "bench_spectral.json")
DIMS = (3, 10, 100)
TARGET_S = 1.0
#: name -> (activation, hidden layers, field)
ARCHITECTURES = {"relu2_ntk": ("relu", 1, "ntk"), "erf4_nngp": ("erf", 4, "nngp")}


def run_case(name: str, d: int, k_max: int, repeats: int) -> dict:
    activation, depth, get = ARCHITECTURES[name]
    layer = _common.build(stax, activation, depth, 512, W_std=1.0, b_std=None)
    t0 = time.perf_counter()
    kappa = dot_product_kernel(layer, d, get)
    mu = funk_hecke_eigenvalues(kappa, d, k_max)  # warm-up
    setup = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        mu = funk_hecke_eigenvalues(kappa, d, k_max)
        times.append(time.perf_counter() - start)
    case = {"architecture": name, "get": get, "d": d, "k_max": k_max, "setup_s": setup,
            "times_s": times, "min_s": min(times), "meets_target": min(times) < TARGET_S,
            "mu_0": float(mu[0]), "mu_k_max": float(mu[-1])}
    print(f"{name:10s} d={d:4d}  min {min(times) * 1e3:8.2f} ms   setup {setup:6.2f} s   "
          f"mu_0 {mu[0]:.4e}", flush=True)
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k-max", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    cases = [run_case(name, d, args.k_max, args.repeats) for name in ARCHITECTURES for d in DIMS]
    result = {
        "benchmark": "Funk-Hecke eigenvalues of stax kernels (widenets.spectral)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_avg_1min": os.getloadavg()[0]},
        "jax": _common.jax_info(),
        "target_s": TARGET_S,
        "all_meet_target": all(c["meets_target"] for c in cases),
        "cases": cases,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)
    print(f"wrote {args.out}; all under {TARGET_S} s: {result['all_meet_target']}")


if __name__ == "__main__":
    main()
