"""Theory-versus-empirical comparisons and the result a figure function returns.

A :class:`Comparison` records one quantity predicted by theory and measured empirically,
with the tolerance it must meet. These kinds of tolerance are supported:

- ``"se"``: Monte-Carlo agreement, ``|theory - empirical| <= k * stderr`` (label ``"4 SE"``);
- ``"rel"``: ``|theory - empirical| <= rtol * |theory|`` (label ``"rel 1e-06"``);
- ``"abs"``: ``|theory - empirical| <= atol`` (label ``"abs 1e-08"``);
- ``"upper"`` / ``"lower"``: one-sided claims, ``empirical <= theory`` / ``empirical >= theory``
  where ``theory`` is the claimed limit (e.g. "the fitted slope is at most −0.5").

A non-finite theory, empirical value or bound always fails.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np

ToleranceKind = Literal["se", "rel", "abs", "upper", "lower"]
_KINDS: tuple[str, ...] = ("se", "rel", "abs", "upper", "lower")


def _as_float(name: str, value: Any) -> float:
    """Convert a Python/NumPy/JAX scalar (or size-1 array) to ``float``, naming ``name`` on failure."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"Comparison: `{name}` must be a scalar, got an array of shape {arr.shape}.")
    try:
        return float(arr.reshape(()))
    except (TypeError, ValueError) as err:
        raise ValueError(f"Comparison: `{name}` must be a real number, got {value!r}.") from err


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One quantity, its theoretical and empirical values, and the tolerance between them.

    Build one with :meth:`within_se`, :meth:`within_rel` or :meth:`within_abs` rather than
    the constructor; they convert JAX/NumPy scalars and check the arguments.

    Attributes:
      quantity: what is compared, e.g. ``"NNGP K(x, x'), depth 3"``.
      theory: the value the theory predicts.
      empirical: the measured value (Monte Carlo, finite network, ...).
      stderr: standard error of ``empirical`` if known, else ``None``.
      tolerance: ``k`` for ``"se"``, ``rtol`` for ``"rel"``, ``atol`` for ``"abs"``.
      kind: one of ``"se"``, ``"rel"``, ``"abs"``.
    """

    quantity: str
    theory: float
    empirical: float
    stderr: float | None
    tolerance: float
    kind: ToleranceKind

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"Comparison: `kind` must be one of {_KINDS}, got {self.kind!r}.")
        if not self.tolerance >= 0:
            raise ValueError(f"Comparison({self.quantity!r}): `tolerance` must be >= 0, got {self.tolerance!r}.")
        if self.kind == "se" and self.stderr is None:
            raise ValueError(f"Comparison({self.quantity!r}): kind 'se' needs a `stderr`.")
        # A NaN/inf stderr is a measured outcome (recorded, and the comparison fails), not a misuse.
        if self.stderr is not None and self.stderr < 0:
            raise ValueError(f"Comparison({self.quantity!r}): `stderr` must be >= 0, got {self.stderr!r}.")

    @classmethod
    def within_se(cls, quantity: str, theory: Any, empirical: Any, stderr: Any, n_se: float = 4.0) -> Comparison:
        """Pass when ``|theory - empirical| <= n_se * stderr`` (Monte-Carlo agreement)."""
        return cls(quantity, _as_float("theory", theory), _as_float("empirical", empirical),
                   _as_float("stderr", stderr), float(n_se), "se")

    @classmethod
    def within_rel(cls, quantity: str, theory: Any, empirical: Any, rtol: float,
                   stderr: Any | None = None) -> Comparison:
        """Pass when ``|theory - empirical| <= rtol * |theory|``."""
        se = None if stderr is None else _as_float("stderr", stderr)
        return cls(quantity, _as_float("theory", theory), _as_float("empirical", empirical), se, float(rtol), "rel")

    @classmethod
    def within_abs(cls, quantity: str, theory: Any, empirical: Any, atol: float,
                   stderr: Any | None = None) -> Comparison:
        """Pass when ``|theory - empirical| <= atol``."""
        se = None if stderr is None else _as_float("stderr", stderr)
        return cls(quantity, _as_float("theory", theory), _as_float("empirical", empirical), se, float(atol), "abs")

    @classmethod
    def at_most(cls, quantity: str, limit: Any, empirical: Any, stderr: Any | None = None) -> Comparison:
        """Pass when ``empirical <= limit`` (a one-sided claim; ``limit`` is stored as theory)."""
        se = None if stderr is None else _as_float("stderr", stderr)
        return cls(quantity, _as_float("limit", limit), _as_float("empirical", empirical), se, 0.0, "upper")

    @classmethod
    def at_least(cls, quantity: str, limit: Any, empirical: Any, stderr: Any | None = None) -> Comparison:
        """Pass when ``empirical >= limit`` (a one-sided claim; ``limit`` is stored as theory)."""
        se = None if stderr is None else _as_float("stderr", stderr)
        return cls(quantity, _as_float("limit", limit), _as_float("empirical", empirical), se, 0.0, "lower")

    @property
    def abs_diff(self) -> float:
        """``|theory - empirical|``."""
        return abs(self.theory - self.empirical)

    @property
    def bound(self) -> float:
        """The largest ``|theory - empirical|`` that passes."""
        if self.kind == "se":
            assert self.stderr is not None
            return self.tolerance * self.stderr
        if self.kind == "rel":
            return self.tolerance * abs(self.theory)
        if self.kind in ("upper", "lower"):  # the distance by which the claim holds or fails
            return self.theory - self.empirical if self.kind == "upper" else self.empirical - self.theory
        return self.tolerance

    @property
    def label(self) -> str:
        """Human-readable tolerance, e.g. ``"4 SE"`` or ``"rel 1e-06"``."""
        if self.kind == "se":
            return f"{self.tolerance:g} SE"
        if self.kind in ("upper", "lower"):
            return f"{'≤' if self.kind == 'upper' else '≥'} {self.theory:g}"
        return f"{self.kind} {self.tolerance:g}"

    @property
    def passed(self) -> bool:
        """Whether the comparison meets its tolerance (never, if anything is non-finite)."""
        values = (self.theory, self.empirical, self.bound)
        if not all(math.isfinite(v) for v in values):
            return False
        if self.kind in ("upper", "lower"):
            return self.bound >= 0
        return self.abs_diff <= self.bound

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite floats become the strings ``"nan"``, ``"inf"``, ``"-inf"``)."""
        return {
            "quantity": self.quantity,
            "theory": _json_float(self.theory),
            "empirical": _json_float(self.empirical),
            "stderr": None if self.stderr is None else _json_float(self.stderr),
            "abs_diff": _json_float(self.abs_diff),
            "tolerance": self.tolerance,
            "kind": self.kind,
            "label": self.label,
            "bound": _json_float(self.bound),
            "passed": self.passed,
        }


def _json_float(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


@dataclasses.dataclass(frozen=True)
class FigureResult:
    """What a figure function returns: its comparisons and the plot files it wrote.

    Attributes:
      comparisons: theory-vs-empirical checks; the figure passes when all of them pass.
      artifacts: paths of the files written (normally one PNG and one PDF, see
        :func:`widenets.reproduce.save_figure`).
      notes: optional free text shown in the JSON record.
    """

    comparisons: list[Comparison] = dataclasses.field(default_factory=list)
    artifacts: list[Path] = dataclasses.field(default_factory=list)
    notes: str = ""

    @property
    def passed(self) -> bool:
        """True when every comparison passed."""
        return all(c.passed for c in self.comparisons)
