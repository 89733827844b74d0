"""The registry of paper figures: a :class:`Figure` record and the :func:`register` decorator.

Each ``paper_figs/fig_*.py`` module registers its figure functions at import time::

    from widenets.reproduce import Comparison, FigureResult, register, save_figure

    @register("kernels_circle", "NNGP/NTK on the circle: theory vs finite width")
    def kernels_circle(scale: str, out_dir: Path) -> FigureResult:
        ...

A figure function takes the scale (``"quick"`` or ``"paper"``) and the directory it should
write into, and returns a :class:`~widenets.reproduce.FigureResult`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ._comparison import FigureResult

FigureFn = Callable[[str, Path], FigureResult]

SCALES: tuple[str, ...] = ("quick", "paper")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


@dataclasses.dataclass(frozen=True)
class Figure:
    """A registered figure.

    Attributes:
      name: unique key, also the name of its output directory (lower case, digits, ``_``, ``-``).
      title: one line shown by ``widenets reproduce --list`` and in the report.
      fn: ``fn(scale, out_dir) -> FigureResult``.
      source: file the figure was defined in.
    """

    name: str
    title: str
    fn: FigureFn
    source: str


# Registrations go to the innermost active dict: the module-level default, or the one a
# `collecting()` block installs while discovery imports the figure modules.
_DEFAULT: dict[str, Figure] = {}
_ACTIVE: list[dict[str, Figure]] = [_DEFAULT]


def register(name: str, title: str) -> Callable[[FigureFn], FigureFn]:
    """Decorator registering ``fn(scale, out_dir) -> FigureResult`` as the figure ``name``.

    Raises:
      ValueError: ``name`` is not a valid directory name, or is already registered.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"register: `name` must be lower case letters, digits, '_' or '-' (it names the output "
            f"directory), got {name!r}."
        )

    def decorator(fn: FigureFn) -> FigureFn:
        if not callable(fn):
            raise ValueError(f"register({name!r}): expected a function, got {fn!r}.")
        source = inspect.getsourcefile(fn) or "<unknown>"
        target = _ACTIVE[-1]
        if name in target:
            raise ValueError(
                f"register: figure name {name!r} is already registered by {target[name].source}; "
                f"it is registered again by {source}."
            )
        target[name] = Figure(name=name, title=title, fn=fn, source=source)
        return fn

    return decorator


def registered() -> dict[str, Figure]:
    """The figures registered outside any :func:`collecting` block (a copy)."""
    return dict(_DEFAULT)


@contextlib.contextmanager
def collecting() -> Iterator[dict[str, Figure]]:
    """Collect the registrations made inside the block into a fresh dict, which it yields."""
    found: dict[str, Figure] = {}
    _ACTIVE.append(found)
    try:
        yield found
    finally:
        # Blocks nest, so ours is the innermost; compare by identity (dicts compare by value).
        if _ACTIVE[-1] is found:
            _ACTIVE.pop()


def in_float64(fn: FigureFn) -> FigureFn:
    """Run a figure function with JAX's x64 mode on.

    ``widenets reproduce`` runs with JAX's default float32; figures whose theory side needs
    float64 (quadratures, cumulants, exact polynomials) wrap themselves with this decorator,
    below ``@register``.
    """
    import functools

    import jax

    @functools.wraps(fn)
    def wrapped(scale: str, out_dir: Path) -> FigureResult:
        with jax.enable_x64(True):
            return fn(scale, out_dir)

    return wrapped
