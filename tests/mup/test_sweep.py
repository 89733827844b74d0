"""Sweeps (`widenets.mup._sweep`), single runs (`_trainer`) and sweep metrics (`_metrics`).

References: the vmapped sweep against the serial per-config `train`; the resumed file
against an uninterrupted run's file, byte for byte; divergence against a scalar quadratic
whose loss grows exactly ×(1 − 2η)² per step; metrics against tables built with known
argmins and against `np.polyfit`.
"""
from __future__ import annotations

import functools
import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from widenets.mup._metrics import best_loss, lr_drift, lr_slope, optimal_log2_lr, seed_mean_loss
from widenets.mup._sweep import SweepTable, load_sweep, run_sweep
from widenets.mup._trainer import Trainer, train

WIDTHS = (2, 4, 8)
LOG2_LRS = (-4.0, -2.0, 0.0, 5.0)  # η = 32 diverges for every width
SEEDS = (0, 1)
STEPS = 12
N_ROWS = len(WIDTHS) * len(LOG2_LRS) * len(SEEDS)


@functools.cache
def toy_trainer(width: int) -> Trainer:
    """3 → width (tanh) → 1 regression on 32 fixed points, SGD on batches of 8 (cached, so
    repeated sweeps reuse the compiled grid function)."""
    x = jax.random.normal(jax.random.key(100), (32, 3))
    y = jnp.sin(x @ jnp.array([1.0, -2.0, 0.5]))

    def init(key):
        k1, k2 = jax.random.split(key)
        return {"w": jax.random.normal(k1, (3, width)) / jnp.sqrt(3.0),
                "v": jax.random.normal(k2, (width,)) / jnp.sqrt(float(width))}

    def mse(params, xb, yb):
        return 0.5 * jnp.mean((jnp.tanh(xb @ params["w"]) @ params["v"] - yb) ** 2)

    def batch(key, step):
        idx = jax.random.randint(jax.random.fold_in(key, step), (8,), 0, 32)
        return x[idx], y[idx]

    return Trainer(init=init, loss=lambda p, b: mse(p, *b), optimizer=optax.sgd, batch=batch,
                   evaluate=lambda p: mse(p, x, y))


