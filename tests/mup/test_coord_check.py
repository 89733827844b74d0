"""Coord checks (TP V §D.1): per-layer activation sizes after a few SGD steps against width.

Acceptance: under μP every layer's log-log slope at step 3 has |slope| ≤ 0.15;
under SP the output layer's slope is ≥ 0.3. Same data, learning rate and seeds for both; the
readout starts at zero (TP V's recommendation for μP, used for both parametrizations), so every
output size is the size of what training put there.
"""
import numpy as np
import pytest

from widenets.mup import mlp
from widenets.mup.empirical import coord_check, load_digits_data

WIDTHS = (64, 256, 1024)
LEARNING_RATE = 2.0**-4


@pytest.fixture(scope="module")
def batch():
    x, y = load_digits_data()
    return x[:128], y[:128]


def _check(name, batch):
    x, y = batch
    return coord_check(lambda n: mlp(64, n, 10, name, 64, zero_output=True), WIDTHS, x, y,
                       LEARNING_RATE, steps=3, seeds=(0, 1, 2))


@pytest.mark.slow
def test_mup_coordinates_do_not_grow_with_width(batch):
    cc = _check("mup", batch)
    slopes = cc.slopes(3)
    for layer, (slope, se) in slopes.items():
        assert abs(slope) <= 0.15, f"μP {layer}: slope {slope:+.3f} ± {se:.3f} at step 3"


@pytest.mark.slow
def test_sp_output_grows_with_width(batch):
    cc = _check("sp", batch)
    slope, se = cc.slope("output", 3)
    assert slope >= 0.3, f"SP output slope {slope:+.3f} ± {se:.3f} at step 3"


def test_slope_of_a_known_power_law():
    """The slope estimator on sizes ∝ n^0.5 (exact) and its input checks."""
    from widenets.mup.empirical import CoordCheck

    widths = np.array([64, 128, 256])
    sizes = np.stack([np.sqrt(widths) * c for c in (1.0, 2.0)], axis=1)[:, :, None, None]  # (W, S, 1, 1)
    cc = CoordCheck(widths, np.arange(1), ("h",), sizes)
    slope, se = cc.slope("h", 0)
    assert slope == pytest.approx(0.5, abs=1e-12) and se == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="layer"):
        cc.slope("nope", 0)
    with pytest.raises(ValueError, match="step"):
        cc.slope("h", 5)


def test_bad_input(batch):
    x, y = batch
    make = lambda n: mlp(64, n, 10, "mup", 64)  # noqa: E731
    with pytest.raises(ValueError, match="widths"):
        coord_check(make, [64, 64], x, y, 0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        coord_check(make, [64, 128], x, y, -0.1)
    with pytest.raises(ValueError, match="seeds"):
        coord_check(make, [64, 128], x, y, 0.1, seeds=())
