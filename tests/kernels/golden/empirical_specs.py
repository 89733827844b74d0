"""Networks and cases shared by the neural-tangents empirical-kernel golden script and the
widenets parity test (`tests/kernels/test_nt_empirical_parity.py`).

Importable in both environments (the pinned neural-tangents 0.6.5 env and widenets'): at
module level only numpy and the standard library; the ``jnp`` module is passed in. The
network is written in plain jnp, so both libraries differentiate the same function of the
same numpy parameters.
"""
from __future__ import annotations

import numpy as np

D_IN, WIDTHS, K = 4, (6, 5), 3  # input size, hidden widths, readout channels
N1, N2 = 5, 4


def make_params() -> dict:
    """Fixed float64 parameters: a nested dict with a ``None`` leaf (the absent last bias)."""
    rng = np.random.default_rng(20240601)
    dims = (D_IN,) + WIDTHS + (K,)
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        last = i == len(dims) - 2
        layers.append({"W": rng.standard_normal((a, b)),
                       "b": None if last else 0.3 * rng.standard_normal((b,))})
    return {"layers": layers, "scale": np.array(1.3)}


def make_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.standard_normal((N1, D_IN)), rng.standard_normal((N2, D_IN))


def mlp(jnp):
    """f(params, x): tanh / sin MLP in NTK parameterization, outputs (N, K), examples
    independent (so ``vmap_axes=0`` is valid)."""

    def f(params, x):
        h = x
        layers = params["layers"]
        for i, layer in enumerate(layers):
            h = h @ layer["W"] / np.sqrt(layer["W"].shape[0])
            if layer["b"] is not None:
                h = h + layer["b"][None, :]
            if i < len(layers) - 1:
                h = jnp.tanh(h) if i % 2 == 0 else jnp.sin(h) * params["scale"]
        return h

    return f


def mlp_2x3(jnp):
    """The same network with a readout of 6 reshaped to outputs (N, 2, 3)."""
    base = mlp(jnp)

    def f(params, x):
        out = base(params, x)
        out = jnp.concatenate([out, jnp.cos(out)], axis=-1)
        return out.reshape(x.shape[0], 2, 3)

    return f


NETWORKS = {"mlp": mlp, "mlp_2x3": mlp_2x3}

#: name -> (network, trace_axes, diagonal_axes, vmap_axes, x2 given?)
CASES = {
    "trace_last": ("mlp", (-1,), (), None, True),
    "trace_last_x2none": ("mlp", (-1,), (), None, False),
    "untraced_vmap0": ("mlp", (), (), 0, True),
    "diag_channels": ("mlp", (), (-1,), None, True),
    "diag_batch_same_n": ("mlp", (-1,), (0,), None, "same_n"),
    "multi_axis_vmap": ("mlp_2x3", (1,), (2,), (0, 0, {}), True),
    "multi_axis_untraced": ("mlp_2x3", (), (), None, True),
}


def case_inputs(case: str):
    """(x1, x2) for a case; x2 is None or, for ``same_n``, the first N2 rows of x1 reversed
    padded to N1 rows (diagonal over the batch axis needs N1 == N2)."""
    x1, x2 = make_inputs()
    which = CASES[case][4]
    if which is False:
        return x1, None
    if which == "same_n":
        return x1, np.concatenate([x2, x1[:1] * 0.5])
    return x1, x2
