"""Running one figure: its output directory, timing, error capture and JSON record."""
from __future__ import annotations

import dataclasses
import datetime
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Literal

from ._comparison import Comparison, FigureResult
from ._io import write_json_atomic
from .registry import Figure

Status = Literal["passed", "failed", "error"]


@dataclasses.dataclass(frozen=True)
class FigureRun:
    """The outcome of running one figure (or of failing to import its module).

    Attributes:
      name: figure name (for an import failure: the module's file name).
      title: figure title.
      source: file the figure was defined in.
      scale: ``"quick"`` or ``"paper"``.
      status: ``"passed"`` (all comparisons pass), ``"failed"`` (one does not) or
        ``"error"`` (the figure raised or returned something invalid).
      comparisons: the comparisons the figure returned.
      artifacts: absolute paths of the files it wrote.
      runtime_s: wall-clock seconds.
      error: traceback text when ``status == "error"``.
      notes: the figure's free-text notes.
      record: the JSON record written for this run, if any.
    """

    name: str
    title: str
    source: str
    scale: str
    status: Status
    comparisons: tuple[Comparison, ...] = ()
    artifacts: tuple[Path, ...] = ()
    runtime_s: float = 0.0
    error: str | None = None
    notes: str = ""
    record: Path | None = None

    def to_dict(self, environment: dict[str, Any]) -> dict[str, Any]:
        """The JSON record written to ``<out>/<name>/<name>.json``."""
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "scale": self.scale,
            "status": self.status,
            "runtime_s": round(self.runtime_s, 3),
            "comparisons": [c.to_dict() for c in self.comparisons],
            "artifacts": [str(p) for p in self.artifacts],
            "error": self.error,
            "notes": self.notes,
            "environment": environment,
        }


def environment() -> dict[str, Any]:
    """Versions, JAX backend/devices and the UTC date, recorded with every result."""
    import jax
    import jaxlib
    import numpy

    from widenets import __version__

    devices = jax.devices()
    return {
        "widenets": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "numpy": numpy.__version__,
        "backend": jax.default_backend(),
        "devices": sorted({f"{d.platform}:{getattr(d, 'device_kind', '?')}" for d in devices}),
        "device_count": len(devices),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _check_result(name: str, result: Any) -> FigureResult:
    """Validate what a figure function returned; raise ``TypeError``/``FileNotFoundError`` naming it."""
    if not isinstance(result, FigureResult):
        raise TypeError(f"figure {name!r} returned {type(result).__name__}, expected FigureResult.")
    for c in result.comparisons:
        if not isinstance(c, Comparison):
            raise TypeError(f"figure {name!r}: comparisons must be Comparison objects, got {type(c).__name__}.")
    missing = [str(p) for p in result.artifacts if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"figure {name!r} lists artifacts that were not written: {missing}.")
    return result


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def run_figure(figure: Figure, scale: str, out_root: Path, env: dict[str, Any]) -> FigureRun:
    """Run ``figure`` in ``out_root/<name>/`` and write ``<name>.json`` there atomically.

    Exceptions raised by the figure are caught and recorded (status ``"error"``).
    """
    out_dir = Path(out_root) / figure.name
    out_dir.mkdir(parents=True, exist_ok=True)
    record = out_dir / f"{figure.name}.json"
    start = time.perf_counter()
    try:
        result = _check_result(figure.name, figure.fn(scale, out_dir))
    except Exception:  # noqa: BLE001 - a figure's failure is reported, not propagated
        run = FigureRun(figure.name, figure.title, figure.source, scale, "error",
                        runtime_s=time.perf_counter() - start, error=traceback.format_exc(), record=record)
    else:
        run = FigureRun(
            figure.name, figure.title, figure.source, scale,
            "passed" if result.passed else "failed",
            comparisons=tuple(result.comparisons),
            artifacts=tuple(Path(p).resolve() for p in result.artifacts),
            runtime_s=time.perf_counter() - start,
            notes=result.notes,
            record=record,
        )
    finally:
        _close_figures()
    write_json_atomic(record, run.to_dict(env))
    return run


def import_failure(module_file: str, figs_dir: Path, error: str, scale: str) -> FigureRun:
    """A :class:`FigureRun` standing for a figure module that failed to import."""
    return FigureRun(module_file, "module failed to import", str(Path(figs_dir) / module_file), scale,
                     "error", error=error)
