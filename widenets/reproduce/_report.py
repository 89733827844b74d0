"""Rendering ``REPORT.md``: one Markdown table of every comparison, plus the environment."""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._comparison import Comparison
from ._runner import FigureRun

_STATUS = {"passed": "pass", "failed": "**FAIL**", "error": "**ERROR**"}
_MAX_TRACEBACK_LINES = 12


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(x: float | None, fmt: str = ".6g") -> str:
    return "—" if x is None else format(x, fmt)


def _value_format(c: Comparison) -> str:
    """Enough significant digits to resolve differences at the tolerance's scale (6 to 16)."""
    scale, bound = max(abs(c.theory), abs(c.empirical)), c.bound
    if not (math.isfinite(scale) and math.isfinite(bound)) or bound <= 0 or scale <= bound:
        return ".6g"
    return f".{min(16, max(6, math.ceil(math.log10(scale / bound)) + 2))}g"


def _rel(path: Path, out_dir: Path) -> str:
    """``path`` relative to ``out_dir`` (where REPORT.md lives), as a POSIX link target."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(out_dir).resolve())).as_posix()
    except ValueError:  # different drive on Windows
        return Path(path).as_posix()


def _links(run: FigureRun, out_dir: Path) -> str:
    links = [f"[{p.name}]({_rel(p, out_dir)})" for p in run.artifacts if p.suffix.lower() == ".png"]
    return " ".join(links) or "—"


def _rows(run: FigureRun, out_dir: Path) -> list[str]:
    head = [f"`{run.name}`", f"{run.runtime_s:.1f} s", _links(run, out_dir)]
    if run.status == "error":
        last = (run.error or "").strip().splitlines()[-1:] or ["unknown error"]
        return ["| " + " | ".join([head[0], _cell(last[0]), "", "", "", "", _STATUS["error"], *head[1:]]) + " |"]
    if not run.comparisons:
        return ["| " + " | ".join([head[0], "(no comparisons)", "", "", "", "", "pass", *head[1:]]) + " |"]
    rows = []
    for i, c in enumerate(run.comparisons):
        figure, runtime, links = head if i == 0 else ("", "", "")
        fmt = _value_format(c)
        rows.append("| " + " | ".join([
            figure, _cell(c.quantity), _num(c.theory, fmt), _num(c.empirical, fmt),
            _num(c.abs_diff, ".3g"),
            _tolerance_cell(c), "pass" if c.passed else _STATUS["failed"], runtime, links,
        ]) + " |")
    return rows


def _tolerance_cell(c: Comparison) -> str:
    if c.kind in ("upper", "lower"):  # one-sided: the bound is the margin by which it holds
        return f"{c.label} (margin {c.bound:.3g})"
    return f"{c.label} (≤ {c.bound:.3g})"


def render_report(runs: Sequence[FigureRun], env: dict[str, Any], scale: str, out_dir: Path,
                  note: str = "") -> str:
    """The text of ``REPORT.md`` for ``runs``; links are relative to ``out_dir``."""
    n_cmp = sum(len(r.comparisons) for r in runs)
    n_fail = sum(not c.passed for r in runs for c in r.comparisons)
    n_err = sum(r.status == "error" for r in runs)
    ok = bool(runs) and n_fail == 0 and n_err == 0
    lines = [
        "# widenets reproduction report",
        "",
        f"**{'PASS' if ok else 'FAIL'}** — scale `{scale}`: {len(runs)} figure(s), {n_cmp} comparison(s), "
        f"{n_fail} failed, {n_err} error(s).",
        "",
    ]
    if note:
        lines += [note, ""]
    if runs:
        lines += [
            "| figure | quantity | theory | empirical | \\|Δ\\| | tolerance | result | runtime | plots |",
            "|---|---|---:|---:|---:|---|---|---:|---|",
        ]
        for run in runs:
            lines += _rows(run, out_dir)
        lines.append("")
    errors = [r for r in runs if r.status == "error"]
    if errors:
        lines += ["## Errors", ""]
        for run in errors:
            tb = (run.error or "").strip().splitlines()[-_MAX_TRACEBACK_LINES:]
            where = f"; full traceback in `{_rel(run.record, out_dir)}`" if run.record else ""
            lines += [f"`{run.name}` ({run.source}){where}:", "", "```", *tb, "```", ""]
    lines += ["## Environment", ""]
    lines += [f"- {key}: {', '.join(v) if isinstance(v, list) else v}" for key, v in env.items()]
    return "\n".join(lines) + "\n"
