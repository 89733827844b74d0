"""Time widenets' convolutional NNGP + NTK against neural-tangents 0.6.5 on the same inputs.

Two architectures, both ``kernel_fn(x, None, get=('nngp', 'ntk'))`` on seeded float32 NHWC
inputs, NTK parameterization, W_std = √2:

======  ===========================================================  =======  ====  ==========
case    network                                                      inputs   N     target
======  ===========================================================  =======  ====  ==========
myrtle  Myrtle-7 (Shankar et al. 2020, arXiv:2003.02237): groups of  16×16×3  48    wn ≤ 0.5 NT
        2, 2, 2 × [Conv 3×3 SAME, Relu], AvgPool 2×2/2 after each,
        pooled to 1×1, Flatten, Dense; b_std = 0. Pooling readout:
        the full spatial covariance (N, N, 16, 16, 16, 16) at first
cnn8    8 × [Conv 3×3 SAME, Relu], Flatten, Dense; b_std = 0.05.     32×32×3  1024  wn ≤ 0.67 NT
        Flatten readout: the spatial diagonal (N, N, 32, 32)
======  ===========================================================  =======  ====  ==========

Every run is its own subprocess (this file in worker mode; neural-tangents' through
``../shared/tools/nt_legacy.py`` in its pinned env), so each peak RSS belongs to one run.
widenets: ``jax.jit(kernel_fn, static_argnames='get')`` (it tiles the Gram itself). NT: the
same (batch size 0), and/or ``nt.batch(kernel_fn, batch_size=B)``, what an NT user does when
the whole kernel does not fit in memory; every B of the case is tried and NT's best is used
(cnn8: 0, 128, 256; a plain call whose XLA program needs more than 80 % of the free memory is
compiled but not run, and reported as such). Per run: compile timed separately, one warm-up
call, then the min of ``--repeats`` calls (wall clock; process CPU time is reported too).

Accuracy: both float32 Grams are compared with each other (Δ = max|Δ| / max|K|) and, on their
leading ``ref_rows`` × ``ref_rows`` block, with NT's float64 kernel of those inputs (untimed).
A case fails whatever its speed unless, for nngp and ntk, widenets' float32 error
≤ max(1e-4, 2 × NT's) and Δ ≤ that bound + NT's error (the triangle inequality).

Usage: ``python benchmarks/bench_conv.py [--quick] [--cases myrtle,cnn8] [--repeats 3]
[--n CASE=N] [--nt-batch CASE=B1,B2] [--nt-python PATH | --no-nt] [--out FILE]``.
See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import _common  # noqa: E402

DEFAULT_OUT = os.path.join(HERE, "results", "bench_conv.json")
WIDTH = 256  # channels of every layer (the NTK-parameterised kernels do not depend on it)
W_STD = 2.0 ** 0.5
#: float32 error allowed (vs float64) beyond NT's own; see `judge`
AGREE_TOL = 1e-4
#: a run whose XLA program needs more than this fraction of the free memory is not started
MEM_FRACTION = 0.8


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    spatial: int  # inputs are spatial × spatial × 3
    b_std: float
    n_full: int
    n_quick: int
    target: float  # widenets time / NT's best time must be ≤ this (at n_full)
    nt_batch: tuple[int, ...]  # NT batch sizes tried (0: one plain jitted call)
    nt_batch_quick: tuple[int, ...]
    ref_rows: int  # leading rows of the float64 reference
    myrtle_groups: tuple[int, ...] = ()  # Myrtle network if given, else an 8-layer CNN
    depth: int = 0

    def build(self, stax):
        if self.myrtle_groups:
            return _common.build_myrtle(stax, self.spatial, self.myrtle_groups, WIDTH, W_STD, self.b_std)
        return _common.build_cnn_flatten(stax, self.depth, WIDTH, W_STD, self.b_std)

    def describe(self) -> str:
        if self.myrtle_groups:
            return (f"Myrtle-{sum(self.myrtle_groups) + 1}: groups "
                    f"{self.myrtle_groups} x [Conv3x3 SAME, Relu] + AvgPool2x2/2, pooled to 1x1, Flatten, "
                    f"Dense; W_std=sqrt2, b_std={self.b_std}")
        return f"{self.depth} x [Conv3x3 SAME, Relu], Flatten, Dense; W_std=sqrt2, b_std={self.b_std}"


CASES = {
    # N = 48: NT needs ~50 s of CPU per call here (22.5 s at N = 32, cost ∝ N²), i.e. ≥ 10 s of wall
    # clock on two cores even if it kept both busy; its whole kernel fits (XLA: ~4 GiB)
    # cnn8: NT's plain call needs 32 GiB at N = 1024 (XLA's estimate), hence nt.batch
    "myrtle": Case("myrtle", 16, 0.0, n_full=48, n_quick=8, target=0.5, nt_batch=(0,),
                   nt_batch_quick=(0,), ref_rows=16, myrtle_groups=(2, 2, 2)),
    "cnn8": Case("cnn8", 32, 0.05, n_full=1024, n_quick=32, target=0.67, nt_batch=(0, 128, 256),
                 nt_batch_quick=(16,), ref_rows=128, depth=8),
}


# --- worker: one (library, case, batch size) in its own process ----------------------------

def worker(args: argparse.Namespace) -> None:
    import jax  # noqa: PLC0415

    case = CASES[args.case]
    if args.worker == "nt":
        import types  # noqa: PLC0415
        sys.modules.setdefault("neural_tangents.experimental", types.ModuleType("neural_tangents.experimental"))
        import neural_tangents as nt  # noqa: PLC0415
        from neural_tangents import stax  # noqa: PLC0415
        version = nt.__version__
    else:
        sys.path.insert(0, REPO)  # benchmark the checkout, whatever else is installed
        from widenets import stax  # noqa: PLC0415
        version = "checkout"
    _, _, kernel_fn = case.build(stax)
    result = {"lib": args.worker, "version": version, "case": case.name, "info": _common.jax_info(),
              "batch_size": args.batch_size}
    if args.x is not None:
        try:
            result.update(timed_run(args, kernel_fn, nt if args.worker == "nt" else None))
        except MemoryError as err:  # the guard of `_common.time_kernel_fn`
            result["error"] = f"MemoryError: {err}"
        result["maxrss_mib"] = _common.peak_rss_mib()  # before the reference allocates anything
    if args.ref_x is not None:  # untimed float64 reference on the leading rows: one plain call
        jax.config.update("jax_enable_x64", True)
        x = np.load(args.ref_x, allow_pickle=False).astype(np.float64)
        ref = jax.jit(kernel_fn, static_argnames="get")(x, None, get=_common.GET)
        for name in _common.GET:
            values = np.asarray(getattr(ref, name))
            assert values.dtype == np.float64, values.dtype
            np.save(os.path.join(args.out_dir, f"ref64_{name}.npy"), values)
        result["ref64"] = True
    print("RESULT " + json.dumps(result))


def timed_run(args: argparse.Namespace, kernel_fn, nt) -> dict:
    """Time one library's kernel_fn on ``args.x`` (see the module docstring); save its output."""
    import jax  # noqa: PLC0415

    x = jax.device_put(np.load(args.x, allow_pickle=False))
    free = free_bytes()
    if args.batch_size:
        if nt is None:
            raise SystemExit("--batch-size is for the NT worker (widenets tiles on its own)")
        batched = nt.batch(kernel_fn, batch_size=args.batch_size)  # jits kernel_fn per block itself
        t0 = time.perf_counter()
        out = jax.block_until_ready(batched(x, None, get=_common.GET))  # compiles, then runs
        first = time.perf_counter() - t0
        out = None
        out, times, cpu = _common.time_calls(lambda: batched(x, None, get=_common.GET), args.repeats)
        stats = {"first_call_s": first, "times_s": times, "min_s": min(times), "cpu_times_s": cpu,
                 "min_cpu_s": min(cpu), "compile_s": max(first - min(times), 0.0), "compile_estimated": True,
                 "xla_bytes": None}
    else:
        out, stats = _common.time_kernel_fn(kernel_fn, x, None, args.repeats,
                                            max_bytes=MEM_FRACTION * free if free else None)
        stats["compile_estimated"] = False
    stats["dtype"] = str(out.nngp.dtype)
    for name in _common.GET:
        np.save(os.path.join(args.out_dir, f"{args.tag}_{name}.npy"), np.asarray(getattr(out, name)))
    return stats


