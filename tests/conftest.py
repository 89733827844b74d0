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
- ``fast_compile`` (opt in with ``pytestmark = pytest.mark.usefixtures("fast_compile")``):
  the test's programs compile with most XLA optimizations off
  (``jax_disable_most_optimizations``). For modules whose programs are many small networks
  that run in microseconds (the parity and property tests), compilation is the whole cost
  and this cuts it by ~25%; the values are the same to rounding, and every tolerance stays.
- Compiled programs are released when a worker's memory mappings near the kernel's limit
  (`_release_compiled_programs`): each XLA:CPU executable holds ~200 mappings, and a worker
  that compiles a few hundred distinct networks (the parity tests do) otherwise crosses
  ``vm.max_map_count`` (65530 by default), after which XLA's next compile segfaults.
"""
import gc
import os

os.environ["MPLBACKEND"] = "Agg"

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture(scope="module")
def fast_compile():
    """Compile with most XLA optimizations off while one test module runs."""
    previous = jax.config.read("jax_disable_most_optimizations")
    jax.config.update("jax_disable_most_optimizations", True)
    yield
    jax.config.update("jax_disable_most_optimizations", previous)


def _max_mappings() -> int | None:
    """Half this kernel's per-process mapping limit (None where /proc does not tell it)."""
    try:
        with open("/proc/sys/vm/max_map_count") as f:
            return int(f.read()) // 2
    except (OSError, ValueError):
        return None


#: release compiled programs above this many mappings: half the limit, so that one test (the
#: largest compiles a few thousand mappings' worth) cannot cross it
MAX_MAPPINGS = _max_mappings()


def _mapping_count() -> int:
    with open("/proc/self/maps", "rb") as f:
        return f.read().count(b"\n")


@pytest.fixture(autouse=True)
def _release_compiled_programs():
    """After a test, drop JAX's compiled programs (`jax.clear_caches`) if this process holds
    more than `MAX_MAPPINGS` memory mappings (Linux; a no-op elsewhere)."""
    yield
    if MAX_MAPPINGS is not None and _mapping_count() > MAX_MAPPINGS:
        jax.clear_caches()
        gc.collect()
