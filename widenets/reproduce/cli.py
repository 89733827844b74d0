"""The ``widenets`` command line: ``widenets reproduce [--only NAME ...] [--scale S] [--out DIR] [--list]``.

``reproduce`` imports every ``paper_figs/fig_*.py``, runs the registered figures (or those
named by ``--only``), writes ``<out>/<name>/<name>.json`` for each and ``<out>/REPORT.md``
for all, and exits non-zero when any comparison fails, a figure raises, or nothing ran.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ._discover import Discovery, discover, find_figs_dir
from ._io import write_text_atomic
from ._report import render_report
from ._runner import FigureRun, environment, import_failure, run_figure
from .registry import SCALES, Figure

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``widenets``."""
    parser = argparse.ArgumentParser(prog="widenets", description="widenets command-line tools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    rep = commands.add_parser(
        "reproduce", help="run the paper figures and compare theory with experiment",
        description="Run the figures registered in paper_figs/fig_*.py; write JSON records and REPORT.md.",
    )
    rep.add_argument("--only", nargs="+", action="extend", metavar="NAME",
                     help="run only these figures (repeatable); see --list")
    rep.add_argument("--scale", choices=SCALES, default="quick",
                     help="quick: CPU minutes; paper: paper-scale sizes (default: quick)")
    rep.add_argument("--out", type=Path, default=Path("results"),
                     help="output directory (default: ./results)")
    rep.add_argument("--figs-dir", type=Path, default=None,
                     help="directory holding fig_*.py (default: the nearest paper_figs/ above the "
                          "current directory or the widenets package)")
    rep.add_argument("--list", action="store_true", help="list the registered figures and exit")
    return parser


def select(figures: dict[str, Figure], only: Sequence[str] | None) -> list[Figure]:
    """The figures to run: all of them, or those named in ``only`` (in that order, deduplicated).

    Raises:
      ValueError: a name in ``only`` is not registered; the message lists the known names.
    """
    if not only:
        return list(figures.values())
    unknown = [name for name in only if name not in figures]
    if unknown:
        known = ", ".join(sorted(figures)) or "(none)"
        raise ValueError(f"--only: unknown figure name(s) {', '.join(map(repr, unknown))}; known: {known}.")
    return [figures[name] for name in dict.fromkeys(only)]


def _list(discovery: Discovery) -> int:
    width = max((len(name) for name in discovery.figures), default=0)
    for fig in discovery.figures.values():
        print(f"{fig.name:<{width}}  {fig.title}")
    if not discovery.figures:
        print(f"no figures registered in {discovery.figs_dir}/fig_*.py")
    for module, tb in discovery.errors.items():
        print(f"error: {discovery.figs_dir / module} failed to import:\n{tb}", file=sys.stderr)
    return EXIT_FAILED if discovery.errors else EXIT_OK


def _progress(i: int, n: int, run: FigureRun) -> None:
    n_cmp = len(run.comparisons)
    if run.status == "error":
        lines = (run.error or "").strip().splitlines()
        detail = lines[-1] if lines else "error"
    elif run.status == "failed":
        detail = f"{sum(not c.passed for c in run.comparisons)} of {n_cmp} comparison(s) failed"
    else:
        detail = f"{n_cmp} comparison(s)"
    print(f"[{i}/{n}] {run.name}: {run.status.upper()} ({run.runtime_s:.1f} s) - {detail}", flush=True)


def reproduce(args: argparse.Namespace) -> int:
    """Run the ``reproduce`` command; returns the exit code."""
    # Figures must render off-screen, whatever backend the user's environment asks for.
    os.environ["MPLBACKEND"] = "Agg"
    import matplotlib

    matplotlib.use("Agg", force=True)

    figs_dir = args.figs_dir if args.figs_dir is not None else find_figs_dir()
    discovery = discover(figs_dir)
    if args.list:
        return _list(discovery)
    try:
        selected = select(discovery.figures, args.only)
    except ValueError as err:
        if discovery.errors:  # the figure asked for may live in a module that did not import
            raise ValueError(f"{err} (these modules failed to import: {', '.join(discovery.errors)})") from err
        raise

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    env = environment()
    runs: list[FigureRun] = []
    if args.only:
        for module in discovery.errors:
            print(f"warning: {discovery.figs_dir / module} failed to import", file=sys.stderr)
    else:
        runs += [import_failure(m, discovery.figs_dir, tb, args.scale) for m, tb in discovery.errors.items()]
        for run in runs:
            print(f"{run.name}: failed to import\n{run.error}", file=sys.stderr)
    for i, figure in enumerate(selected, start=1):
        print(f"[{i}/{len(selected)}] {figure.name}: running ({args.scale}) ...", flush=True)
        run = run_figure(figure, args.scale, out, env)
        _progress(i, len(selected), run)
        if run.error:
            print(run.error, file=sys.stderr)
        runs.append(run)

    note = "" if runs else f"No figures found: {discovery.figs_dir} has no registered fig_*.py figures."
    report = write_text_atomic(out / "REPORT.md", render_report(runs, env, args.scale, out, note=note))
    ok = bool(runs) and all(run.status == "passed" for run in runs)
    print(f"{'PASS' if ok else 'FAIL'}: {len(runs)} figure(s); report: {report}")
    return EXIT_OK if ok else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``widenets`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return reproduce(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"widenets {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
