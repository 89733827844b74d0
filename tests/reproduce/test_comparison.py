"""`Comparison` tolerance semantics and `register` validation (widenets.reproduce)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from widenets.reproduce import Comparison, FigureResult, register
from widenets.reproduce.registry import collecting


def test_se_tolerance():
    assert Comparison.within_se("q", 1.0, 1.039, stderr=0.01).passed
    assert not Comparison.within_se("q", 1.0, 1.041, stderr=0.01).passed
    c = Comparison.within_se("q", 1.0, 1.0, stderr=0.01, n_se=3)
    assert c.label == "3 SE" and math.isclose(c.bound, 0.03)


def test_rel_and_abs_tolerances():
    assert Comparison.within_rel("q", -2.0, -2.0 * (1 + 5e-7), rtol=1e-6).passed
    assert not Comparison.within_rel("q", -2.0, -2.0 * (1 + 2e-6), rtol=1e-6).passed
    assert Comparison.within_abs("q", 0.0, 1e-9, atol=1e-8).passed
    assert not Comparison.within_abs("q", 0.0, 1e-7, atol=1e-8).passed
    assert Comparison.within_abs("q", 0.0, 0.0, atol=1e-8).label == "abs 1e-08"


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_values_fail(bad):
    assert not Comparison.within_abs("q", bad, bad, atol=1.0).passed
    assert not Comparison.within_se("q", 1.0, 1.0, stderr=bad).passed
    d = Comparison.within_abs("q", 0.0, bad, atol=1.0).to_dict()
    assert d["empirical"] == str(bad) and d["passed"] is False


def test_accepts_numpy_and_jax_scalars():
    import jax.numpy as jnp

    c = Comparison.within_rel("q", jnp.float32(1.5), np.array([1.5]), rtol=1e-6)
    assert c.theory == 1.5 and c.empirical == 1.5 and c.passed


def test_argument_errors_name_the_argument():
    with pytest.raises(ValueError, match="`empirical` must be a scalar"):
        Comparison.within_rel("q", 1.0, np.ones(3), rtol=1e-6)
    with pytest.raises(ValueError, match="needs a `stderr`"):
        Comparison("q", 1.0, 1.0, None, 4.0, "se")
    with pytest.raises(ValueError, match="`kind`"):
        Comparison("q", 1.0, 1.0, None, 4.0, "ratio")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`tolerance`"):
        Comparison.within_abs("q", 1.0, 1.0, atol=-1.0)


def test_figure_result_passes_only_if_all_comparisons_pass():
    ok = Comparison.within_abs("a", 0.0, 0.0, atol=0.0)
    bad = Comparison.within_abs("b", 0.0, 1.0, atol=0.0)
    assert FigureResult([ok]).passed and not FigureResult([ok, bad]).passed


def test_register_validates_names():
    with collecting() as found:
        with pytest.raises(ValueError, match="`name`"):
            register("Has Spaces", "t")
        register("fine_name-2", "t")(lambda scale, out_dir: FigureResult())
        with pytest.raises(ValueError, match="already registered"):
            register("fine_name-2", "t")(lambda scale, out_dir: FigureResult())
    assert list(found) == ["fine_name-2"]
