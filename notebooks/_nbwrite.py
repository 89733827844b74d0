"""Shared by the notebook builders: write a list of ("md" | "code", source) cells as a notebook
without outputs (the test suite executes it)."""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def write_notebook(cells: list[tuple[str, str]], path: Path) -> None:
    nb = new_notebook(cells=[new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, path)
    print(f"wrote {path}")
