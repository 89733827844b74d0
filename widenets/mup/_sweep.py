"""Width × log2 learning rate × seed sweeps, vmapped, written row by row and resumable.

File format (JSON Lines, UTF-8, strict JSON): the first line is a header

    {"format": "widenets.mup.sweep", "version": 1,
     "config": {"widths": [...], "log2_lrs": [...], "seeds": [...], "steps": 100,
                "tag": "...", "divergence_factor": 1000000.0}}

and every further line one run,

    {"width": 64, "log2_lr": -3.5, "seed": 0, "loss": 0.0123, "diverged": false}

with ``"loss": null, "diverged": true`` for a diverged run (JSON has no inf). Rows are kept
in grid order (width, then log2 η, then seed, each in the order of the config). Floats are
written by `repr`, so they read back bit for bit.

Writes: after every chunk of learning rates the whole file is rewritten into a temporary
file beside it and moved over it with `os.replace` (`write_text_atomic`), an atomic rename
on POSIX and Windows. A reader, or a sweep resumed after an exception, Ctrl-C or SIGKILL of
the writer, sees either the previous complete file or the new one, never a partial row, so
no recovery code is needed (why not appends: an appending writer killed mid-line leaves a
torn last row that every reader must detect and repair). Rewriting costs O(rows) per chunk,
a few kB for a sweep of hundreds of runs, negligible next to training. There is no fsync:
the guarantee covers the writing process dying, not the machine losing power. One writer per file: two sweeps on the same path race. A temporary
``.name.*.tmp`` file may be left behind by a kill during a write.
"""
from __future__ import annotations

import functools
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_float, check_int, check_optional_float
from ..reproduce import write_text_atomic
from ._trainer import DIVERGENCE_FACTOR, Trainer, seed_key, train

FORMAT = "widenets.mup.sweep"
VERSION = 1
#: the config fields a resumed sweep must match
CONFIG_FIELDS = ("widths", "log2_lrs", "seeds", "steps", "tag", "divergence_factor")


class SweepTable(NamedTuple):
    """A sweep's results on its grid.

    ``loss[i, j, k]`` is the final metric of width ``widths[i]``, learning rate
    η = 2^``log2_lrs[j]`` and seed ``seeds[k]``: +inf for a diverged run, NaN for a run not
    yet in the file (an interrupted sweep).
    """

    widths: np.ndarray  # (W,) int64
    log2_lrs: np.ndarray  # (L,) float64
    seeds: np.ndarray  # (S,) int64
    loss: np.ndarray  # (W, L, S) float64
    steps: int
    tag: str = ""
    divergence_factor: float | None = DIVERGENCE_FACTOR

    @property
    def diverged(self) -> np.ndarray:
        """(W, L, S) bool: the runs recorded as diverged."""
        return np.isposinf(self.loss)

    @property
    def complete(self) -> bool:
        """Whether every run of the grid has a result."""
        return not bool(np.isnan(self.loss).any())

    def config(self) -> dict[str, Any]:
        """The config as stored in the file header."""
        return _config(self.widths, self.log2_lrs, self.seeds, self.steps, self.tag, self.divergence_factor)


