"""Test-suite configuration shared by every package's tests.

- x64 is enabled globally: reference values and tight tolerances are float64; tests that
  check float32 behaviour build float32 arrays explicitly (they stay float32 under x64).
- Rank promotion raises: adding a ``(n,)`` array to an ``(n, 1)`` one is an error rather
  than a silent ``(n, n)`` broadcast. Tests that need broadcasting say so with explicit
  reshapes.
- Dtype promotion is strict: a silent float32/float64 mix is an error, so a library function
  that promotes a float32 input to float64 (or truncates the other way) fails loudly. A test
  of a third-party path that mixes dtypes on purpose (optax's Adam state, say) relaxes it
  locally with ``jax.numpy_dtype_promotion("standard")``.
- Matplotlib uses the non-interactive Agg backend, so figure code runs with no display.
"""
import os

os.environ["MPLBACKEND"] = "Agg"

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")
