"""One-sided comparisons (`Comparison.at_most` / `at_least`): pass/fail and the report cell."""
import math

import pytest

from widenets.reproduce import Comparison


def test_at_most_and_at_least():
    assert Comparison.at_most("slope", -0.5, -0.9).passed
    assert not Comparison.at_most("slope", -0.5, -0.4).passed
    assert Comparison.at_least("slope", 0.3, 0.31).passed
    assert not Comparison.at_least("slope", 0.3, 0.2).passed
    assert Comparison.at_most("x", 1.0, 1.0).passed  # the limit itself satisfies the claim
    assert Comparison.at_most("slope", -0.5, -0.9).bound == pytest.approx(0.4)
    assert not Comparison.at_most("slope", -0.5, math.nan).passed
    assert not Comparison.at_least("slope", 0.3, math.inf).passed
    d = Comparison.at_least("s", 0.3, 0.5, stderr=0.1).to_dict()
    assert d["kind"] == "lower" and d["label"] == "≥ 0.3" and d["passed"]


def test_report_shows_the_margin():
    from widenets.reproduce._report import _tolerance_cell

    assert "margin" in _tolerance_cell(Comparison.at_most("s", -0.5, -0.9))
    assert _tolerance_cell(Comparison.within_abs("s", 1.0, 1.1, 0.5)).startswith("abs 0.5")
