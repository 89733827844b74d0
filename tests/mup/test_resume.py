"""A sweep killed with SIGKILL mid-way and restarted ends with exactly the rows of an
uninterrupted sweep (reference: the file of an uninterrupted run in its own process)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WIDTHS = (2, 4)  # each width is one compilation per process: two keep the test short
ROWS_PER_WIDTH = 3 * 2  # learning rates × seeds, as in SCRIPT

# a sweep in its own process: ``python -c SCRIPT path``
SCRIPT = """
import sys
import jax
import jax.numpy as jnp
import optax
jax.config.update("jax_enable_x64", True)
from widenets.mup._sweep import run_sweep
from widenets.mup._trainer import Trainer

x = jax.random.normal(jax.random.key(100), (32, 3))
y = jnp.sin(x @ jnp.array([1.0, -2.0, 0.5]))

def make_trainer(width):
    def init(key):
        k1, k2 = jax.random.split(key)
        return {"w": jax.random.normal(k1, (3, width)) / jnp.sqrt(3.0),
                "v": jax.random.normal(k2, (width,)) / jnp.sqrt(float(width))}
    def mse(p, xb, yb):
        return 0.5 * jnp.mean((jnp.tanh(xb @ p["w"]) @ p["v"] - yb) ** 2)
    def batch(key, step):
        idx = jax.random.randint(jax.random.fold_in(key, step), (8,), 0, 32)
        return x[idx], y[idx]
    return Trainer(init, lambda p, b: mse(p, *b), optax.sgd, batch, lambda p: mse(p, x, y))

run_sweep(sys.argv[1], make_trainer, widths=%r, log2_lrs=(-3.0, -1.0, 6.0), seeds=(0, 1),
          steps=400, tag="sigkill", progress=False)
""" % (WIDTHS,)


def start(path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(path)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> None:
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]


def row_count(path: Path) -> int:
    try:
        return len(path.read_text().splitlines()) - 1  # minus the header
    except FileNotFoundError:
        return -1


@pytest.mark.slow  # three Python processes that each import JAX and compile (≈ 15 s on an idle 2-core machine)
def test_sigkill_mid_sweep_then_resume_gives_the_uninterrupted_rows(tmp_path):
    reference, resumed = tmp_path / "reference.jsonl", tmp_path / "resumed.jsonl"
    uninterrupted = start(reference)  # runs alongside the killed one
    victim = start(resumed)
    deadline = time.monotonic() + 90
    while row_count(resumed) < ROWS_PER_WIDTH:  # poll until the first width is written
        assert victim.poll() is None, victim.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the sweep wrote no rows in 90 s"
        time.sleep(0.005)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    victim.stderr.close()
    assert victim.returncode == -signal.SIGKILL
    killed_rows = row_count(resumed)
    assert ROWS_PER_WIDTH <= killed_rows < ROWS_PER_WIDTH * len(WIDTHS), "killed mid-way"
    for line in resumed.read_text().splitlines():
        json.loads(line)  # whole rows only

    finish(start(resumed))  # restart the same sweep
    finish(uninterrupted)
    got, want = resumed.read_text().splitlines(), reference.read_text().splitlines()
    assert len(want) == 1 + ROWS_PER_WIDTH * len(WIDTHS)
    assert sorted(got) == sorted(want)  # same rows, values bit for bit (floats are written by repr)
    assert got == want  # and the same order
    rows = [json.loads(line) for line in got[1:]]
    assert any(r["diverged"] for r in rows) and not all(r["diverged"] for r in rows)
