"""Configuration for the dual-activation tests.

Every test here runs with x64 enabled (float64 references, float32 checked explicitly),
strict dtype promotion (mixing float32 and float64 arrays is an error, so a dual that
silently promotes fails) and rank promotion = raise. Set with JAX's public config context
managers for this package only, so other packages' tests are unaffected.
"""
import pytest

from tests.conftest import strict_jax_config


@pytest.fixture(autouse=True, scope="package")
def _strict_jax_config():
    with strict_jax_config():
        yield
