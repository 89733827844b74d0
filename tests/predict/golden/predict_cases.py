"""Cases shared by the neural-tangents golden script and the widenets `predict` parity test.

Imports only numpy and the standard library (it must import in the pinned NT env and in the
widenets env); the library under test is passed in. `run_cases(predict, stax, jnp, data)`
makes every call of the golden data with one library and returns the outputs flattened by
`flatten` (``<case>`` → array, with ``.field`` for namedtuple fields and ``[i]`` for tuple
entries), so that comparing the flattened dicts checks values *and* return conventions
(bare array vs tuple vs namedtuple, field names, shapes).

Kernel-level functions (`gradient_descent_mse`, `gp_inference`, `max_learning_rate`) get NT's
kernel matrices from ``data`` in both runs; `gradient_descent_mse_ensemble` gets each
library's own ``stax`` kernel_fn built from `ARCHS`.
"""
from __future__ import annotations

import collections

import numpy as np

SEED = 20261127
N_TRAIN, N_TEST, D_IN, K_OUT = 12, 5, 4, 3

# [layer name, positional args, keyword args]
ARCHS = {
    "relu3": [["Dense", [512], {"W_std": 1.5, "b_std": 0.05}], ["Relu", [], {}],
              ["Dense", [512], {"W_std": 1.5, "b_std": 0.05}], ["Relu", [], {}],
              ["Dense", [K_OUT], {"W_std": 1.5, "b_std": 0.05}]],
    "erf2": [["Dense", [256], {"W_std": 1.2, "b_std": 0.2}], ["Erf", [], {}],
             ["Dense", [K_OUT], {"W_std": 1.0, "b_std": 0.1}]],
}
TIMES = [0.0, 0.5, 3.0, 50.0]
TIMES_2D = [[0.1, 1.0], [10.0, 200.0]]
REGS = {"noreg": (0.0, False), "rel": (1e-3, False), "abs": (1e-2, True)}


def make_inputs() -> dict[str, np.ndarray]:
    """Fixed float64 data: inputs, targets, initial outputs, and the channel covariance A used
    for the untraced (N, N, k, k) kernel K ⊗ A."""
    rng = np.random.default_rng(SEED)
    b = rng.standard_normal((K_OUT, K_OUT))
    return {
        "x_train": rng.standard_normal((N_TRAIN, D_IN)),
        "x_test": rng.standard_normal((N_TEST, D_IN)),
        "y_train": rng.standard_normal((N_TRAIN, K_OUT)),
        "fx_train_0": 0.3 * rng.standard_normal((N_TRAIN, K_OUT)),
        "fx_test_0": 0.3 * rng.standard_normal((N_TEST, K_OUT)),
        "channel_cov": b @ b.T / K_OUT + 0.5 * np.eye(K_OUT),
    }


def build(stax, arch: str):
    return stax.serial(*(getattr(stax, n)(*a, **kw) for n, a, kw in ARCHS[arch]))


def flatten(prefix: str, out) -> dict[str, np.ndarray]:
    if hasattr(out, "_fields"):
        res = {}
        for f in out._fields:
            res.update(flatten(f"{prefix}.{f}", getattr(out, f)))
        return res
    if isinstance(out, (tuple, list)):
        res = {}
        for i, o in enumerate(out):
            res.update(flatten(f"{prefix}[{i}]", o))
        return res
    return {prefix: np.asarray(out)}


def untraced(k: np.ndarray, a: np.ndarray) -> np.ndarray:
    """K ⊗ A in NT's zipped layout: out[i, j, c, d] = K[i, j] A[c, d]."""
    return np.einsum("ij,cd->ijcd", k, a)


