"""Every `notebooks/*.ipynb` executes top to bottom without error.

Notebooks run in a kernel on *this* interpreter (`sys.executable`, i.e. the venv the tests
run in), through a kernelspec written to a temporary directory, so a user-level `python3`
kernelspec pointing at another Python cannot be picked up by accident. The repository root
is put on the kernel's PYTHONPATH so the notebooks import this checkout of widenets.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 600
KERNEL_NAME = "widenets-tests"


def _kernel_manager(spec_dir: Path) -> AsyncKernelManager:
    """A kernel manager whose only kernelspec runs ipykernel on the current interpreter."""
    kernel = spec_dir / "kernels" / KERNEL_NAME
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({sys.executable})",
        "language": "python",
    }))
    ksm = KernelSpecManager(kernel_dirs=[str(spec_dir / "kernels")], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)


def execute_notebook(path: Path, work_dir: Path) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` (cwd = its folder); raises ``CellExecutionError`` on error."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        km=_kernel_manager(work_dir / "jupyter"),
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    client.execute(env={**os.environ, "PYTHONPATH": pythonpath, "MPLBACKEND": "Agg"})
    return nb


def _write_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)
    return path


_PARAMS = [pytest.param(p, id=p.name) for p in NOTEBOOKS] or [
    pytest.param(None, id="none", marks=pytest.mark.skip(reason="no notebooks in notebooks/ yet"))
]


@pytest.mark.slow
@pytest.mark.parametrize("path", _PARAMS)
def test_notebook_executes(path: Path, tmp_path: Path) -> None:
    execute_notebook(path, tmp_path)


@pytest.mark.slow
def test_harness_uses_this_interpreter_and_reports_errors(tmp_path: Path) -> None:
    """The harness itself: the kernel is `sys.executable`, and a raising cell fails the run."""
    ok = _write_notebook(tmp_path / "ok.ipynb", "import sys\nprint(sys.executable)")
    out = execute_notebook(ok, tmp_path).cells[0].outputs
    assert out[0]["text"].strip() == sys.executable

    bad = _write_notebook(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('notebook cell failed')")
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="notebook cell failed"):
        execute_notebook(bad, tmp_path)
