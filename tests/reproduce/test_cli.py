"""`widenets reproduce` end to end, on a fake `paper_figs/` written into a temporary directory.

The fake figures register through the same `widenets.reproduce.register` decorator the real
ones use: one passes, one has a failing comparison, one raises.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from widenets.reproduce import cli
from widenets.reproduce._discover import discover, find_figs_dir

REPO = Path(__file__).resolve().parents[2]

FAKE_FIGURES = textwrap.dedent('''
    """Fake figures for the CLI tests."""
    import matplotlib.pyplot as plt

    from widenets.reproduce import Comparison, FigureResult, register, save_figure


    @register("good", "A passing figure")
    def good(scale, out_dir):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        return FigureResult(
            comparisons=[
                Comparison.within_rel("identity", 1.0, 1.0 + 1e-9, rtol=1e-6),
                Comparison.within_se("monte carlo mean", 0.5, 0.51, stderr=0.01),
            ],
            artifacts=save_figure(fig, out_dir, "good"),
            notes=f"scale={scale}",
        )


    @register("bad", "A figure whose comparison fails")
    def bad(scale, out_dir):
        return FigureResult([Comparison.within_abs("off by one", 1.0, 2.0, atol=1e-3)])


    @register("boom", "A figure that raises")
    def boom(scale, out_dir):
        raise RuntimeError("kaboom from the fake figure")
''')


@pytest.fixture
def figs_dir(tmp_path: Path) -> Path:
    d = tmp_path / "paper_figs"
    d.mkdir()
    (d / "fig_fake.py").write_text(FAKE_FIGURES)
    (d / "helper_not_a_figure.py").write_text("raise AssertionError('only fig_*.py is imported')\n")
    return d


def _run(figs_dir: Path, out: Path, *args: str) -> int:
    return cli.main(["reproduce", "--figs-dir", str(figs_dir), "--out", str(out), *args])


def _record(out: Path, name: str) -> dict:
    return json.loads((out / name / f"{name}.json").read_text())


def test_list_prints_names_and_titles(figs_dir, tmp_path, capsys):
    assert _run(figs_dir, tmp_path / "out", "--list") == 0
    text = capsys.readouterr().out
    for name, title in [("good", "A passing figure"), ("bad", "fails"), ("boom", "raises")]:
        assert name in text and title in text
    assert not (tmp_path / "out").exists(), "--list must not run anything"


def test_only_runs_the_named_figure_and_writes_json_and_report(figs_dir, tmp_path):
    out = tmp_path / "out"
    assert _run(figs_dir, out, "--only", "good") == 0
    assert not (out / "bad").exists() and not (out / "boom").exists()
    rec = _record(out, "good")
    assert rec["status"] == "passed" and rec["scale"] == "quick" and rec["notes"] == "scale=quick"
    assert [c["quantity"] for c in rec["comparisons"]] == ["identity", "monte carlo mean"]
    assert rec["comparisons"][1]["label"] == "4 SE" and rec["comparisons"][0]["label"] == "rel 1e-06"
    assert rec["environment"]["jax"] and rec["environment"]["backend"]
    assert {Path(p).name for p in rec["artifacts"]} == {"good.png", "good.pdf"}
    assert all(Path(p).is_file() for p in rec["artifacts"])
    report = (out / "REPORT.md").read_text()
    assert "**PASS**" in report and "monte carlo mean" in report
    assert "(good/good.png)" in report, "report links the PNG relative to REPORT.md"
    assert "jax:" in report and "backend:" in report and "date:" in report
    assert not list(out.rglob("*.tmp")), "atomic writes leave no temporary files"


def test_scale_is_passed_through(figs_dir, tmp_path):
    out = tmp_path / "out"
    assert _run(figs_dir, out, "--only", "good", "--scale", "paper") == 0
    rec = _record(out, "good")
    assert rec["scale"] == "paper" and rec["notes"] == "scale=paper"


def test_failing_comparison_exits_nonzero(figs_dir, tmp_path):
    out = tmp_path / "out"
    assert _run(figs_dir, out, "--only", "bad") == 1
    rec = _record(out, "bad")
    assert rec["status"] == "failed" and rec["comparisons"][0]["passed"] is False
    report = (out / "REPORT.md").read_text()
    assert "**FAIL**" in report and "off by one" in report


def test_figure_exception_is_reported_and_exits_nonzero(figs_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(figs_dir, out, "--only", "boom", "good") == 1
    rec = _record(out, "boom")
    assert rec["status"] == "error" and "kaboom from the fake figure" in rec["error"]
    assert _record(out, "good")["status"] == "passed", "one figure raising does not stop the others"
    report = (out / "REPORT.md").read_text()
    assert "**ERROR**" in report and "RuntimeError: kaboom from the fake figure" in report
    assert "kaboom" in capsys.readouterr().err


def test_all_figures_run_by_default(figs_dir, tmp_path):
    out = tmp_path / "out"
    assert _run(figs_dir, out) == 1
    assert {p.name for p in out.iterdir()} == {"good", "bad", "boom", "REPORT.md"}


def test_unknown_only_name_is_a_usage_error(figs_dir, tmp_path, capsys):
    assert _run(figs_dir, tmp_path / "out", "--only", "good", "nope") == 2
    err = capsys.readouterr().err
    assert "--only" in err and "'nope'" in err and "good" in err
    with pytest.raises(ValueError, match="unknown figure name"):
        cli.select(discover(figs_dir).figures, ["nope"])


def test_module_import_error_is_reported(figs_dir, tmp_path):
    (figs_dir / "fig_broken.py").write_text("raise ImportError('missing dependency xyz')\n")
    out = tmp_path / "out"
    assert _run(figs_dir, out, "--list") == 1
    assert _run(figs_dir, out) == 1
    report = (out / "REPORT.md").read_text()
    assert "fig_broken.py" in report and "missing dependency xyz" in report
    # The healthy module's figures are still found and run.
    assert _record(out, "good")["status"] == "passed"


def test_duplicate_names_across_modules_are_an_import_error(figs_dir):
    (figs_dir / "fig_zdup.py").write_text(
        "from widenets.reproduce import register\n"
        "@register('good', 'dup')\n"
        "def again(scale, out_dir):\n    pass\n"
    )
    found = discover(figs_dir)
    assert "fig_zdup.py" in found.errors and "already registered" in found.errors["fig_zdup.py"]


def test_rediscovery_is_fresh(figs_dir):
    assert list(discover(figs_dir).figures) == list(discover(figs_dir).figures) == ["good", "bad", "boom"]


def test_no_figures_is_a_failure(tmp_path):
    empty = tmp_path / "paper_figs"
    empty.mkdir()
    out = tmp_path / "out"
    assert _run(empty, out) == 1
    assert "No figures found" in (out / "REPORT.md").read_text()


def test_figs_dir_is_found_by_searching_upward(figs_dir, tmp_path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_figs_dir(nested) == figs_dir.resolve()


def test_missing_figs_dir_is_a_usage_error(tmp_path, capsys):
    assert _run(tmp_path / "nowhere", tmp_path / "out") == 2
    assert "--figs-dir" in capsys.readouterr().err


def test_real_paper_figs_import_cleanly():
    """Every module in the repository's paper_figs/ imports and registers without error."""
    found = discover(REPO / "paper_figs")
    assert not found.errors, found.errors


def test_python_dash_m_widenets(figs_dir, tmp_path):
    """The command also runs as a subprocess (`python -m widenets`), as the console script does."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "widenets", "reproduce", "--figs-dir", str(figs_dir), "--list"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "good" in proc.stdout