def sweep(path, make_trainer=toy_trainer, **kw):
    kw = {"widths": WIDTHS, "log2_lrs": LOG2_LRS, "seeds": SEEDS, "steps": STEPS, "progress": False, **kw}
    return run_sweep(path, make_trainer, **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted sweep: (table, file bytes)."""
    path = tmp_path_factory.mktemp("ref") / "sweep.jsonl"
    table = sweep(path)
    return table, path.read_bytes()


def rows_of(text: str) -> list[dict]:
    lines = text.splitlines()
    assert json.loads(lines[0])["format"] == "widenets.mup.sweep"
    return [json.loads(line) for line in lines[1:]]


# --- the sweep's numbers -----------------------------------------------------------------


def test_vmapped_sweep_equals_serial_train(reference):
    table, _ = reference
    serial = jax.jit(train, static_argnums=(0, 3))
    for i, w in enumerate(WIDTHS):
        for j, lr in enumerate(LOG2_LRS):
            for k, s in enumerate(SEEDS):
                metric, _ = serial(toy_trainer(w), jnp.asarray(np.exp2(lr)), jax.random.key(s), STEPS)
                np.testing.assert_allclose(table.loss[i, j, k], float(metric), rtol=1e-12, atol=0)
    assert table.complete and table.loss.shape == (3, 4, 2)
    assert np.all(np.isfinite(table.loss[:, :3])), "the three small learning rates train"


def test_chunked_sweep_equals_unchunked(tmp_path, reference):
    # one width keeps it to one more compilation; 4 learning rates: chunks of 3 and 1 (padded)
    table = sweep(tmp_path / "chunked.jsonl", widths=WIDTHS[:1], chunk=3)
    np.testing.assert_allclose(table.loss, reference[0].loss[:1], rtol=1e-12)
    assert table.complete


def test_divergence_recorded_as_inf_and_never_optimal(reference):
    table, text = reference
    assert np.all(np.isposinf(table.loss[:, 3])) and table.diverged[:, 3].all()
    for row in rows_of(text.decode()):
        assert row["diverged"] == (row["log2_lr"] == 5.0)
        assert (row["loss"] is None) == row["diverged"]
    assert np.all(optimal_log2_lr(table) < 5.0)
    assert np.all(optimal_log2_lr(table, refine=True) < 5.0)


def quadratic_trainer(divergence=None) -> Trainer:
    """loss = p², p_0 = 1, SGD: p ← (1 − 2η)p, so loss_t = (1 − 2η)^{2t} exactly."""
    return Trainer(init=lambda key: jnp.array(1.0), loss=lambda p, b: p**2, optimizer=optax.sgd,
                   batch=lambda key, step: None, evaluate=lambda p: p**2)


@pytest.mark.parametrize(
    ("lr", "factor", "expected"),
    [
        (1.5, 1e6, 4.0**8),  # loss grows ×4 a step: max loss 4⁷ ≈ 1.6e4 < 1e6, trains on
        (2.0, 1e6, math.inf),  # ×9 a step: 9⁷ ≈ 4.8e6 > 1e6 · loss_0, diverged though finite
        (2.0, None, 9.0**8),  # no relative threshold: only non-finite counts
        (1e200, None, math.inf),  # overflows to inf
        (0.25, 1e6, 0.25**8),  # converges
    ],
)
def test_train_divergence_threshold(lr, factor, expected):
    metric, losses = train(quadratic_trainer(), lr, jax.random.key(0), 8, divergence_factor=factor)
    assert float(metric) == pytest.approx(expected, rel=1e-12)
    assert losses.shape == (8,) and float(losses[0]) == 1.0


class Unhashable:
    """A callable that defines equality, hence no hash: the sweep cannot cache on it."""

    __hash__ = None

    def __eq__(self, other):
        return isinstance(other, Unhashable)

    def __call__(self, p):
        return p**2


def test_sweep_exact_on_the_quadratic_with_an_unhashable_trainer(tmp_path):
    make = lambda width: quadratic_trainer()._replace(evaluate=Unhashable())  # noqa: E731
    table = run_sweep(tmp_path / "q.jsonl", make, widths=(1, 2), log2_lrs=(-2.0, 0.0, 1.0), seeds=(0,),
                      steps=8, progress=False)
    # η = ¼, 1, 2: loss after 8 steps (1 − 2η)^16 = 2⁻¹⁶, 1, diverged (9⁷ > 10⁶ before the end)
    np.testing.assert_array_equal(table.loss[:, :, 0], [[2.0**-16, 1.0, np.inf]] * 2)


# --- the file: atomic writes and resume --------------------------------------------------


def test_crash_between_writes_leaves_whole_rows_and_resume_completes(tmp_path, reference):
    path = tmp_path / "sweep.jsonl"

    def crashing(width):
        if width == WIDTHS[-1]:
            raise RuntimeError("simulated crash")
        return toy_trainer(width)

    with pytest.raises(RuntimeError, match="simulated crash"):
        sweep(path, crashing)
    rows = rows_of(path.read_text())  # every line is a whole JSON row
    per_width = len(LOG2_LRS) * len(SEEDS)
    assert [r["width"] for r in rows] == [w for w in WIDTHS[:-1] for _ in range(per_width)]
    partial = load_sweep(path)
    assert not partial.complete and np.isnan(partial.loss[-1]).all()

    built = []

    def counting(width):
        built.append(width)
        return toy_trainer(width)

    table = sweep(path, counting)
    assert built == [WIDTHS[-1]], "done widths are skipped"
    assert path.read_bytes() == reference[1]
    np.testing.assert_array_equal(table.loss, reference[0].loss)
    built.clear()
    sweep(path, counting)  # complete: nothing to do, file untouched
    assert built == [] and path.read_bytes() == reference[1]


def test_crash_inside_a_write_keeps_the_previous_file(tmp_path, monkeypatch, reference):
    path = tmp_path / "sweep.jsonl"
    real_replace, calls, snapshots = os.replace, [], []

    def failing_replace(src, dst):
        calls.append(src)
        if len(calls) == 3:  # header, width 2, then fail moving the file of width 4 into place
            raise OSError("simulated crash during the write")
        real_replace(src, dst)
        snapshots.append(path.read_bytes())

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated crash"):
        sweep(path)
    monkeypatch.undo()
    assert path.read_bytes() == snapshots[-1]  # the previous complete file
    assert len(rows_of(path.read_text())) == len(LOG2_LRS) * len(SEEDS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.jsonl"], "no temporary file left"
    sweep(path)
    assert path.read_bytes() == reference[1]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"seeds": (0, 2)}, "seeds"), ({"tag": "other"}, "tag"), ({"steps": STEPS + 1}, "steps"),
     ({"log2_lrs": (-4.0, -2.0, 0.0)}, "log2_lrs"), ({"divergence_factor": None}, "divergence_factor")],
)
def test_resume_with_another_config_raises(tmp_path, reference, change, field):
    path = tmp_path / "sweep.jsonl"
    path.write_bytes(reference[1])
    with pytest.raises(ValueError, match=f"`{field}`"):
        sweep(path, **change)
    assert path.read_bytes() == reference[1]


def test_load_sweep_refuses_damaged_files(tmp_path, reference):
    path = tmp_path / "sweep.jsonl"
    text = reference[1].decode()
    path.write_text(text[:-20])  # a truncated last row
    with pytest.raises(ValueError, match=f"line {N_ROWS + 1}"):
        load_sweep(path)
    lines = text.splitlines()
    path.write_text("\n".join(lines + lines[-1:]) + "\n")
    with pytest.raises(ValueError, match="duplicate"):
        load_sweep(path)
    path.write_text("\n".join(lines[1:]) + "\n")
    with pytest.raises(ValueError, match="header"):
        load_sweep(path)
    path.write_bytes(reference[1])
    loaded = load_sweep(path)
    np.testing.assert_array_equal(loaded.loss, reference[0].loss)
    assert loaded.config() == reference[0].config()


def test_progress_bar_on_stderr(tmp_path, capsys):
    sweep(tmp_path / "a.jsonl", tag="toy", progress=True)
    err = capsys.readouterr().err
    assert f"{N_ROWS}/{N_ROWS} runs" in err and "sweep toy [" in err
    sweep(tmp_path / "b.jsonl", progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("bad", "name"),
    [({"widths": ()}, "widths"), ({"widths": (2, 2)}, "widths"), ({"widths": (0, 2)}, "widths"),
     ({"log2_lrs": (0.0, math.nan)}, "log2_lrs"), ({"log2_lrs": (0.0, math.inf)}, "log2_lrs"),
     ({"log2_lrs": ()}, "log2_lrs"), ({"seeds": (1, 1)}, "seeds"), ({"seeds": (-1,)}, "seeds"),
     ({"steps": 0}, "steps"), ({"chunk": 0}, "chunk")],
)
def test_bad_arguments_name_the_argument(tmp_path, bad, name):
    path = tmp_path / "sweep.jsonl"
    with pytest.raises(ValueError, match=f"`{name}`"):
        sweep(path, **bad)
    assert not path.exists()


# --- metrics on constructed tables -------------------------------------------------------

GRID = np.arange(-6.0, 0.5, 0.5)
CENTRES = np.array([-2.0, -2.5, -3.0, -4.0])  # on the grid
SHIFTS = np.array([[0.0, 0.5, -0.5], [0.5, -0.5, 0.0], [0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]])  # per (width, seed), mean 0


def constructed(centres=CENTRES, shifts=SHIFTS) -> SweepTable:
    """ℓ[i, j, s] = (x_j − c_i − δ_is)² + 1: the seed mean has its minimum at c_i, seed s at c_i + δ_is."""
    loss = (GRID[None, :, None] - centres[:, None, None] - shifts[:, None, :]) ** 2 + 1.0
    return SweepTable(widths=np.array([64, 128, 256, 1024]), log2_lrs=GRID, seeds=np.arange(3), loss=loss, steps=1)


def test_metrics_on_a_constructed_table():
    table = constructed()
    np.testing.assert_array_equal(optimal_log2_lr(table), CENTRES)
    assert lr_drift(table) == -2.0
    x = np.log2(table.widths.astype(float))
    fit = lr_slope(table)
    np.testing.assert_allclose([fit.slope, fit.intercept], np.polyfit(x, CENTRES, 1), rtol=1e-12)
    per_seed = [np.polyfit(x, CENTRES + SHIFTS[:, s], 1)[0] for s in range(3)]
    np.testing.assert_allclose(fit.per_seed, per_seed, rtol=1e-12)
    assert fit.se == pytest.approx(np.std(per_seed, ddof=1) / np.sqrt(3), rel=1e-12)
    resid = CENTRES - np.polyval(np.polyfit(x, CENTRES, 1), x)
    assert fit.se_fit == pytest.approx(np.sqrt(resid @ resid / 2 / np.sum((x - x.mean()) ** 2)), rel=1e-12)
    best = best_loss(table)
    at = table.loss[np.arange(4), [np.flatnonzero(GRID == c)[0] for c in CENTRES]]
    np.testing.assert_allclose(best.mean, at.mean(-1), rtol=1e-12)
    np.testing.assert_allclose(best.se, at.std(-1, ddof=1) / np.sqrt(3), rtol=1e-12)
    np.testing.assert_array_equal(best.log2_lr, CENTRES)


def test_metrics_skip_diverged_learning_rates():
    table = constructed(shifts=np.zeros((4, 3)))
    loss = table.loss.copy()
    loss[0, GRID == -2.0, 1] = np.inf  # one seed diverged at width 64's best η
    loss[1, GRID >= -1.0, :] = np.inf
    table = table._replace(loss=loss)
    assert np.isposinf(seed_mean_loss(table)[0, GRID == -2.0]).all()
    # the two neighbours tie; ties go to the smaller η
    assert optimal_log2_lr(table)[0] == -2.5
    assert best_loss(table).log2_lr[0] == -2.5
    loss[2] = np.inf
    with pytest.raises(ValueError, match=r"width\(s\) \[256\]"):
        optimal_log2_lr(table._replace(loss=loss))


def test_parabolic_refinement():
    centres = np.array([-2.2, -2.45, -3.1, 7.0])  # the last one is beyond the grid
    table = constructed(centres=centres, shifts=np.zeros((4, 3)))
    refined = optimal_log2_lr(table, refine=True)
    np.testing.assert_allclose(refined[:3], centres[:3], atol=1e-12)  # exact for a parabola
    assert refined[3] == GRID[-1], "an optimum on the grid's edge is not extrapolated"
    np.testing.assert_array_equal(optimal_log2_lr(table), [-2.0, -2.5, -3.0, 0.0])
    assert lr_drift(table, refine=True) == pytest.approx(0.0 - -2.2)


def test_metrics_refuse_incomplete_tables():
    loss = constructed().loss.copy()
    loss[1, 3, 0] = np.nan
    with pytest.raises(ValueError, match="incomplete: 1 of"):
        lr_slope(constructed()._replace(loss=loss))
    with pytest.raises(ValueError, match="at least two widths"):
        one = constructed()
        lr_slope(one._replace(widths=one.widths[:1], loss=one.loss[:1]))