def run_sweep(
    path: str | os.PathLike,
    make_trainer: Callable[[int], Trainer],
    widths: Sequence[int],
    log2_lrs: Sequence[float],
    seeds: Sequence[int],
    steps: int,
    *,
    tag: str = "",
    chunk: int | None = None,
    progress: bool = True,
    divergence_factor: float | None = DIVERGENCE_FACTOR,
) -> SweepTable:
    """Train every (width, η = 2^log2_lr, seed) of a grid and record the final metrics.

    For each width, ``make_trainer(width)`` gives a `Trainer`, and one jitted function,
    ``vmap`` over learning rates of ``vmap`` over seeds of `train`, runs ``chunk`` learning
    rates × all seeds at once (one compilation per width: the last chunk is padded to the
    same shape). Seed s uses ``jax.random.key(s)`` (split into init and data keys by
    `train`) and η = ``np.exp2(log2_lr)`` in float64 (cast to JAX's default float).

    The results go to ``path`` after each chunk (format and atomicity: module docstring). If
    ``path`` exists, the sweep resumes: rows already there are kept and not recomputed, and
    the file's config must equal this call's, else `ValueError`. ``chunk`` is a memory knob,
    not part of the config (a different chunk on resume may change results in the last bits).

    Args:
      path: the JSON Lines file (created with its parent directory if missing).
      make_trainer: ``width -> Trainer``.
      widths, log2_lrs, seeds: the grid; each non-empty and without repeats; widths ≥ 1,
        log2 learning rates finite, seeds ≥ 0.
      steps: optimizer steps per run (≥ 1).
      tag: a free description stored in the header (and compared on resume).
      chunk: learning rates per compiled call (default: all of them).
      progress: print a progress bar on stderr.
      divergence_factor: see `train`.

    Returns:
      The complete `SweepTable`.

    Example (the digits demonstration of docs/theory/mup.md; rerunning it resumes or returns at once):

        >>> from widenets.mup.empirical import digits_trainer, lr_slope, run_sweep
        >>> table = run_sweep("digits_mup.jsonl", lambda n: digits_trainer(n, "mup"),
        ...                   widths=(64, 128, 256), log2_lrs=np.arange(-5.0, 1.01, 0.5),
        ...                   seeds=(0, 1, 2), steps=100, tag="digits, mup")
        >>> lr_slope(table).slope  # ≈ 0 under μP
    """
    config = _config(widths, log2_lrs, seeds, steps, tag, divergence_factor)
    if not callable(make_trainer):
        raise TypeError(f"`make_trainer` must be callable (width -> Trainer), got {type(make_trainer).__name__}.")
    n_lrs = len(config["log2_lrs"])
    chunk = n_lrs if chunk is None else min(check_int("chunk", chunk, minimum=1), n_lrs)
    path = Path(path)
    rows = _resume(path, config)
    keys = jnp.stack([seed_key(s) for s in config["seeds"]])
    rates = np.exp2(np.asarray(config["log2_lrs"], np.float64))
    bar = _Progress(len(config["widths"]) * n_lrs * len(config["seeds"]), config["tag"], enabled=progress)
    bar.update(len(rows), None)
    try:
        for i, width in enumerate(config["widths"]):
            todo = [c for c in range(0, n_lrs, chunk)
                    if not _chunk_done(rows, i, range(c, min(c + chunk, n_lrs)), config)]
            if not todo:
                continue
            grid = _grid_function(make_trainer(width), config["steps"], config["divergence_factor"])
            for start in todo:
                lr_idx = list(range(start, min(start + chunk, n_lrs)))
                padded = lr_idx + [lr_idx[-1]] * (chunk - len(lr_idx))
                metrics = np.asarray(grid(jnp.asarray(rates[padded]), keys), np.float64)
                for a, j in enumerate(lr_idx):
                    for k in range(len(config["seeds"])):
                        rows.setdefault((i, j, k), float(metrics[a, k]))
                _write(path, config, rows)
                bar.update(len(rows), width)
    finally:
        bar.close()
    return _table(config, rows)


def load_sweep(path: str | os.PathLike) -> SweepTable:
    """Read a sweep file back (complete or not) as a `SweepTable`; missing runs are NaN."""
    config, rows = _read(Path(path))
    return _table(config, rows)


# --- the computation ---------------------------------------------------------------------


def _grid(
    trainer: Trainer, steps: int, divergence_factor: float | None, rates: jax.Array, keys: jax.Array
) -> jax.Array:
    """(len(rates), len(keys)) final metrics: `train` vmapped over seeds, then over learning rates."""

    def one(rate: jax.Array, key: jax.Array) -> jax.Array:
        return train(trainer, rate, key, steps, divergence_factor=divergence_factor)[0]

    return jax.vmap(jax.vmap(one, in_axes=(None, 0)), in_axes=(0, None))(rates, keys)


#: `_grid` jitted with the trainer static: a sweep that gets the same `Trainer` again (its
#: functions compare equal) reuses the compilation
_grid_jit = jax.jit(_grid, static_argnums=(0, 1, 2))


def _grid_function(trainer: Trainer, steps: int, divergence_factor: float | None) -> Callable:
    """``(rates, keys) -> metrics``, compiled once per trainer (per call if it is unhashable)."""
    if not isinstance(trainer, Trainer):
        raise TypeError(f"`make_trainer` must return a Trainer, got {type(trainer).__name__}.")
    try:
        hash(trainer)
    except TypeError:
        return jax.jit(functools.partial(_grid, trainer, steps, divergence_factor))
    return functools.partial(_grid_jit, trainer, steps, divergence_factor)


def _chunk_done(rows: dict, i: int, lr_idx: Iterable[int], config: dict) -> bool:
    return all((i, j, k) in rows for j in lr_idx for k in range(len(config["seeds"])))


# --- config ------------------------------------------------------------------------------


def _unique(name: str, values: list) -> list:
    if not values:
        raise ValueError(f"`{name}` must not be empty.")
    seen = set()
    for v in values:
        if v in seen:
            raise ValueError(f"`{name}` must not repeat values, got {v!r} twice in {values}.")
        seen.add(v)
    return values


def _sequence(name: str, value: Any) -> list:
    if isinstance(value, (np.ndarray, jax.Array)):
        if value.ndim != 1:
            raise ValueError(f"`{name}` must be one-dimensional, got shape {value.shape}.")
        return value.tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a sequence, got {type(value).__name__}.")
    return list(value)


