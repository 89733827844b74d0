"""Infinite ensemble of infinitely wide networks trained by gradient flow on MSE:
`gradient_descent_mse_ensemble`."""
from __future__ import annotations

from typing import Any, Callable

import jax
import numpy as np

from .._validation import check_float
from ._gp_inference import posterior, train_data
from ._gradient_descent import scaled_times
from ._inputs import (
    KERNEL_OBJECTS,
    as_kernel,
    canonical_get,
    check_bool,
    is_array,
    pack,
    reject_mapping,
)
from ._layout import check_test_kernel, check_train_kernel, kernel_to_2d
from ._solve import Eigh, decompose

Array = jax.Array


def _needed(get: tuple[str, ...], compute_cov: bool) -> tuple[str, ...]:
    """Kernels to compute: the NNGP for get='nngp' or any covariance, the NTK for get='ntk'."""
    need = ()
    if "nngp" in get or ("ntk" in get and compute_cov):
        need += ("nngp",)
    if "ntk" in get:
        need += ("ntk",)
    return need


def _field(out: Any, g: str, what: str) -> Any:
    reject_mapping(f"kernel_fn(...) for {what}", out, KERNEL_OBJECTS)
    value = getattr(out, g, None)
    if value is None:
        raise ValueError(f"`kernel_fn` returned no {g!r} kernel for {what} (got {type(out).__name__}).")
    return value


def _test_kwargs(train_kwargs: dict, test_kwargs: dict) -> tuple[dict, dict]:
    """NT's merge of keyword arguments for the test-train and test-test kernel calls: test
    values override train ones; a pair of arrays (x1 value, x2 value) becomes (test, train)
    for the test-train call; other values must agree."""
    kw_td, kw_tt = dict(train_kwargs), dict(train_kwargs)
    for name, v_tt in test_kwargs.items():
        v_dd = train_kwargs.get(name)
        pair = lambda v: isinstance(v, tuple) and len(v) == 2 and all(is_array(a) for a in v)  # noqa: E731
        if name in train_kwargs and pair(v_dd) and pair(v_tt):
            kw_td[name] = (v_tt[0], v_dd[0])
        elif name in train_kwargs and not (is_array(v_dd) or is_array(v_tt)) and v_dd != v_tt:
            raise ValueError(
                f"keyword argument `{name}` of `kernel_fn` is {v_dd!r} for the train-train kernel "
                f"and {v_tt!r} for the test kernels; they must agree."
            )
        else:
            kw_td[name] = v_tt
        kw_tt[name] = v_tt
    return kw_td, kw_tt


