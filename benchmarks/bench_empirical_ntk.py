"""Time widenets' empirical NTK against neural-tangents 0.6.5, implementations 1 and 2.

Network: a plain-jnp ReLU MLP in NTK parameterization (W_std = √2, b_std = 0.1), the same
function and the same seeded float32 numpy parameters on both sides; the kernel is
``jax.jit(empirical_ntk_fn(f, trace_axes=(-1,), implementation=impl))(x, None, params)``
(vmap_axes=None, both libraries' default):

====  =====================  ====  ==================  ====================================
case  MLP                    N     outputs             target
====  =====================  ====  ==================  ====================================
A     64 → 256 → 256 → 1     128   1, traced           widenets best ≤ 1.0 × NT best
B     128 → 512 → 512 → 3    256   3, traced (mean)    reported only
====  =====================  ====  ==================  ====================================

Every (library, implementation, case) runs in its own subprocess — this file in worker mode,
neural-tangents' through ``../shared/tools/nt_legacy.py`` in its pinned env — so that each
peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after the timed calls) belongs to one
case. Peak memory is also reported as XLA's static estimate, ``compiled.memory_analysis()``
argument + output + temp bytes. Times: trace+lower and compile separately, one warm-up call,
then the min of ``--repeats`` (≥ 5 by default) calls ended by `jax.block_until_ready`.
Accuracy: relative max error of each float32 kernel vs neural-tangents' float64 kernel
(implementation 1, computed once, untimed); widenets must stay within max(1e-4, 2 × NT's).

Usage: ``python3 benchmarks/bench_empirical_ntk.py [--quick] [--cases A,B] [--impls 1,2]
[--repeats 5] [--nt-python PATH | --no-nt] [--out FILE]``. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
DEFAULT_OUT = os.path.join(HERE, "results", "bench_empirical_ntk.json")
W_STD, B_STD = 2.0 ** 0.5, 0.1
#: name -> (input dim, hidden widths, outputs, N, N with --quick)
CASES = {"A": (64, (256, 256), 1, 128, 32), "B": (128, (512, 512), 3, 256, 48)}
TARGETS = {"A": 1.0}
AGREE_TOL = 1e-4


def mlp(jnp):
    """f(params, x): ReLU MLP, NTK parameterization; params = [(W, b), ...] (numpy-made)."""

    def f(params, x):
        h = x
        for i, (W, b) in enumerate(params):
            h = (W_STD / W.shape[0] ** 0.5) * (h @ W) + B_STD * b[None, :]
            if i < len(params) - 1:
                h = jnp.maximum(h, 0)
        return h

    return f


def make_data(case: str, n: int, seed: int) -> tuple[list, np.ndarray]:
    d, widths, k, _, _ = CASES[case]
    rng = np.random.default_rng(seed)
    dims = (d,) + widths + (k,)
    params = [(rng.standard_normal((a, b)).astype(np.float32), rng.standard_normal(b).astype(np.float32))
              for a, b in zip(dims[:-1], dims[1:])]
    return params, rng.standard_normal((n, d)).astype(np.float32)


# --- worker: one (library, implementation, case) in its own process -------------------------

def worker(args: argparse.Namespace) -> None:
    import jax  # noqa: PLC0415
    import jax.numpy as jnp  # noqa: PLC0415

    import _common  # noqa: PLC0415

    if args.worker == "nt":
        import neural_tangents as lib  # noqa: PLC0415
        version = lib.__version__
    else:
        sys.path.insert(0, REPO)
        try:
            import optax  # noqa: F401, PLC0415
        except ImportError:  # the control run in NT's env: `import widenets` pulls in
            # widenets.predict.empirical, which needs optax; nothing timed here uses it.
            import types  # noqa: PLC0415
            sys.modules["optax"] = types.ModuleType("optax")
        import widenets.kernels as lib  # noqa: PLC0415
        version = "checkout"
    data = np.load(args.data, allow_pickle=False)
    n_layers = sum(name.startswith("W") for name in data.files)
    params = [(data[f"W{i}"], data[f"b{i}"]) for i in range(n_layers)]
    x = jax.device_put(data["x"])
    params_dev = jax.device_put(params)
    ntk_fn = jax.jit(lib.empirical_ntk_fn(mlp(jnp), (-1,), (), None, args.impl))
    t0 = time.perf_counter()
    lowered = ntk_fn.lower(x, None, params_dev)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    mem = compiled.memory_analysis()
    out = jax.block_until_ready(compiled(x, None, params_dev))
    t3 = time.perf_counter()
    times = []
    for _ in range(args.repeats):
        out = None
        start = time.perf_counter()
        out = jax.block_until_ready(compiled(x, None, params_dev))
        times.append(time.perf_counter() - start)
    maxrss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    np.save(os.path.join(args.out_dir, f"{args.tag}{args.impl}.npy"), np.asarray(out))
    result = {
        "lib": args.worker, "tag": args.tag, "version": version, "impl": args.impl, "dtype": str(out.dtype),
        "lower_s": t1 - t0, "compile_s": t2 - t1, "first_call_s": t3 - t2, "times_s": times,
        "min_s": min(times), "maxrss_mib": maxrss_mib,
        "xla_bytes": {k: getattr(mem, k, None) for k in ("argument_size_in_bytes", "output_size_in_bytes",
                                                         "temp_size_in_bytes")} if mem else None,
        "info": _common.jax_info(),
    }
    if args.ref64:  # untimed float64 reference
        jax.config.update("jax_enable_x64", True)
        p64 = jax.tree.map(lambda a: np.asarray(a, np.float64), params)
        ref = jax.jit(lib.empirical_ntk_fn(mlp(jnp), (-1,), (), None, 1))(data["x"].astype(np.float64), None, p64)
        np.save(os.path.join(args.out_dir, "ref64.npy"), np.asarray(ref, np.float64))
    print("RESULT " + json.dumps(result))


# --- driver -----------------------------------------------------------------------------------

def run_worker(cmd: list[str], env: dict) -> dict:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}: " + "\n".join(proc.stderr.strip().splitlines()[-8:])}
    return json.loads(lines[-1][len("RESULT "):])


def peak_xla_mib(r: dict) -> float | None:
    b = r.get("xla_bytes")
    return None if not b or None in b.values() else sum(b.values()) / 2 ** 20


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: small N, 3 repeats")
    p.add_argument("--cases", default="A,B")
    p.add_argument("--impls", default="1,2")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nt-python")
    p.add_argument("--no-nt", action="store_true")
    p.add_argument("--out", default=DEFAULT_OUT)
    p.add_argument("--worker", choices=("wn", "nt"), help=argparse.SUPPRESS)
    p.add_argument("--impl", type=int, help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--out-dir", help=argparse.SUPPRESS)
    p.add_argument("--ref64", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--tag", help=argparse.SUPPRESS)
    p.add_argument("--wn-xla-flags", default=None,
                   help="XLA_FLAGS for the widenets worker only (diagnostics, e.g. "
                        "'--xla_cpu_experimental_ynn_fusion_type='); recorded in the JSON")
    p.add_argument("--no-control", action="store_true",
                   help="skip the control run of widenets' code on the NT env's jax 0.4.30")
    args = p.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 5)
    if args.worker:
        worker(args)
        return 0

    import bench_kernels as bk  # noqa: PLC0415  (NT discovery, machine info, JSON writing)

    cases = [c for c in args.cases.split(",") if c]
    impls = [int(i) for i in args.impls.split(",") if i]
    nt_cmd, nt_info = bk.find_nt(argparse.Namespace(no_nt=args.no_nt, nt_python=args.nt_python))
    nt_run = None if nt_cmd is None else nt_cmd[:-1] + [os.path.abspath(__file__)]
    me = [sys.executable, os.path.abspath(__file__)]
    load_start, results = os.getloadavg(), []
    print(f"load average {bk.fmt_load(load_start)} on {os.cpu_count()} CPUs; NT: "
          f"{nt_info.get('neural_tangents', 'unavailable: ' + nt_info.get('reason', '?'))}")
    with tempfile.TemporaryDirectory(prefix="bench_entk_") as tmp:
        for case in cases:
            d, widths, k, n_full, n_quick = CASES[case]
            n = n_quick if args.quick else n_full
            params, x = make_data(case, n, args.seed)
            data = os.path.join(tmp, f"{case}.npz")
            np.savez(data, x=x, **{f"W{i}": W for i, (W, _) in enumerate(params)},
                     **{f"b{i}": b for i, (_, b) in enumerate(params)})
            row = {"case": case, "mlp": [d, *widths, k], "n": n, "load_before": os.getloadavg(), "runs": {}}
            for impl in impls:
                common = ["--impl", str(impl), "--data", data, "--out-dir", tmp, "--repeats", str(args.repeats)]
                if nt_run:
                    print(f"[{case}] NT impl {impl} ...", flush=True)
                    ref = ["--ref64"] if impl == impls[0] else []
                    row["runs"][f"nt{impl}"] = run_worker(
                        nt_run + ["--worker", "nt", "--tag", "nt"] + common + ref, bk.nt_env())
                print(f"[{case}] widenets impl {impl} ...", flush=True)
                ref = ["--ref64"] if impl == impls[0] and not nt_run else []
                wn_env = dict(os.environ)
                if args.wn_xla_flags is not None:
                    wn_env["XLA_FLAGS"] = args.wn_xla_flags
                row["runs"][f"wn{impl}"] = run_worker(
                    me + ["--worker", "wn", "--tag", "wn"] + common + ref, wn_env)
                if nt_run and not args.no_control:
                    print(f"[{case}] control: widenets impl {impl} on NT's jax ...", flush=True)
                    row["runs"][f"wj{impl}"] = run_worker(
                        nt_run + ["--worker", "wn", "--tag", "wj"] + common, bk.nt_env())
            row["load_after"] = os.getloadavg()
            ref64 = np.load(os.path.join(tmp, "ref64.npy")) if os.path.exists(os.path.join(tmp, "ref64.npy")) else None
            for name, r in row["runs"].items():
                path = os.path.join(tmp, f"{name}.npy")
                if "error" not in r and ref64 is not None and os.path.exists(path):
                    r["err_vs_f64"] = bk.relative_error(np.load(path), ref64)
            results.append(summarise(row))
            for f in os.listdir(tmp):
                os.remove(os.path.join(tmp, f))
    load_end = os.getloadavg()
    print()
    print(table(results))
    print(f"ratio = widenets min / NT min (s); best = min over implementations. peak = max RSS of the "
          f"worker process / XLA memory_analysis (argument+output+temp), MiB. ctrl = widenets' code run "
          f"on the NT env's jax/XLA (same compiler as NT).\nload average: start "
          f"{bk.fmt_load(load_start)}, end {bk.fmt_load(load_end)}")
    bk.write_json(args.out, {
        "schema": 1, "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": [sys.executable] + sys.argv, "settings": {"W_std": W_STD, "b_std": B_STD, "dtype": "float32",
        "trace_axes": [-1], "vmap_axes": None, "x2": None, "repeats": args.repeats, "quick": args.quick,
        "seed": args.seed, "cases": {c: CASES[c] for c in cases}, "impls": impls, "agree_tol": AGREE_TOL,
        "wn_xla_flags": args.wn_xla_flags, "xla_flags_env": os.environ.get("XLA_FLAGS")},
        "machine": {**bk.machine_info(), "load_start": load_start, "load_end": load_end}, "nt": nt_info,
        "cases": results,
    })
    print(f"wrote {os.path.relpath(args.out)}")
    return 0


def summarise(row: dict) -> dict:
    runs = row["runs"]
    ok = {k: v for k, v in runs.items() if "error" not in v}
    for k, v in runs.items():
        if "error" in v:
            print(f"[{row['case']}] {k} failed: {v['error']}")
    best = {lib: min((v["min_s"] for k, v in ok.items() if k.startswith(lib)), default=None) for lib in ("wn", "nt")}
    row["best_s"] = best
    row["ratio_best"] = best["wn"] / best["nt"] if best["wn"] and best["nt"] else None
    row["ratios"] = {k[2:]: ok[k]["min_s"] / ok["nt" + k[2:]]["min_s"] for k in ok if k.startswith("wn") and "nt" + k[2:] in ok}
    row["control_ratios"] = {k[2:]: ok[k]["min_s"] / ok["nt" + k[2:]]["min_s"]
                             for k in ok if k.startswith("wj") and "nt" + k[2:] in ok}
    nt_err = max((v.get("err_vs_f64", 0) for k, v in ok.items() if k.startswith("nt")), default=0)
    wn_err = max((v.get("err_vs_f64", np.inf) for k, v in ok.items() if k.startswith("w")), default=np.inf)
    row["accurate"] = bool(wn_err <= max(AGREE_TOL, 2 * nt_err))
    target = TARGETS.get(row["case"])
    row["target"] = target
    row["verdict"] = ("n/a" if row["ratio_best"] is None else "FAIL (err)" if not row["accurate"] else
                      "-" if target is None else "PASS" if row["ratio_best"] <= target else "FAIL")
    return row


def table(results: list[dict]) -> str:
    head = (f"{'case':4} {'N':>4} {'impl':>4} {'NT min(s)':>9} {'wn min(s)':>9} {'ratio':>6} {'NT peak':>15} "
            f"{'wn peak':>15} {'NT err':>8} {'wn err':>8} {'ctrl min(s)':>11} {'ctrl ratio':>10}")
    lines = [head, "-" * len(head)]
    for r in results:
        for impl in sorted({k[2:] for k in r["runs"]}):  # tags: nt, wn, wj (control)
            nt, wn, wj = (r["runs"].get(tag + impl, {}) for tag in ("nt", "wn", "wj"))

            def cell(v, fmt):
                return "-" if v is None else format(v, fmt)

            def peak(v):
                return f"{cell(v.get('maxrss_mib'), '.0f')}/{cell(peak_xla_mib(v), '.0f')}"

            lines.append(f"{r['case']:4} {r['n']:>4} {impl:>4} {cell(nt.get('min_s'), '9.4f')} "
                         f"{cell(wn.get('min_s'), '9.4f')} {cell(r['ratios'].get(impl), '6.2f')} {peak(nt):>15} "
                         f"{peak(wn):>15} {cell(nt.get('err_vs_f64'), '8.1e')} {cell(wn.get('err_vs_f64'), '8.1e')} "
                         f"{cell(wj.get('min_s'), '11.4f')} {cell(r['control_ratios'].get(impl), '10.2f')}")
        lines.append(f"{r['case']:4} best: NT {r['best_s']['nt']}, widenets {r['best_s']['wn']}, ratio "
                     f"{r['ratio_best'] and round(r['ratio_best'], 3)} (target ≤ {r['target']}): {r['verdict']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