def run_cases(predict, stax, jnp, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every golden call; ``data`` holds `make_inputs()` and ``<arch>__<g>_{dd,td,tt}`` kernels."""
    f = lambda name: jnp.asarray(data[name])  # noqa: E731
    y, f0, f0t = f("y_train"), f("fx_train_0"), f("fx_test_0")
    out: dict[str, np.ndarray] = {}
    Kern = collections.namedtuple("Kern", "nngp ntk")
    for arch in ARCHS:
        kern = {w: Kern(f(f"{arch}__nngp_{w}"), f(f"{arch}__ntk_{w}")) for w in ("dd", "td", "tt")}
        # gradient_descent_mse: NTK and NNGP as the training kernel, three regularisers
        for g in ("ntk", "nngp"):
            for reg, (dr, absolute) in REGS.items():
                lr = 0.7 if g == "ntk" else 1.3
                fn = predict.gradient_descent_mse(getattr(kern["dd"], g), y, lr, dr, absolute)
                ktd = getattr(kern["td"], g)
                c = f"gd__{arch}__{g}__{reg}"
                out.update(flatten(f"{c}__times", fn(jnp.asarray(TIMES), f0, f0t, ktd)))
                out.update(flatten(f"{c}__tinf", fn(None, f0, f0t, ktd)))
                if reg == "noreg":
                    out.update(flatten(f"{c}__t2d", fn(jnp.asarray(TIMES_2D), f0, f0t, ktd)))
                    out.update(flatten(f"{c}__scalar_train_only", fn(2.0)))
                    out.update(flatten(f"{c}__test_only", fn(jnp.asarray(TIMES), None, f0t, ktd)))
                    out.update(flatten(f"{c}__tinf_test_only", fn(None, None, f0t, ktd)))
        # untraced kernel (trace_axes=()): K ⊗ A, shape (N, N, k, k)
        a = data["channel_cov"]
        kdd = jnp.asarray(untraced(data[f"{arch}__ntk_dd"], a))
        ktd = jnp.asarray(untraced(data[f"{arch}__ntk_td"], a))
        fn = predict.gradient_descent_mse(kdd, y, 0.7, 1e-3, False, trace_axes=())
        out.update(flatten(f"gd__{arch}__untraced__times", fn(jnp.asarray(TIMES), f0, f0t, ktd)))
        out.update(flatten(f"gd__{arch}__untraced__tinf", fn(None, f0, f0t, ktd)))
        # gp_inference
        for reg in ("noreg", "rel"):
            dr, absolute = REGS[reg]
            fn = predict.gp_inference(kern["dd"], y, dr, absolute)
            c = f"gp__{arch}__{reg}"
            for gname, get in (("none", None), ("nngp", "nngp"), ("ntk", "ntk"),
                               ("ntk_nngp", ("ntk", "nngp")), ("ntkgp", "ntkgp")):
                out.update(flatten(f"{c}__{gname}__cov", fn(get, kern["td"], kern["tt"])))
                out.update(flatten(f"{c}__{gname}__mean", fn(get, kern["td"])))
            out.update(flatten(f"{c}__train_cov", fn(None, None, True)))
            out.update(flatten(f"{c}__train_mean", fn(("nngp",))))
        fn = predict.gp_inference(kern["dd"].nngp, y)
        out.update(flatten(f"gp__{arch}__array__nngp_cov",
                           fn("nngp", kern["td"].nngp, kern["tt"].nngp)))
        # gradient_descent_mse_ensemble with the library's own kernel_fn
        _, _, kernel_fn = build(stax, arch)
        x, xt = f("x_train"), f("x_test")
        for reg in ("noreg", "rel"):
            dr, absolute = REGS[reg]
            fn = predict.gradient_descent_mse_ensemble(kernel_fn, x, y, 0.5, dr, absolute)
            c = f"ens__{arch}__{reg}"
            ts = jnp.asarray(TIMES)
            out.update(flatten(f"{c}__times_cov", fn(ts, xt, None, True)))
            out.update(flatten(f"{c}__tinf_cov", fn(None, xt, None, True)))
            out.update(flatten(f"{c}__nngp_mean", fn(ts, xt, "nngp")))
            out.update(flatten(f"{c}__ntk_t2d_cov", fn(jnp.asarray(TIMES_2D), xt, "ntk", True)))
            out.update(flatten(f"{c}__train_times_cov", fn(ts, None, ("ntk", "nngp"), True)))
            out.update(flatten(f"{c}__train_tinf_cov", fn(None, None, None, True)))
            out.update(flatten(f"{c}__scalar_t", fn(7.0, xt, "ntk", True)))
        # max_learning_rate
        ntk = f(f"{arch}__ntk_dd")
        out[f"lr__{arch}__default"] = np.asarray(predict.max_learning_rate(ntk))
        out[f"lr__{arch}__size"] = np.asarray(predict.max_learning_rate(ntk, int(y.size)))
        out[f"lr__{arch}__momentum"] = np.asarray(predict.max_learning_rate(ntk, int(y.size), 0.9))
        out[f"lr__{arch}__untraced"] = np.asarray(
            predict.max_learning_rate(jnp.asarray(untraced(data[f"{arch}__ntk_dd"], a))))
    return out
