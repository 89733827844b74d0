"""Finding the ``paper_figs/`` directory and importing its ``fig_*.py`` modules by path."""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import sys
import traceback
import types
from pathlib import Path

from .registry import Figure, collecting

FIGS_DIRNAME = "paper_figs"
MODULE_GLOB = "fig_*.py"


def find_figs_dir(start: Path | None = None) -> Path:
    """Locate ``paper_figs/``: search upward from ``start`` (default: the cwd), then from this package.

    Raises:
      FileNotFoundError: no ancestor of either place contains ``paper_figs/``.
    """
    starts = [Path.cwd() if start is None else Path(start), Path(__file__).resolve().parent]
    for origin in starts:
        origin = origin.resolve()
        for directory in (origin, *origin.parents):
            candidate = directory / FIGS_DIRNAME
            if candidate.is_dir():
                return candidate
    raise FileNotFoundError(
        f"no `{FIGS_DIRNAME}/` directory found above {starts[0]} or above the widenets package; "
        "run from the repository or pass --figs-dir."
    )


@dataclasses.dataclass(frozen=True)
class Discovery:
    """What importing a figures directory found.

    Attributes:
      figs_dir: the directory searched.
      figures: registered figures by name, in module then registration order.
      errors: traceback text for each module that failed to import, keyed by its file name.
    """

    figs_dir: Path
    figures: dict[str, Figure]
    errors: dict[str, str]


def _package_name(figs_dir: Path) -> str:
    digest = hashlib.sha1(str(figs_dir).encode()).hexdigest()[:10]
    return f"_widenets_paper_figs_{digest}"


def _fresh_package(name: str, figs_dir: Path) -> None:
    """(Re)create a package module for ``figs_dir`` so figure modules can use relative imports."""
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]
    init = figs_dir / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(figs_dir)])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    else:
        module = types.ModuleType(name)
        module.__path__ = [str(figs_dir)]
        sys.modules[name] = module


def _import_path(name: str, path: Path) -> None:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def discover(figs_dir: Path) -> Discovery:
    """Import every ``fig_*.py`` in ``figs_dir`` afresh and collect the figures they register.

    A module that raises on import is recorded in :attr:`Discovery.errors` and the others
    are still imported, so one broken figure does not hide the rest.

    Raises:
      FileNotFoundError: ``figs_dir`` is not a directory.
    """
    figs_dir = Path(figs_dir).resolve()
    if not figs_dir.is_dir():
        raise FileNotFoundError(f"--figs-dir: {figs_dir} is not a directory.")
    package = _package_name(figs_dir)
    errors: dict[str, str] = {}
    with collecting() as found:
        try:
            _fresh_package(package, figs_dir)
        except Exception:  # noqa: BLE001
            errors["__init__.py"] = traceback.format_exc()
            sys.modules[package] = types.ModuleType(package)
            sys.modules[package].__path__ = [str(figs_dir)]
        for path in sorted(figs_dir.glob(MODULE_GLOB)):
            try:
                _import_path(f"{package}.{path.stem}", path)
            except Exception:  # noqa: BLE001 - reported per module, see docstring
                errors[path.name] = traceback.format_exc()
    return Discovery(figs_dir=figs_dir, figures=dict(found), errors=errors)