def gradient_descent_mse_ensemble(
    kernel_fn: Callable[..., Any],
    x_train: Any,
    y_train: Any,
    learning_rate: float = 1.0,
    diag_reg: float = 0.0,
    diag_reg_absolute_scale: bool = False,
    trace_axes: Any = (-1,),
    **kernel_fn_train_train_kwargs: Any,
) -> Callable[..., Any]:
    r"""Mean and covariance of an infinite ensemble of infinitely wide networks trained by
    gradient flow on MSE, at any time t.

    Initial outputs are f0 ~ GP(0, 𝒦) (𝒦 = NNGP). With get='ntk' the networks follow the
    linearised dynamics with the NTK Θ (Lee et al. 2019, arXiv:1902.06720); with get='nngp'
    only the readout layer is trained, i.e. the flow uses 𝒦 (at t = ∞ the exact Bayesian
    posterior, Rasmussen & Williams 2006). With K the flow kernel, s = η t/|y| and
    A_s = K⁻¹(I − e^{−sK}):

        μ_t(x)     = K(x, X) A_s y,
        Σ_t(x, x') = 𝒦(x, x') + K(x, X) A_s 𝒦(X, X) A_s K(X, x') − [K(x, X) A_s 𝒦(X, x') + h.c.],

    which for K = 𝒦 is 𝒦(x, x') − 𝒦(x, X) A_{2s} 𝒦(X, x'); at t = ∞ both equal `gp_inference`.
    On the training set μ_t = (I − e^{−sK}) y and Σ_t = e^{−sK} 𝒦 e^{−sK}. Numerics (one
    eigendecomposition, finite on singular kernels, pseudo-inverse at t = ∞) as in
    `gradient_descent_mse`.

    Args:
      kernel_fn: ``kernel_fn(x1, x2, get, **kwargs)`` returning an object with ``.nngp`` /
        ``.ntk`` for a tuple ``get`` (a `widenets.stax` kernel function, or NT's).
      x_train: training inputs (N, ...).
      y_train: training targets (N, ...).
      learning_rate, diag_reg, diag_reg_absolute_scale, trace_axes: as in
        `gradient_descent_mse`; the regulariser applies to the flow kernel K.
      **kernel_fn_train_train_kwargs: passed to ``kernel_fn`` for the train-train kernel, and
        (unless overridden in ``predict_fn``) for the test kernels.

    Returns:
      ``predict_fn(t=None, x_test=None, get=None, compute_cov=False, **kernel_fn_test_test_kwargs)``:
      ``t`` None (= ∞), a time or an array of times (leading output axes); ``x_test`` None for
      the (unregularised) training set; ``get`` 'nngp', 'ntk', a tuple, or None for both. Per
      entry of ``get``: the mean, or `Gaussian` (mean, covariance) if ``compute_cov``; a bare
      value for a string ``get``, else a ``Gaussians`` namedtuple (NT's convention).

    Differences from neural-tangents 0.6.5: as for `gradient_descent_mse` (no NaN on singular
    kernels); ``get='ntkgp'`` is refused with ``ValueError`` (NT: ``NotImplementedError``).
    """
    if not callable(kernel_fn):
        raise TypeError(f"`kernel_fn` must be callable, got {type(kernel_fn).__name__}.")
    learning_rate = check_float("learning_rate", learning_rate, positive=True)
    diag_reg = check_float("diag_reg", diag_reg, nonnegative=True)
    absolute = check_bool("diag_reg_absolute_scale", diag_reg_absolute_scale)
    reject_mapping("x_train", x_train, "an array of inputs (N, ...)", kernels=False)
    reject_mapping("y_train", y_train, "an array of targets (N, ...)", kernels=False)
    n_train = int(np.shape(x_train)[0]) if np.ndim(x_train) else None
    if n_train is None or np.shape(y_train)[:1] != (n_train,):
        raise ValueError(
            f"`y_train` of shape {np.shape(y_train)} must have one row per training input "
            f"(`x_train` has shape {np.shape(x_train)})."
        )
    k_dd_cache: dict[str, Array] = {}
    eig_cache: dict[str, Eigh] = {}
    state: dict[str, Any] = {}

    def load(need: tuple[str, ...]) -> None:
        """Compute the missing train-train kernels among ``need`` in one ``kernel_fn`` call."""
        missing = tuple(x for x in need if x not in k_dd_cache)
        if not missing:
            return
        with jax.ensure_compile_time_eval():
            out = kernel_fn(x_train, None, missing, **kernel_fn_train_train_kwargs)
            for x in missing:
                name = f"kernel_fn(x_train, None).{x}"
                k = as_kernel(name, _field(out, x, "x_train"))
                if "data" not in state:
                    state["data"] = train_data(y_train, k.dtype, trace_axes)
                k = k.astype(state["data"].dtype)
                check_train_kernel(name, k, state["data"].layout)
                k_dd_cache[x] = kernel_to_2d(k)

    def k_dd(g: str) -> Array:
        load((g,))
        return k_dd_cache[g]

    def eigh(g: str) -> Eigh:
        if g not in eig_cache:
            with jax.ensure_compile_time_eval():
                eig_cache[g] = decompose(f"kernel_fn(x_train, None).{g}", k_dd(g), diag_reg, absolute)
        return eig_cache[g]

    def predict_fn(
        t: Any = None, x_test: Any = None, get: Any = None, compute_cov: bool = False,
        **kernel_fn_test_test_kwargs: Any,
    ) -> Any:
        names, single = canonical_get(get, ("nngp", "ntk"))
        compute_cov = check_bool("compute_cov", compute_cov)
        need = _needed(names, compute_cov)
        load(need)
        data = state["data"]
        s, lead = scaled_times(t, learning_rate, data.size, data.dtype)
        k_td = k_tt = None
        test_shape = None
        if x_test is not None:
            reject_mapping("x_test", x_test, "None or an array of inputs (N_test, ...)", kernels=False)
            kw_td, kw_tt = _test_kwargs(kernel_fn_train_train_kwargs, kernel_fn_test_test_kwargs)
            out_td = kernel_fn(x_test, x_train, need, **kw_td)
            k_td = {}
            for g in need:
                name = f"kernel_fn(x_test, x_train).{g}"
                k = as_kernel(name, _field(out_td, g, "x_test"), data.dtype)
                check_test_kernel(name, k, data.layout)
                test_shape = tuple(k.shape[0::2])
                k_td[g] = kernel_to_2d(k)
            if compute_cov:
                out_tt = kernel_fn(x_test, None, ("nngp",), **kw_tt)
                k = as_kernel("kernel_fn(x_test, None).nngp", _field(out_tt, "nngp", "x_test"), data.dtype)
                k_tt = {"nngp": kernel_to_2d(k)}
        eigs = {g: eigh(g) for g in names}
        nngp_dd = k_dd("nngp") if compute_cov and "ntk" in names else None
        out = posterior(eigs, s, data.y2, nngp_dd, k_td, k_tt, get=names, layout=data.layout,
                        lead=lead, test_shape=test_shape, cov=compute_cov)
        return pack(out, names, single)

    return predict_fn
