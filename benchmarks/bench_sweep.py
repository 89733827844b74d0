"""Learning-rate sweeps: the vmapped `run_sweep` against serial loops over the same grid.

Workload (docs/theory/mup.md): digits MLP 64 → n → n → 10, ReLU, MSE on one-hot targets, SGD on
batches of 128, ``--steps`` 100 steps, a 13-point log2 η grid (step 0.5) and 3 seeds, per
width n. The trainer is `widenets.mup.empirical.digits_trainer(n, "mup")` when that exists,
else the same network written here (``own``: He init, plain SGD; the cost does not depend
on the parametrization). float32, as a sweep would run.

Three ways to run one width's grid (L learning rates × S seeds), each in this process:

- ``vmapped``: `run_sweep` end to end (one jitted ``vmap(vmap(train))``, the JSON Lines file
  written to a temporary directory, no progress bar);
- ``serial_scan``: the stronger baseline, ``jax.jit(train)`` (a whole run in one
  `lax.scan`) called once per (η, seed);
- ``serial_loop``: the loop a researcher writes: per (η, seed) init, then a Python loop of
  ``steps`` calls of one jitted optax step (η a traced argument, so one compilation), the
  loss of each step kept on the device, then the final evaluation.

Each is timed as min over ``--repeats`` calls after a warm-up call, the three methods taking
turns in each round (the machine may be shared); the warm-up's extra time
over that min is reported as ``compile_s`` (tracing + XLA compilation, plus first-call
allocation). The speed-up is the baseline's min over the vmapped min. Target: ≥ 3× over
``serial_loop``. The three must agree: the largest relative difference of the finite final
losses and the equality of the diverged sets are printed and stored.

Usage: ``python3 benchmarks/bench_sweep.py [--widths 64,128] [--repeats 3] [--steps 100]
[--chunk C] [--trainer auto|own] [--out FILE]``; writes ``benchmarks/results/bench_sweep.json``.
"""
from __future__ import annotations

import argparse
import datetime
import functools
import os
import platform
import sys
import tempfile
import time
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)  # benchmark the checkout
sys.path.insert(0, HERE)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import _common  # noqa: E402
from widenets.mup._sweep import run_sweep  # noqa: E402
from widenets.mup._trainer import Trainer, is_diverged, seed_key, train  # noqa: E402
from widenets.reproduce import write_json_atomic  # noqa: E402

DEFAULT_OUT = os.path.join(HERE, "results", "bench_sweep.json")
LOG2_LRS = tuple(np.arange(-5.0, 1.01, 0.5))  # 13 points
SEEDS = (0, 1, 2)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="64,128", help="comma-separated hidden widths (full: 64,...,1024)")
    ap.add_argument("--chunk", type=int, help="learning rates per vmapped call (run_sweep's chunk; default all)")
    ap.add_argument("--repeats", type=int, default=3, help="timed calls per method and width (min reported; ≥ 3)")
    ap.add_argument("--steps", type=int, default=100, help="optimizer steps per run")
    ap.add_argument("--trainer", choices=("auto", "own"), default="auto",
                    help="auto: widenets.mup.empirical.digits_trainer if present, else own")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    if args.repeats < 3:
        ap.error("--repeats must be ≥ 3")
    args.widths = [int(w) for w in args.widths.split(",")]
    return args


# --- trainers ----------------------------------------------------------------------------


def own_digits_trainer(width: int, batch_size: int = 128) -> Trainer:
    """MLP 64 → width → width → 10, ReLU, He-normal init, zero biases, MSE on one-hot, plain SGD."""
    from sklearn.datasets import load_digits  # noqa: PLC0415

    data = load_digits()
    x = np.asarray(data.data, np.float64)
    x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    x, y = jnp.asarray(x, jnp.float32), jnp.asarray(np.eye(10)[data.target], jnp.float32)
    dims = [x.shape[1], width, width, y.shape[1]]

    def init(key):
        keys = jax.random.split(key, len(dims) - 1)
        return [(jax.random.normal(k, (a, b), jnp.float32) * np.float32(np.sqrt(2.0 / a)), jnp.zeros(b, jnp.float32))
                for k, a, b in zip(keys, dims[:-1], dims[1:])]

    def loss(params, batch):
        h, target = batch
        for w, b in params[:-1]:
            h = jax.nn.relu(h @ w + b)
        w, b = params[-1]
        return 0.5 * jnp.mean(jnp.sum((h @ w + b - target) ** 2, axis=-1))

    def batch(key, step):
        per_epoch = x.shape[0] // batch_size
        epoch, position = jnp.divmod(step, per_epoch)
        order = jax.random.permutation(jax.random.fold_in(key, epoch), x.shape[0])
        idx = jax.lax.dynamic_slice(order, (position * batch_size,), (batch_size,))
        return x[idx], y[idx]

    return Trainer(init=init, loss=loss, optimizer=optax.sgd, batch=batch, evaluate=lambda p: loss(p, (x, y)))


