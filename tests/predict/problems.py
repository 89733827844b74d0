"""Small fixed problems for the `widenets.predict` tests (kernels from `widenets.stax`)."""
from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=None)
def relu_problem(n_train: int = 12, n_test: int = 5, k: int = 3, seed: int = 0) -> dict:
    """A 3-layer ReLU network's NNGP/NTK on random inputs, float64 numpy arrays (the shapes of
    the golden data, so that compiled computations are shared with the parity test).

    Keys: x, xt, y, f0, f0t, and nngp_dd, ntk_dd, nngp_td, ntk_td, nngp_tt, ntk_tt;
    ``kernel_fn`` is the widenets.stax kernel function.
    """
    import jax.numpy as jnp

    from widenets import stax

    rng = np.random.default_rng(seed)
    _, _, kernel_fn = stax.serial(
        stax.Dense(256, W_std=1.5, b_std=0.1), stax.Relu(),
        stax.Dense(256, W_std=1.5, b_std=0.1), stax.Relu(),
        stax.Dense(k, W_std=1.5, b_std=0.1),
    )
    x = rng.standard_normal((n_train, 4))
    xt = rng.standard_normal((n_test, 4))
    out = {"x": x, "xt": xt, "y": rng.standard_normal((n_train, k)),
           "f0": 0.3 * rng.standard_normal((n_train, k)),
           "f0t": 0.3 * rng.standard_normal((n_test, k)), "kernel_fn": kernel_fn}
    for w, (a, b) in {"dd": (x, None), "td": (xt, x), "tt": (xt, None)}.items():
        kern = kernel_fn(jnp.asarray(a), None if b is None else jnp.asarray(b), get=("nngp", "ntk"))
        out[f"nngp_{w}"] = np.asarray(kern.nngp)
        out[f"ntk_{w}"] = np.asarray(kern.ntk)
    return out


def spd_expm(k: np.ndarray, s: float) -> np.ndarray:
    """exp(−s K) for symmetric K, by scipy's general-purpose `expm` (independent of eigh)."""
    import scipy.linalg

    return scipy.linalg.expm(-s * k)
