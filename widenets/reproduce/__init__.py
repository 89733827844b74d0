"""Reproducing the paper's figures: a registry of figure functions and the ``widenets reproduce`` CLI.

A figure module in ``paper_figs/`` registers ``fn(scale, out_dir) -> FigureResult`` with
:func:`register`; the function compares theory with experiment (:class:`Comparison`) and
saves its plot with :func:`save_figure`. See ``paper_figs/README.md``. Long jobs write
their results as they go with :func:`write_json_atomic` / :func:`write_text_atomic`
(write to a temporary file, then rename: a kill never leaves a half-written file).
"""
from ._comparison import Comparison as Comparison
from ._comparison import FigureResult as FigureResult
from ._io import save_figure as save_figure
from ._io import write_json_atomic as write_json_atomic
from ._io import write_text_atomic as write_text_atomic
from .registry import SCALES as SCALES
from .registry import Figure as Figure
from .registry import in_float64 as in_float64
from .registry import register as register
from .registry import registered as registered
