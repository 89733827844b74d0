"""Configuration for the dual-activation tests.

Every test here runs with x64 enabled (float64 references, float32 checked explicitly),
strict dtype promotion (mixing float32 and float64 arrays is an error, so a dual that
silently promotes fails) and rank promotion = raise. Set with JAX's public config context
managers for this package only, so other packages' tests are unaffected.
"""
import jax
import pytest


@pytest.fixture(autouse=True, scope="package")
def _strict_jax_config():
    with (
        jax.enable_x64(True),
        jax.numpy_dtype_promotion("strict"),
        jax.numpy_rank_promotion("raise"),
    ):
        yield
