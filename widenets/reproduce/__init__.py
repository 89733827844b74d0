"""Reproducing the paper's figures: a registry of figure functions and the ``widenets reproduce`` CLI.

A figure module in ``paper_figs/`` registers ``fn(scale, out_dir) -> FigureResult`` with
:func:`register`; the function compares theory with experiment (:class:`Comparison`) and
saves its plot with :func:`save_figure`. See ``paper_figs/README.md``.
"""
from ._comparison import Comparison as Comparison
from ._comparison import FigureResult as FigureResult
from ._io import save_figure as save_figure
from .registry import SCALES as SCALES
from .registry import Figure as Figure
from .registry import in_float64 as in_float64
from .registry import register as register
from .registry import registered as registered