def trainer_factory(choice: str) -> tuple[Callable[[int], Trainer], str]:
    """(cached ``width -> Trainer``, its name); cached so repeated sweeps reuse the compilation."""
    if choice == "auto":
        try:
            from widenets.mup.empirical import digits_trainer  # noqa: PLC0415

            return functools.cache(lambda w: digits_trainer(w, "mup", base_width=64, batch_size=128)), \
                "widenets.mup.empirical.digits_trainer(n, 'mup', base_width=64, batch_size=128)"
        except ImportError:
            pass
    return functools.cache(own_digits_trainer), "own (bench_sweep.own_digits_trainer, SP/He init, SGD)"


# --- the three methods -------------------------------------------------------------------


def vmapped(make: Callable[[int], Trainer], width: int, steps: int, chunk: int | None, tmp: str) -> np.ndarray:
    path = os.path.join(tmp, "sweep.jsonl")
    if os.path.exists(path):
        os.remove(path)
    table = run_sweep(path, make, (width,), LOG2_LRS, SEEDS, steps, chunk=chunk, progress=False)
    return table.loss[0]


_jit_train = jax.jit(train, static_argnums=(0, 3))


def serial_scan(trainer: Trainer, steps: int) -> np.ndarray:
    out = np.empty((len(LOG2_LRS), len(SEEDS)))
    for j, log2_lr in enumerate(LOG2_LRS):
        for k, seed in enumerate(SEEDS):
            metric, _ = _jit_train(trainer, jnp.asarray(np.exp2(log2_lr)), seed_key(seed), steps)
            out[j, k] = float(metric)
    return out


@functools.cache
def loop_functions(trainer: Trainer) -> tuple[Callable, Callable, Callable]:
    """(init, step, evaluate), each jitted once per trainer."""

    @jax.jit
    def step(params, state, learning_rate, data_key, index):
        optimizer = trainer.optimizer(learning_rate)
        loss, grads = jax.value_and_grad(trainer.loss)(params, trainer.batch(data_key, index))
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    return jax.jit(trainer.init), step, jax.jit(trainer.evaluate)


def serial_loop(trainer: Trainer, steps: int) -> np.ndarray:
    init, step, evaluate = loop_functions(trainer)
    out = np.empty((len(LOG2_LRS), len(SEEDS)))
    for j, log2_lr in enumerate(LOG2_LRS):
        learning_rate = jnp.asarray(np.exp2(log2_lr))
        for k, seed in enumerate(SEEDS):
            init_key, data_key = jax.random.split(seed_key(seed))
            params = init(init_key)
            state = trainer.optimizer(learning_rate).init(params)
            losses = []
            for index in range(steps):
                params, state, loss = step(params, state, learning_rate, data_key, jnp.asarray(index))
                losses.append(loss)
            metric = evaluate(params)
            out[j, k] = np.inf if bool(is_diverged(jnp.stack(losses), metric)) else float(metric)
    return out


def time_methods(methods: dict[str, Callable[[], np.ndarray]], repeats: int) -> tuple[dict, dict]:
    """Warm up each method once, then ``repeats`` rounds that time every method in turn (so a
    change in the machine's load hits all of them alike); (last outputs, timings by method)."""
    outs, first = {}, {}
    for name, fn in methods.items():
        t0 = time.perf_counter()
        outs[name] = fn()
        first[name] = time.perf_counter() - t0
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeats):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - t0)
    stats = {name: {"first_call_s": first[name], "times_s": times[name], "min_s": min(times[name]),
                    "compile_s": first[name] - min(times[name])} for name in methods}
    return outs, stats


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    """How a baseline's final losses ``a`` (L, S) match the vmapped ``b``. Runs near the
    stability edge amplify float32 rounding differences, so the learning rate of the worst
    match is reported too."""
    same_diverged = bool(np.array_equal(np.isinf(a), np.isinf(b)))
    finite = np.isfinite(a) & np.isfinite(b)
    rel = np.zeros(a.shape)
    rel[finite] = np.abs(a[finite] - b[finite]) / np.maximum(np.abs(b[finite]), 1e-30)
    j, _ = np.unravel_index(np.argmax(rel), rel.shape)
    return {"same_diverged": same_diverged, "max_rel_diff": float(rel.max()),
            "median_rel_diff": float(np.median(rel[finite])) if finite.any() else 0.0,
            "worst_log2_lr": float(LOG2_LRS[j])}


