"""What both sides of `bench_kernels.py` share: the architecture and the timing loop.

This module is imported by the widenets side (system JAX) and by `_nt_side.py` inside the
pinned neural-tangents env (JAX 0.4.30), so it uses only numpy and long-stable public JAX
(`jax.jit`, `.lower().compile()`, `jax.block_until_ready`) and never imports either library:
the `stax` module is passed in. One architecture spec, two readings.
"""
from __future__ import annotations

import time
from typing import Any

import jax

#: the fields every benchmark asks for
GET = ("nngp", "ntk")

#: activations the benchmark knows, by the name both libraries give them
ACTIVATIONS = ("relu", "erf")


def build(stax: Any, activation: str, depth: int, width: int, W_std: float, b_std: float):
    """``depth × (Dense(width), act) + Dense(1)`` with NTK parameterization, from ``stax``."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
    act = {"relu": stax.Relu, "erf": stax.Erf}[activation]
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(width, W_std=W_std, b_std=b_std), act()]
    layers.append(stax.Dense(1, W_std=W_std, b_std=b_std))
    return stax.serial(*layers)


def time_kernel_fn(kernel_fn: Any, x1: Any, x2: Any, repeats: int) -> tuple[Any, dict]:
    """Time ``jax.jit(kernel_fn, static_argnames='get')(x1, x2, get=GET)``.

    Returns the last output and a dict of timings in seconds: ``lower_s`` (trace + lower),
    ``compile_s`` (XLA compile), ``first_call_s`` (the warm-up call after compiling),
    ``times_s`` (``repeats`` steady-state calls, each ended by `jax.block_until_ready`) and
    ``min_s``. ``x1``/``x2`` should already be on the device, so no transfer is timed.
    """
    jitted = jax.jit(kernel_fn, static_argnames="get")
    t0 = time.perf_counter()
    lowered = jitted.lower(x1, x2, get=GET)
    t1 = time.perf_counter()
    lowered.compile()
    t2 = time.perf_counter()
    out = jax.block_until_ready(jitted(x1, x2, get=GET))  # warm-up (hits the compile cache)
    t3 = time.perf_counter()
    times = []
    for _ in range(repeats):
        out = None  # free the previous result before the next call allocates its own
        start = time.perf_counter()
        out = jax.block_until_ready(jitted(x1, x2, get=GET))
        times.append(time.perf_counter() - start)
    stats = {
        "lower_s": t1 - t0,
        "compile_s": t2 - t1,
        "first_call_s": t3 - t2,
        "times_s": times,
        "min_s": min(times),
    }
    return out, stats


def jax_info() -> dict:
    """Versions and the default device of the running JAX."""
    import jaxlib  # noqa: PLC0415

    device = jax.devices()[0]
    return {
        "jax": jax.__version__,
        "jaxlib": getattr(jaxlib, "__version__", "?"),
        "backend": jax.default_backend(),
        "device": f"{device.platform}:{getattr(device, 'device_kind', '?')}",
        "device_count": jax.device_count(),
        "x64": bool(jax.config.read("jax_enable_x64")),
    }
