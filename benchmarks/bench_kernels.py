"""Time widenets' analytic NNGP + NTK against neural-tangents 0.6.5 on the same inputs.

The acceptance check of the project's foundation issue: NNGP and NTK of
``5 × (Dense(512), act) + Dense(1)`` (NTK parameterization, W_std = 1.5, b_std = 0.05) on
float32 inputs with d = 784, ``get=('nngp', 'ntk')``:

=====  ==========================  ======================  ======================
case   inputs                      act                     target (widenets / NT)
=====  ==========================  ======================  ======================
relu   x1: 4096 × 784, x2 = None   Relu                    ≤ 0.67
erf    x1: 4096 × 784, x2 = None   Erf                     ≤ 0.67
cross  x1, x2: 2048 × 784 each     Relu                    ≤ 1.0
=====  ==========================  ======================  ======================

Both sides call ``jax.jit(kernel_fn, static_argnames='get')`` (NT's recommended usage);
widenets runs in this process, NT in its pinned env as a subprocess (`_nt_side.py`) on the
same seeded inputs, passed as ``.npy`` files. Each side reports trace/lower and compile time
separately, then the min over ``--repeats`` calls after a warm-up.

A fast wrong answer is worthless, so each case also reports, for nngp and ntk, the relative
difference max|Δ| / max|K| of widenets vs NT (both float32) and of each vs NT in float64
(computed once, untimed). The case fails whatever the time unless widenets' float32 error is
≤ max(1e-4, 2 × NT's). (Plain widenets-vs-NT agreement is ~1e-6 except on the diagonal of a
deep-ReLU NTK, where arccos near correlation 1 costs both libraries ~1e-3 in float32.)

Usage: ``python3 benchmarks/bench_kernels.py [--quick] [--cases relu,erf,cross]
[--repeats 5] [--nt-python PATH | --no-nt] [--out FILE]``. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)  # benchmark the checkout, whatever else is installed
sys.path.insert(0, HERE)

import jax  # noqa: E402

import _common  # noqa: E402

DEFAULT_NT_PYTHON = "/work/ntenv/bin/python"
NT_LAUNCHER = os.path.join(REPO, os.pardir, "shared", "tools", "nt_legacy.py")
DEFAULT_OUT = os.path.join(HERE, "results", "bench_kernels.json")
DEPTH, WIDTH, D, W_STD, B_STD = 5, 512, 784, 1.5, 0.05
N_FULL, N_QUICK = 4096, 512
#: float32 error allowed (vs float64) beyond NT's own; see `accurate`
AGREE_TOL = 1e-4


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    activation: str
    cross: bool  # x1, x2 = two halves of the inputs; else x1 = all of them, x2 = None
    target: float  # widenets time / NT time must be ≤ this


CASES = {
    "relu": Case("relu", "relu", cross=False, target=0.67),
    "erf": Case("erf", "erf", cross=False, target=0.67),
    "cross": Case("cross", "relu", cross=True, target=1.0),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"smoke run: N={N_QUICK} instead of {N_FULL}")
    p.add_argument("--n", type=int, help="number of inputs for the x2=None cases (cross: N/2 × N/2)")
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {list(CASES)}")
    p.add_argument("--repeats", type=int, default=5, help="timed calls per side (min is reported; ≥ 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nt-python", help=f"python of the NT 0.6.5 env (default {DEFAULT_NT_PYTHON} if it "
                   "exists, else $WIDENETS_NT_PYTHON)")
    p.add_argument("--no-nt", action="store_true", help="time widenets alone")
    p.add_argument("--out", default=DEFAULT_OUT, help="JSON results file (written atomically)")
    args = p.parse_args(argv)
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in args.cases if c not in CASES]
    if unknown or not args.cases:
        p.error(f"--cases: unknown {unknown}; choose from {list(CASES)}")
    if args.repeats < 3:
        p.error("--repeats must be ≥ 3 (the acceptance check takes the min of ≥ 3 repeats)")
    args.n = args.n or (N_QUICK if args.quick else N_FULL)
    if args.n < 2:
        p.error("--n must be ≥ 2")
    return args


# --- the neural-tangents side -------------------------------------------------------------

def nt_command(nt_python: str) -> list[str]:
    script = os.path.join(HERE, "_nt_side.py")
    launcher = os.path.abspath(NT_LAUNCHER)
    return [nt_python, launcher, script] if os.path.exists(launcher) else [nt_python, script]


def nt_env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # keep this checkout and the system site out of the NT env
    env["JAX_PLATFORMS"] = "cpu"  # the pinned env has a CPU-only jaxlib
    return env


def run_nt(cmd: list[str], timeout: float) -> tuple[subprocess.CompletedProcess | None, str]:
    try:
        proc = subprocess.run(cmd, env=nt_env(), capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"{type(err).__name__}: {err}"
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return None, f"exit status {proc.returncode}:\n{tail}"
    return proc, ""


def find_nt(args: argparse.Namespace) -> tuple[list[str] | None, dict]:
    """The command that runs `_nt_side.py` in the NT env, and its versions; or None and why."""
    if args.no_nt:
        return None, {"available": False, "reason": "--no-nt given"}
    nt_python = args.nt_python
    if nt_python is None:
        nt_python = DEFAULT_NT_PYTHON if os.path.exists(DEFAULT_NT_PYTHON) else os.environ.get("WIDENETS_NT_PYTHON")
    if not nt_python:
        return None, {"available": False, "reason": f"{DEFAULT_NT_PYTHON} does not exist and "
                      "WIDENETS_NT_PYTHON is not set (build the env: see benchmarks/README.md)"}
    cmd = nt_command(nt_python)
    proc, error = run_nt(cmd + ["--probe"], timeout=300)
    if proc is None:
        return None, {"available": False, "python": nt_python, "reason": f"probe failed: {error}"}
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return cmd, {"available": True, "python": nt_python, "command": cmd, **info}


def nt_case(cmd: list[str], case: Case, files: dict, repeats: int, work: str) -> dict:
    args = ["--activation", case.activation, "--depth", str(DEPTH), "--width", str(WIDTH),
            "--W-std", str(W_STD), "--b-std", str(B_STD), "--repeats", str(repeats),
            "--out-dir", work, "--x1", files["x1"]] + (["--x2", files["x2"]] if "x2" in files else [])
    proc, error = run_nt(cmd + args, timeout=3600)
    if proc is None:
        return {"error": error}
    with open(os.path.join(work, "result.json")) as f:
        return json.load(f)["stats"]


# --- one case -----------------------------------------------------------------------------

def relative_error(ours: np.ndarray, ref: np.ndarray) -> float:
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    if ours.shape != ref.shape:
        return float("inf")
    scale = np.max(np.abs(ref))
    return float(np.max(np.abs(ours - ref)) / (scale if scale > 0 else 1.0))


def agreement(out, work: str) -> dict:
    """Per field: widenets vs NT (both float32), and each of them vs NT in float64."""
    result = {}
    for name in _common.GET:
        ours = np.asarray(getattr(out, name))
        nt32 = np.load(os.path.join(work, f"{name}.npy"), allow_pickle=False)
        nt64 = np.load(os.path.join(work, f"{name}64.npy"), allow_pickle=False)
        result[name] = {"wn_vs_nt": relative_error(ours, nt32), "wn_vs_f64": relative_error(ours, nt64),
                        "nt_vs_f64": relative_error(nt32, nt64)}
    return result


def accurate(a: dict) -> bool:
    """widenets' float32 error (vs float64) within AGREE_TOL, or within 2× NT's own."""
    return all(f["wn_vs_f64"] <= max(AGREE_TOL, 2 * f["nt_vs_f64"]) for f in a.values())


def run_case(case: Case, x: np.ndarray, args, nt_cmd, tmp: str, comparable: bool) -> dict:
    from widenets import stax

    half = x.shape[0] // 2
    x1, x2 = (x[:half], x[half:]) if case.cross else (x, None)
    shape = f"{x1.shape[0]}x{x2.shape[0]}" if case.cross else f"{x1.shape[0]}x{x1.shape[0]} (x2=None)"
    work = os.path.join(tmp, case.name)
    os.makedirs(work)
    files = {"x1": os.path.join(work, "x1.npy")}
    np.save(files["x1"], x1)
    if x2 is not None:
        files["x2"] = os.path.join(work, "x2.npy")
        np.save(files["x2"], x2)
    result = {"case": case.name, "activation": case.activation, "kernel": shape,
              "target": case.target, "load_before": os.getloadavg()}

    nt = None
    if nt_cmd:
        print(f"[{case.name}] {shape}: neural-tangents ...", flush=True)
        nt = nt_case(nt_cmd, case, files, args.repeats, work)
    result["nt"] = nt
    if nt is not None and "error" in nt:
        print(f"[{case.name}] NT side failed: {nt['error']}", flush=True)

    print(f"[{case.name}] {shape}: widenets ...", flush=True)
    _, _, kernel_fn = _common.build(stax, case.activation, DEPTH, WIDTH, W_STD, B_STD)
    d1 = jax.device_put(x1)
    d2 = None if x2 is None else jax.device_put(x2)
    out, stats = _common.time_kernel_fn(kernel_fn, d1, d2, args.repeats)
    stats["dtype"] = str(out.nngp.dtype)
    result["widenets"] = stats
    result["load_after"] = os.getloadavg()

    result["ratio"] = result["agreement"] = None
    if nt is not None and "error" not in nt:
        result["ratio"] = stats["min_s"] / nt["min_s"]
        result["agreement"] = agreement(out, work)
    result["verdict"] = verdict(result, comparable, args.n == N_FULL)
    for name in os.listdir(work):  # up to 4 × N² floats; don't keep them around
        os.remove(os.path.join(work, name))
    return result


def verdict(r: dict, comparable: bool, full_size: bool) -> str:
    if r["ratio"] is None:
        return "n/a"  # no NT timing
    if not accurate(r["agreement"]):
        return "FAIL (Δ)"  # a fast wrong answer is worthless
    if not comparable:
        return "n/c"  # widenets on an accelerator vs NT on CPU
    mark = "" if full_size else "*"  # the targets are stated for the full size only
    return ("PASS" if r["ratio"] <= r["target"] else "FAIL") + mark


# --- reporting ----------------------------------------------------------------------------

def table(results: list[dict]) -> str:
    def f(v, fmt):
        width = int(fmt.split(".")[0] or 0)
        return format("-", f">{width}") if v is None else format(v, fmt)

    head = (f"{'case':6} {'kernel':20} {'NT min(s)':>9} {'wn min(s)':>9} {'ratio':>5} {'target':>6} "
            f"{'result':8} {'NT comp':>7} {'wn comp':>7} {'Δ nngp':>7} {'Δ ntk':>7} {'f32 err wn/NT':>15}")
    lines = [head, "-" * len(head)]
    for r in results:
        nt = r["nt"] if r["nt"] and "error" not in r["nt"] else {}
        wn, agree = r["widenets"], r["agreement"]
        delta = {k: v["wn_vs_nt"] for k, v in agree.items()} if agree else {}
        err = (f"{max(v['wn_vs_f64'] for v in agree.values()):.1e}/"
               f"{max(v['nt_vs_f64'] for v in agree.values()):.1e}") if agree else "-"
        lines.append(
            f"{r['case']:6} {r['kernel']:20} {f(nt.get('min_s'), '9.3f')} {f(wn['min_s'], '9.3f')} "
            f"{f(r['ratio'], '5.2f')} {'≤' + format(r['target'], '.2f'):>6} {r['verdict']:8} "
            f"{f(nt.get('compile_s'), '7.2f')} {f(wn['compile_s'], '7.2f')} "
            f"{f(delta.get('nngp'), '7.0e')} {f(delta.get('ntk'), '7.0e')} {err:>15}"
        )
    return "\n".join(lines)


def machine_info() -> dict:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    except OSError:
        pass
    try:
        git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        git = ""
    digest = hashlib.sha256()  # the tree may be dirty or untracked: fingerprint what was timed
    for root, dirs, names in sorted(os.walk(os.path.join(REPO, "widenets"))):
        dirs.sort()
        for name in sorted(n for n in names if n.endswith(".py")):
            with open(os.path.join(root, name), "rb") as f:
                digest.update(name.encode() + b"\0" + f.read())
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu_model": model,
            "cpu_count": os.cpu_count(), "cpus_usable": affinity, "widenets_git": git or None,
            "widenets_source_sha256": digest.hexdigest()[:16]}


def fmt_load(load) -> str:
    return " ".join(f"{v:.2f}" for v in load)


def write_json(path: str, data: dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600; give it an ordinary file's mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None) -> int:
    args = parse_args(argv)
    wn_info = _common.jax_info()
    comparable = wn_info["backend"] == "cpu"
    settings = {"depth": DEPTH, "width": WIDTH, "d": D, "W_std": W_STD, "b_std": B_STD,
                "parameterization": "ntk", "dtype": "float32", "get": list(_common.GET), "n": args.n,
                "seed": args.seed, "repeats": args.repeats, "quick": args.quick, "agree_tol": AGREE_TOL}
    print(f"{DEPTH} x (Dense({WIDTH}, W_std={W_STD}, b_std={B_STD}), act) + Dense(1), NTK param., "
          f"float32, N={args.n}, d={D}, seed={args.seed}, min of {args.repeats}")
    print(f"widenets: jax {wn_info['jax']} on {wn_info['device']}; load average "
          f"{fmt_load(os.getloadavg())} on {os.cpu_count()} CPUs")
    if not comparable:
        print(f"NOTE: widenets runs on {wn_info['backend']} but NT runs on CPU in its env: the ratios "
              "are NOT comparable and the targets are not judged (result 'n/c').")

    nt_cmd, nt_info = find_nt(args)
    if nt_cmd:
        print(f"neural-tangents {nt_info['neural_tangents']}: jax {nt_info['jax']} on {nt_info['device']} "
              f"({nt_info['python']})")
    else:
        print(f"NOTE: neural-tangents unavailable, timing widenets alone, no ratios.\n  reason: "
              f"{nt_info['reason']}")

    x = np.random.default_rng(args.seed).standard_normal((args.n, D)).astype(np.float32)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench_kernels_") as tmp:
        results = [run_case(CASES[name], x, args, nt_cmd, tmp, comparable) for name in args.cases]
    load_end = os.getloadavg()

    print()
    print(table(results))
    print("ratio = widenets min / NT min (seconds, min of repeats); comp = XLA compile time (s).\n"
          "Δ = max|K_wn - K_NT| / max|K_NT|, both float32; f32 err = the same against NT in float64, worst "
          f"of nngp/ntk; a case needs wn err ≤ max({AGREE_TOL:g}, 2 × NT err).\n"
          f"load average (1, 5, 15 min): start {fmt_load(load_start)}, end {fmt_load(load_end)}")
    if args.n != N_FULL:
        print(f"* N = {args.n}, not {N_FULL}: the targets are stated for the full size; informational only.")
    data = {
        "schema": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": [sys.executable] + sys.argv,
        "settings": settings,
        "machine": {**machine_info(), "load_start": load_start, "load_end": load_end},
        "widenets": wn_info,
        "nt": nt_info,
        "ratios_comparable": comparable and bool(nt_cmd),
        "targets_apply": comparable and bool(nt_cmd) and args.n == N_FULL,
        "cases": results,
    }
    write_json(args.out, data)
    print(f"wrote {os.path.relpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
