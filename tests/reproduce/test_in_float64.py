"""`in_float64`: a figure function runs with x64 on, and the caller's setting is restored."""
import jax
import jax.numpy as jnp

from widenets.reproduce import FigureResult, in_float64


def test_in_float64_enables_and_restores_x64(tmp_path):
    seen = {}

    @in_float64
    def fig(scale, out_dir):
        seen["dtype"] = jnp.zeros(1).dtype
        return FigureResult(comparisons=[], artifacts=[])

    with jax.enable_x64(False):
        fig("quick", tmp_path)
        assert jnp.zeros(1).dtype == jnp.float32
    assert seen["dtype"] == jnp.float64
    assert fig.__name__ == "fig"