def free_bytes() -> int | None:
    """MemAvailable from /proc/meminfo, bytes (None where there is no such file)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# --- driver ---------------------------------------------------------------------------------

def run_worker(cmd: list[str], env: dict, timeout: float = 6 * 3600) -> dict:
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        return {"error": f"{type(err).__name__}: {err}"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        killed = " (killed: out of memory?)" if proc.returncode in (-9, 137) else ""
        return {"error": f"exit {proc.returncode}{killed}: {tail}"}
    return json.loads(lines[-1][len("RESULT "):])


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: small N (under a minute)")
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {list(CASES)}")
    p.add_argument("--repeats", type=int, default=3, help="timed calls per run (min is reported; ≥ 3)")
    p.add_argument("--n", action="append", default=[], metavar="CASE=N", help="inputs of a case (repeatable)")
    p.add_argument("--nt-batch", action="append", default=[], metavar="CASE=B1,B2",
                   help="NT batch sizes to try for a case, 0 = one plain jitted call (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nt-python", help="python of the NT 0.6.5 env (as for bench_kernels.py)")
    p.add_argument("--no-nt", action="store_true", help="time widenets alone")
    p.add_argument("--out", default=DEFAULT_OUT, help="JSON results file (written atomically)")
    p.add_argument("--worker", choices=("wn", "nt"), help=argparse.SUPPRESS)
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--x", help=argparse.SUPPRESS)
    p.add_argument("--batch-size", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--out-dir", help=argparse.SUPPRESS)
    p.add_argument("--tag", help=argparse.SUPPRESS)
    p.add_argument("--ref-x", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return args
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in args.cases if c not in CASES]
    if unknown or not args.cases:
        p.error(f"--cases: unknown {unknown}; choose from {list(CASES)}")
    if args.repeats < 3:
        p.error("--repeats must be ≥ 3 (the acceptance check takes the min of ≥ 3 repeats)")

    def per_case(items, flag, parse):
        out = {}
        for item in items:
            name, sep, value = item.partition("=")
            if not sep or name not in CASES:
                p.error(f"{flag} {item!r}: expected CASE=VALUE with CASE in {list(CASES)}")
            try:
                out[name] = parse(value)
            except ValueError:
                p.error(f"{flag} {item!r}: bad value")
        return out

    args.n = per_case(args.n, "--n", int)
    args.nt_batch = per_case(args.nt_batch, "--nt-batch", lambda v: tuple(int(b) for b in v.split(",")))
    for name, n in args.n.items():
        if n < 2:
            p.error(f"--n {name}={n}: must be ≥ 2")
    for name, sizes in args.nt_batch.items():
        if not sizes or any(b < 0 for b in sizes):
            p.error(f"--nt-batch {name}: batch sizes must be ≥ 0")
    return args


def judge(agree: dict | None) -> tuple[bool | None, dict]:
    """Per field, the bounds and whether widenets meets them (None: nothing to judge against).

    err bound: widenets' float32 error vs float64 ≤ max(AGREE_TOL, 2 × NT's), as in
    bench_kernels.py. Δ bound: |wn − NT| ≤ |wn − ref| + |NT − ref| ≤ err bound + NT's error.
    """
    if not agree:
        return None, {}
    bounds, ok = {}, True
    for name, a in agree.items():
        err_bound = max(AGREE_TOL, 2 * a["nt_vs_f64"])
        delta_bound = err_bound + a["nt_vs_f64"]
        bounds[name] = {"err_bound": err_bound, "delta_bound": delta_bound}
        ok &= a["wn_vs_f64"] <= err_bound and a["wn_vs_nt"] <= delta_bound
    return bool(ok), bounds


def run_case(case: Case, args, nt_run, tmp: str, comparable: bool) -> dict:
    import bench_kernels as bk  # noqa: PLC0415

    n = args.n.get(case.name, case.n_quick if args.quick else case.n_full)
    full_size = n == case.n_full
    sizes = args.nt_batch.get(case.name, case.nt_batch_quick if args.quick else case.nt_batch)
    ref_rows = min(n, case.ref_rows)
    work = os.path.join(tmp, case.name)
    os.makedirs(work)
    x = np.random.default_rng(args.seed).standard_normal((n, case.spatial, case.spatial, 3)).astype(np.float32)
    x_path, ref_path = os.path.join(work, "x.npy"), os.path.join(work, "x_ref.npy")
    np.save(x_path, x)
    np.save(ref_path, x[:ref_rows])
    kernel = f"{n}x{n} (x2=None)"
    row = {"case": case.name, "network": case.describe(), "input_shape": list(x.shape), "n": n,
           "kernel": kernel, "target": case.target, "nt_batch_sizes": list(sizes), "ref_rows": ref_rows,
           "load_before": os.getloadavg(), "nt_runs": [], "nt_ref": None}
    common = ["--case", case.name, "--out-dir", work, "--repeats", str(args.repeats)]
    if nt_run:
        for b in sizes:
            how = f"nt.batch({b})" if b else "plain jit"
            print(f"[{case.name}] {kernel}: neural-tangents, {how} ...", flush=True)
            ref = [] if os.path.exists(os.path.join(work, "ref64_ntk.npy")) else ["--ref-x", ref_path]
            r = run_worker(nt_run + ["--worker", "nt", "--x", x_path, "--tag", f"nt{b}",
                                     "--batch-size", str(b)] + ref + common, bk.nt_env())
            r.setdefault("batch_size", b)
            if "error" in r:
                print(f"[{case.name}] NT {how} failed: {r['error']}", flush=True)
            row["nt_runs"].append(r)
        row["nt_ref"] = {"rows": ref_rows}
        if not os.path.exists(os.path.join(work, "ref64_ntk.npy")):  # every timed run died before it
            print(f"[{case.name}] neural-tangents float64 reference, {ref_rows} rows ...", flush=True)
            r = run_worker(nt_run + ["--worker", "nt", "--ref-x", ref_path] + common, bk.nt_env())
            row["nt_ref"]["error"] = r.get("error")
        row["nt_ref"]["ok"] = os.path.exists(os.path.join(work, "ref64_ntk.npy"))
        if not row["nt_ref"]["ok"]:
            print(f"[{case.name}] NT float64 reference failed: {row['nt_ref'].get('error')}", flush=True)
    print(f"[{case.name}] {kernel}: widenets ...", flush=True)
    me = [sys.executable, os.path.abspath(__file__)]
    row["widenets"] = wn = run_worker(me + ["--worker", "wn", "--x", x_path, "--tag", "wn"] + common,
                                      dict(os.environ))
    if "error" in wn:
        print(f"[{case.name}] widenets failed: {wn['error']}", flush=True)
    row["load_after"] = os.getloadavg()

    ok_nt = [r for r in row["nt_runs"] if "error" not in r]
    best = min(ok_nt, key=lambda r: r["min_s"]) if ok_nt else None
    row["nt_best"] = None if best is None else {"batch_size": best["batch_size"], "min_s": best["min_s"],
                                                "min_cpu_s": best["min_cpu_s"]}
    row["ratio"] = wn["min_s"] / best["min_s"] if best and "error" not in wn else None
    row["cpu_ratio"] = wn["min_cpu_s"] / best["min_cpu_s"] if row["ratio"] is not None and best["min_cpu_s"] else None
    row["agreement"] = agreement(work, best, row["nt_ref"], ref_rows) if row["ratio"] is not None else None
    for r in ok_nt:  # every NT run against widenets (they differ only by how NT was batched)
        r["delta_vs_wn"] = {name: bk.relative_error(np.load(os.path.join(work, f"wn_{name}.npy")),
                                                    np.load(os.path.join(work, f"nt{r['batch_size']}_{name}.npy")))
                            for name in _common.GET} if "error" not in wn else None
    row["accurate"], row["bounds"] = judge(row["agreement"])
    row["verdict"] = verdict(row, comparable, full_size)
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))
    return row


def agreement(work: str, best: dict, ref: dict | None, ref_rows: int) -> dict | None:
    """Per field: Δ widenets vs NT's best run (float32), and each vs NT's float64 on the block."""
    import bench_kernels as bk  # noqa: PLC0415

    if not ref or not ref["ok"]:
        return None
    out = {}
    for name in _common.GET:
        wn = np.load(os.path.join(work, f"wn_{name}.npy"))
        nt = np.load(os.path.join(work, f"nt{best['batch_size']}_{name}.npy"))
        r64 = np.load(os.path.join(work, f"ref64_{name}.npy"))
        out[name] = {"wn_vs_nt": bk.relative_error(wn, nt),
                     "wn_vs_f64": bk.relative_error(wn[:ref_rows, :ref_rows], r64),
                     "nt_vs_f64": bk.relative_error(nt[:ref_rows, :ref_rows], r64)}
    return out


def verdict(r: dict, comparable: bool, full_size: bool) -> str:
    if r["ratio"] is None:
        return "n/a"  # no NT timing (or widenets failed)
    if r["accurate"] is None:
        return "n/a (no ref)"
    if not r["accurate"]:
        return "FAIL (Δ)"  # a fast wrong answer is worthless
    if not comparable:
        return "n/c"  # widenets on an accelerator vs NT on CPU
    mark = "" if full_size else "*"  # the targets are stated for the full size only
    return ("PASS" if r["ratio"] <= r["target"] else "FAIL") + mark


# --- reporting ------------------------------------------------------------------------------

def _f(v, fmt):
    width = int(fmt.split(".")[0] or 0)
    return format("-", f">{width}") if v is None else format(v, fmt)


def table(results: list[dict]) -> str:
    head = (f"{'case':6} {'kernel':16} {'NT min(s)':>9} {'NT how':>12} {'wn min(s)':>9} {'ratio':>5} "
            f"{'target':>6} {'result':9} {'cpu r.':>6} {'NT comp':>7} {'wn comp':>7} {'NT MiB':>7} {'wn MiB':>7} "
            f"{'Δ nngp':>7} {'Δ ntk':>7} {'f32 err wn/NT':>15}")
    lines = [head, "-" * len(head)]
    for r in results:
        best = r["nt_best"]
        nt = next((x for x in r["nt_runs"] if best and x.get("batch_size") == best["batch_size"]
                   and "error" not in x), {})
        wn = r["widenets"] if "error" not in r["widenets"] else {}
        agree = r["agreement"] or {}
        how = "-" if not best else ("plain jit" if not best["batch_size"] else f"batch {best['batch_size']}")
        err = (f"{max(v['wn_vs_f64'] for v in agree.values()):.1e}/"
               f"{max(v['nt_vs_f64'] for v in agree.values()):.1e}") if agree else "-"
        comp = nt.get("compile_s")
        comp_s = "-" if comp is None else f"{comp:.2f}" + ("~" if nt.get("compile_estimated") else "")
        lines.append(
            f"{r['case']:6} {r['kernel']:16} {_f(nt.get('min_s'), '9.3f')} {how:>12} {_f(wn.get('min_s'), '9.3f')} "
            f"{_f(r['ratio'], '5.2f')} {'≤' + format(r['target'], '.2f'):>6} {r['verdict']:9} "
            f"{_f(r['cpu_ratio'], '6.2f')} {comp_s:>7} "
            f"{_f(wn.get('compile_s'), '7.2f')} {_f(nt.get('maxrss_mib'), '7.0f')} {_f(wn.get('maxrss_mib'), '7.0f')} "
            f"{_f(agree.get('nngp', {}).get('wn_vs_nt'), '7.0e')} {_f(agree.get('ntk', {}).get('wn_vs_nt'), '7.0e')} "
            f"{err:>15}")
    return "\n".join(lines)


def nt_runs_lines(results: list[dict]) -> str:
    lines = []
    for r in results:
        for x in r["nt_runs"]:
            how = "plain jit" if not x.get("batch_size") else f"nt.batch(batch_size={x['batch_size']})"
            if "error" in x:
                lines.append(f"  {r['case']}: NT {how}: failed: {x['error'].splitlines()[0][:160]}")
            else:
                lines.append(f"  {r['case']}: NT {how}: min {x['min_s']:.3f} s (CPU {x['min_cpu_s']:.2f} s), "
                             f"first call {x['first_call_s']:.2f} s, "
                             f"peak RSS {x['maxrss_mib']:.0f} MiB, XLA "
                             f"{_f(x['xla_bytes'] and x['xla_bytes'] / 2**20, '.0f')} MiB")
        wn = r["widenets"]
        if "error" not in wn:
            lines.append(f"  {r['case']}: widenets: min {wn['min_s']:.3f} s (CPU {wn['min_cpu_s']:.2f} s), "
                         f"compile {wn['compile_s']:.2f} s, "
                         f"peak RSS {wn['maxrss_mib']:.0f} MiB, XLA "
                         f"{_f(wn['xla_bytes'] and wn['xla_bytes'] / 2**20, '.0f')} MiB")
        lines.append(f"  {r['case']}: load average {fmt_load(r['load_before'])} -> {fmt_load(r['load_after'])}")
    return "\n".join(lines)


def fmt_load(load) -> str:
    return " ".join(f"{v:.2f}" for v in load)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return 0

    import bench_kernels as bk  # noqa: PLC0415  (NT discovery, machine info, JSON writing)

    wn_info = _common.jax_info()
    comparable = wn_info["backend"] == "cpu"
    nt_cmd, nt_info = bk.find_nt(args)
    nt_run = None if nt_cmd is None else nt_cmd[:-1] + [os.path.abspath(__file__)]
    load_start = os.getloadavg()
    print(f"widenets: jax {wn_info['jax']} on {wn_info['device']}; load average {fmt_load(load_start)} on "
          f"{os.cpu_count()} CPUs; float32, min of {args.repeats}, seed {args.seed}")
    if nt_cmd:
        print(f"neural-tangents {nt_info['neural_tangents']}: jax {nt_info['jax']} on {nt_info['device']}")
    else:
        print(f"NOTE: neural-tangents unavailable, timing widenets alone, no ratios.\n  reason: {nt_info['reason']}")
    if not comparable:
        print(f"NOTE: widenets runs on {wn_info['backend']} but NT runs on CPU: the ratios are NOT comparable "
              "and the targets are not judged (result 'n/c').")
    with tempfile.TemporaryDirectory(prefix="bench_conv_") as tmp:
        results = [run_case(CASES[name], args, nt_run, tmp, comparable) for name in args.cases]
    load_end = os.getloadavg()

    print()
    print(table(results))
    print(nt_runs_lines(results))
    print("ratio = widenets min / NT's best min (seconds, min of repeats over NT's batch sizes); cpu r. = the same\n"
          "in process CPU seconds (all threads; less distorted by other jobs' load than wall time); comp = XLA compile\n"
          "time (s; '~': NT under nt.batch compiles inside its first call, estimated as first call - min).\n"
          "MiB = peak RSS of the run's own process (interpreter, JAX, inputs, compiler, XLA buffers, outputs).\n"
          "Δ = max|K_wn - K_NT| / max|K_NT|, both float32; f32 err = the same against NT in float64 on the\n"
          f"leading ref_rows x ref_rows block, worst of nngp/ntk; a case needs wn err <= max({AGREE_TOL:g}, 2 x NT err)\n"
          "and Δ <= that + NT err.\n"
          f"load average (1, 5, 15 min): start {fmt_load(load_start)}, end {fmt_load(load_end)}")
    if any(r["n"] != CASES[r["case"]].n_full for r in results):
        print("* not at the full N: the targets are stated for the full size; informational only.")
    settings = {"width": WIDTH, "W_std": W_STD, "parameterization": "ntk", "dtype": "float32",
                "get": list(_common.GET), "seed": args.seed, "repeats": args.repeats, "quick": args.quick,
                "agree_tol": AGREE_TOL, "mem_fraction": MEM_FRACTION,
                "cases": {name: dataclasses.asdict(CASES[name]) for name in args.cases}}
    bk.write_json(args.out, {
        "schema": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": [sys.executable] + sys.argv,
        "settings": settings,
        "machine": {**bk.machine_info(), "load_start": load_start, "load_end": load_end},
        "widenets": wn_info,
        "nt": nt_info,
        "ratios_comparable": comparable and bool(nt_cmd),
        "cases": results,
    })
    print(f"wrote {os.path.relpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
