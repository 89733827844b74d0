"""`fit_inverse_width`: weighted least squares in powers of 1/n."""
from __future__ import annotations

import numpy as np
import pytest

from widenets.edgeworth.empirical import fit_inverse_width

WIDTHS = np.array([16.0, 32.0, 64.0, 128.0, 256.0])


def test_recovers_exact_coefficients_and_zero_truncation() -> None:
    values = 3.0 / WIDTHS - 7.0 / WIDTHS**2
    fit = fit_inverse_width(WIDTHS, values, np.full(5, 1e-3))
    np.testing.assert_allclose(fit.coef, [3.0, -7.0], rtol=1e-10)
    assert fit.truncation < 1e-9
    assert fit.chi2 < 1e-12


def test_truncation_sees_a_neglected_cubic_term() -> None:
    values = 3.0 / WIDTHS - 7.0 / WIDTHS**2 + 400.0 / WIDTHS**3
    fit = fit_inverse_width(WIDTHS, values, np.full(5, 1e-6))
    # the two-term fit is biased by the cubic term; the next-order refit moves a₁ back to 3
    assert abs(fit.leading - 3.0) > 0.1
    np.testing.assert_allclose(fit.truncation, abs(fit.leading - 3.0), rtol=1e-6)


def test_standard_errors_match_the_spread_of_refits() -> None:
    """The reported SE of a₁ equals the sd of a₁ over noisy replicates (500 of them: the sd is
    known to ±3.2% (1 SE of a sample sd), so a 4-SE band is ±13%)."""
    rng = np.random.default_rng(0)
    se = 0.01 / np.sqrt(WIDTHS / 16)
    truth = 3.0 / WIDTHS - 7.0 / WIDTHS**2
    fits = [fit_inverse_width(WIDTHS, truth + se * rng.standard_normal(5), se) for _ in range(500)]
    spread = np.std([f.leading for f in fits], ddof=1)
    reported = fits[0].leading_stderr
    assert abs(spread / reported - 1) < 4 * (1 / np.sqrt(2 * 499))
    assert abs(np.mean([f.leading for f in fits]) - 3.0) < 4 * reported / np.sqrt(500)


@pytest.mark.parametrize(
    "widths,values,stderr,order,match",
    [
        ([16, 32], [0.1, 0.2, 0.3], [1, 1], 2, "one length"),
        ([16, -32], [0.1, 0.2], [1, 1], 1, "positive"),
        ([16, 32], [0.1, np.nan], [1, 1], 1, "finite"),
        ([16, 32], [0.1, 0.2], [1, 0], 1, "positive"),
        ([16, 16], [0.1, 0.2], [1, 1], 2, "distinct widths"),
        ([16, 32], [0.1, 0.2], [1, 1], 0, "order"),
    ],
)
def test_bad_input_names_the_argument(widths, values, stderr, order, match) -> None:
    with pytest.raises(ValueError, match=match):
        fit_inverse_width(widths, values, stderr, order=order)