def _config(widths: Any, log2_lrs: Any, seeds: Any, steps: Any, tag: Any, divergence_factor: Any) -> dict:
    """The validated, JSON-ready config of a sweep."""
    if not isinstance(tag, str):
        raise TypeError(f"`tag` must be a string, got {type(tag).__name__}.")
    return {
        "widths": _unique("widths", [check_int("widths", w, minimum=1) for w in _sequence("widths", widths)]),
        "log2_lrs": _unique("log2_lrs", [check_float("log2_lrs", x) for x in _sequence("log2_lrs", log2_lrs)]),
        "seeds": _unique("seeds", [check_int("seeds", s, minimum=0) for s in _sequence("seeds", seeds)]),
        "steps": check_int("steps", steps, minimum=1),
        "tag": tag,
        "divergence_factor": check_optional_float("divergence_factor", divergence_factor, nonnegative=True),
    }


def _check_same_config(path: Path, stored: dict, config: dict) -> None:
    diffs = [f"`{f}`: file has {stored.get(f)!r}, this call {config[f]!r}" for f in CONFIG_FIELDS
             if stored.get(f) != config[f]]
    if diffs:
        raise ValueError(
            f"{path} holds a sweep with a different config ({'; '.join(diffs)}); resume it with the "
            "same config, or write the new sweep to another path."
        )


# --- file I/O ----------------------------------------------------------------------------


def _resume(path: Path, config: dict) -> dict:
    """The rows already in ``path`` (checked against ``config``), writing a header-only file if new."""
    if not path.exists():
        _write(path, config, {})
        return {}
    stored, rows = _read(path)
    _check_same_config(path, stored, config)
    return rows


def _write(path: Path, config: dict, rows: dict) -> None:
    header = {"format": FORMAT, "version": VERSION, "config": config}
    lines = [json.dumps(header, allow_nan=False)]
    for (i, j, k) in sorted(rows):
        loss = rows[(i, j, k)]
        diverged = not math.isfinite(loss)
        lines.append(json.dumps({
            "width": config["widths"][i], "log2_lr": config["log2_lrs"][j], "seed": config["seeds"][k],
            "loss": None if diverged else loss, "diverged": diverged,
        }, allow_nan=False))
    write_text_atomic(path, "\n".join(lines) + "\n")


def _read(path: Path) -> tuple[dict, dict]:
    """(config, rows) of a sweep file; rows map grid indices (i, j, k) to the loss (inf if diverged)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT or not isinstance(header.get("config"), dict):
        raise ValueError(f"{path} is not a widenets.mup sweep file (its first line is not a {FORMAT!r} header).")
    if header.get("version") != VERSION:
        raise ValueError(f"{path}: sweep file version {header.get('version')!r}, this widenets reads {VERSION}.")
    config = header["config"]
    index = {name: {v: n for n, v in enumerate(config[name])} for name in ("widths", "log2_lrs", "seeds")}
    rows: dict = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            row = json.loads(line)
            key = (index["widths"][row["width"]], index["log2_lrs"][row["log2_lr"]], index["seeds"][row["seed"]])
            loss = math.inf if row["diverged"] else float(row["loss"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}, line {number}: not a row of this sweep's grid: {line[:200]!r}") from err
        if key in rows:
            raise ValueError(f"{path}, line {number}: duplicate row {line[:200]!r}.")
        rows[key] = loss
    return config, rows


def _table(config: dict, rows: dict) -> SweepTable:
    shape = (len(config["widths"]), len(config["log2_lrs"]), len(config["seeds"]))
    loss = np.full(shape, np.nan)
    for key, value in rows.items():
        loss[key] = value
    return SweepTable(
        widths=np.asarray(config["widths"], np.int64),
        log2_lrs=np.asarray(config["log2_lrs"], np.float64),
        seeds=np.asarray(config["seeds"], np.int64),
        loss=loss,
        steps=config["steps"],
        tag=config["tag"],
        divergence_factor=config["divergence_factor"],
    )


# --- progress ----------------------------------------------------------------------------


class _Progress:
    """``sweep <tag> [#######.......] 120/195 runs, width 256, 12 s`` on one stderr line."""

    def __init__(self, total: int, tag: str, *, enabled: bool, size: int = 30) -> None:
        self.total, self.tag, self.enabled, self.size = total, tag, enabled, size
        self.start = time.perf_counter()

    def update(self, done: int, width: int | None) -> None:
        if not self.enabled:
            return
        filled = self.size * done // max(self.total, 1)
        where = "" if width is None else f", width {width}"
        label = f"sweep {self.tag} " if self.tag else "sweep "
        sys.stderr.write(f"\r{label}[{'#' * filled}{'.' * (self.size - filled)}] {done}/{self.total} runs"
                         f"{where}, {time.perf_counter() - self.start:.0f} s")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
