"""What both sides of the widenets-vs-NT benchmarks share: architectures and timing loops.

This module is imported by the widenets side (system JAX) and by the neural-tangents side
(`_nt_side.py`, `bench_conv.py`'s workers) inside the pinned neural-tangents env (JAX 0.4.30),
so it uses only numpy, the standard library and long-stable public JAX (`jax.jit`,
`.lower().compile()`, `jax.block_until_ready`) and never imports either library: the `stax`
module is passed in. One architecture spec, two readings.
"""
from __future__ import annotations

import resource
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


def build_myrtle(stax: Any, spatial: int, groups: tuple[int, ...], width: int, W_std: float, b_std: float):
    """A Myrtle network (Shankar et al. 2020, arXiv:2003.02237) for ``spatial × spatial`` images.

    ``groups[g]`` blocks of ``[Conv(width, (3, 3), padding='SAME'), Relu]`` per group, an
    ``AvgPool((2, 2), strides=(2, 2))`` after each group, further such pools until the image
    is 1 × 1, then ``Flatten, Dense(1)``: a pooling readout, so every layer carries the full
    spatial covariance. ``groups=(2, 1, 1)``, ``(2, 2, 2)``, ``(3, 3, 3)`` are Myrtle-5/7/10.
    """
    if spatial < 2 ** len(groups) or spatial & (spatial - 1):
        raise ValueError(f"spatial={spatial} must be a power of 2 ≥ 2**len(groups) = {2 ** len(groups)}")
    layers = []
    for blocks in groups:
        for _ in range(blocks):
            layers += [stax.Conv(width, (3, 3), padding="SAME", W_std=W_std, b_std=b_std), stax.Relu()]
        layers.append(stax.AvgPool((2, 2), strides=(2, 2)))
        spatial //= 2
    while spatial > 1:
        layers.append(stax.AvgPool((2, 2), strides=(2, 2)))
        spatial //= 2
    layers += [stax.Flatten(), stax.Dense(1, W_std=W_std, b_std=b_std)]
    return stax.serial(*layers)


def build_cnn_flatten(stax: Any, depth: int, width: int, W_std: float, b_std: float):
    """``depth × [Conv(width, (3, 3), padding='SAME'), Relu], Flatten, Dense(1)``.

    A Flatten readout averages the spatial diagonal of the last covariance, so only the
    spatial diagonal is needed at every layer (both libraries infer that from the layers).
    """
    layers = []
    for _ in range(depth):
        layers += [stax.Conv(width, (3, 3), padding="SAME", W_std=W_std, b_std=b_std), stax.Relu()]
    layers += [stax.Flatten(), stax.Dense(1, W_std=W_std, b_std=b_std)]
    return stax.serial(*layers)


def time_calls(call: Any, repeats: int) -> tuple[Any, list[float], list[float]]:
    """Run ``call()`` ``repeats`` times, each ended by `jax.block_until_ready`.

    Returns the last output, the wall-clock seconds of each call and the CPU seconds this
    process used in each (all threads: on a loaded machine the better guide to what the
    call would take alone). The previous output is freed before the next call allocates
    its own.
    """
    out, times, cpu = None, [], []
    for _ in range(repeats):
        out = None
        start, start_cpu = time.perf_counter(), time.process_time()
        out = jax.block_until_ready(call())
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return out, times, cpu


def xla_bytes(compiled: Any) -> int | None:
    """XLA's static memory estimate of a compiled program: argument + output + temp bytes."""
    try:
        mem = compiled.memory_analysis()
        return int(mem.argument_size_in_bytes + mem.output_size_in_bytes + mem.temp_size_in_bytes)
    except Exception:  # noqa: BLE001  (not every backend/version implements it)
        return None


def time_kernel_fn(kernel_fn: Any, x1: Any, x2: Any, repeats: int,
                   max_bytes: float | None = None) -> tuple[Any, dict]:
    """Time ``jax.jit(kernel_fn, static_argnames='get')(x1, x2, get=GET)``.

    Returns the last output and a dict of timings in seconds: ``lower_s`` (trace + lower),
    ``compile_s`` (XLA compile), ``first_call_s`` (the warm-up call after compiling),
    ``times_s`` (``repeats`` steady-state calls, each ended by `jax.block_until_ready`) and
    ``min_s``; ``cpu_times_s``, ``min_cpu_s``: the same in process CPU seconds (see
    `time_calls`); plus ``xla_bytes`` (see `xla_bytes`). ``x1``/``x2`` should already be on the
    device, so no transfer is timed. With ``max_bytes``, a program whose `xla_bytes` exceed it
    is not run: `MemoryError` (a guard for shared machines).
    """
    jitted = jax.jit(kernel_fn, static_argnames="get")
    t0 = time.perf_counter()
    lowered = jitted.lower(x1, x2, get=GET)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    nbytes = xla_bytes(compiled)
    if max_bytes is not None and nbytes is not None and nbytes > max_bytes:
        raise MemoryError(f"XLA needs {nbytes / 2**30:.1f} GiB (arguments + output + temp), more than the "
                          f"{max_bytes / 2**30:.1f} GiB allowed; not run")
    compiled = None
    out = jax.block_until_ready(jitted(x1, x2, get=GET))  # warm-up (hits the compile cache)
    t3 = time.perf_counter()
    out = None  # free the warm-up's result before the timed calls allocate their own
    out, times, cpu = time_calls(lambda: jitted(x1, x2, get=GET), repeats)
    stats = {
        "lower_s": t1 - t0,
        "compile_s": t2 - t1,
        "first_call_s": t3 - t2,
        "times_s": times,
        "min_s": min(times),
        "cpu_times_s": cpu,
        "min_cpu_s": min(cpu),
        "xla_bytes": nbytes,
    }
    return out, stats


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, MiB (``ru_maxrss``: KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