def main(argv=None) -> int:
    args = parse_args(argv)
    make, trainer_name = trainer_factory(args.trainer)
    info = _common.jax_info()
    runs = len(LOG2_LRS) * len(SEEDS)
    print(f"sweep benchmark: {trainer_name}; {len(LOG2_LRS)} lrs x {len(SEEDS)} seeds = {runs} runs of "
          f"{args.steps} steps per width; jax {info['jax']} on {info['device']}, "
          f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; min of {args.repeats}", flush=True)
    result = {"settings": {"widths": args.widths, "log2_lrs": list(LOG2_LRS), "seeds": list(SEEDS),
                           "steps": args.steps, "repeats": args.repeats, "chunk": args.chunk,
                           "trainer": trainer_name},
              "jax": info, "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "load_before": os.getloadavg(), "widths": []}
    with tempfile.TemporaryDirectory() as tmp:
        for width in args.widths:
            trainer = make(width)
            outs, stats = time_methods({
                "vmapped": lambda: vmapped(make, width, args.steps, args.chunk, tmp),
                "serial_scan": lambda: serial_scan(trainer, args.steps),
                "serial_loop": lambda: serial_loop(trainer, args.steps),
            }, args.repeats)
            vm, sc, lp = outs["vmapped"], outs["serial_scan"], outs["serial_loop"]
            t_vm, t_sc, t_lp = stats["vmapped"], stats["serial_scan"], stats["serial_loop"]
            row = {"width": width, "vmapped": t_vm, "serial_scan": t_sc, "serial_loop": t_lp,
                   "speedup_vs_serial_loop": t_lp["min_s"] / t_vm["min_s"],
                   "speedup_vs_serial_scan": t_sc["min_s"] / t_vm["min_s"],
                   "agreement": {"serial_scan": agreement(sc, vm), "serial_loop": agreement(lp, vm)},
                   "diverged_runs": int(np.isinf(vm).sum())}
            result["widths"].append(row)
            print(f"[n={width:5}] vmapped {t_vm['min_s']:7.3f} s (compile {t_vm['compile_s']:5.2f} s) | "
                  f"serial scan {t_sc['min_s']:7.3f} s (compile {t_sc['compile_s']:5.2f} s) | "
                  f"serial loop {t_lp['min_s']:7.3f} s (compile {t_lp['compile_s']:5.2f} s) | speed-up "
                  f"x{row['speedup_vs_serial_loop']:.1f} vs loop, x{row['speedup_vs_serial_scan']:.1f} vs scan | "
                  f"{row['diverged_runs']}/{runs} diverged; max rel diff "
                  f"{row['agreement']['serial_scan']['max_rel_diff']:.1e} (scan), "
                  f"{row['agreement']['serial_loop']['max_rel_diff']:.1e} (loop)", flush=True)
    total = {m: sum(r[m]["min_s"] for r in result["widths"]) for m in ("vmapped", "serial_scan", "serial_loop")}
    result["total"] = {**total, "speedup_vs_serial_loop": total["serial_loop"] / total["vmapped"],
                       "speedup_vs_serial_scan": total["serial_scan"] / total["vmapped"]}
    print(f"[all widths] vmapped {total['vmapped']:.3f} s, serial scan {total['serial_scan']:.3f} s, serial loop "
          f"{total['serial_loop']:.3f} s: x{result['total']['speedup_vs_serial_loop']:.1f} vs loop, "
          f"x{result['total']['speedup_vs_serial_scan']:.1f} vs scan (target >= 3 vs loop)")
    result["load_after"] = os.getloadavg()
    write_json_atomic(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
