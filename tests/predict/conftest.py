"""Configuration for the `widenets.predict` theory tests.

x64 on (golden values and identities are float64; float32 checks build float32 arrays
explicitly), strict dtype promotion and rank promotion = raise, as for the other packages that
opt in (see tests/conftest.py).
"""
import pytest

from tests.conftest import strict_jax_config


@pytest.fixture(autouse=True, scope="package")
def _strict_jax_config():
    with strict_jax_config():
        yield
