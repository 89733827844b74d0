"""Configuration for the empirical-kernel tests.

x64 is on (identities are checked in float64); Monte Carlo runs that are dominated by their
standard error switch it off locally with ``jax.enable_x64(False)`` to draw float32 networks,
which halves their cost. Strict dtype promotion and rank promotion = raise are set for this
package only, so a silent float32/float64 mix or an accidental broadcast fails loudly.

Monte Carlo tests that take more than a few seconds are marked ``slow`` (the project's
marker: still part of the default run); each says where its time goes.
"""
import pytest

from tests.conftest import strict_jax_config


@pytest.fixture(autouse=True, scope="package")
def _strict_jax_config():
    with strict_jax_config():
        yield
