"""Posterior of the NNGP / NTK / NTKGP Gaussian processes given the training data: `gp_inference`."""
from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_float
from ._inputs import (
    KERNEL_OBJECTS,
    as_array,
    as_kernel,
    canonical_get,
    check_bool,
    is_array,
    kernel_field,
    pack,
    reject_mapping,
)
from ._layout import (
    Layout,
    check_test_kernel,
    check_train_kernel,
    cov_from_2d,
    kernel_to_2d,
    make_layout,
    outputs_from_2d,
    targets_to_2d,
)
from ._moments import test_cov, test_shift, train_cov, train_outputs
from ._solve import Eigh, decompose

Array = jax.Array


class Gaussian(NamedTuple):
    """Mean and covariance of Gaussian outputs (NT's ``predict.Gaussian``).

    Attributes:
      mean: shape of the outputs (time axes first, if any).
      covariance: shape of the corresponding kernel, zipped like NT: (T, T) for outputs
        (T, k) with ``trace_axes=(-1,)``; the covariance of each traced output channel.
    """

    mean: Array
    covariance: Array


class TrainData(NamedTuple):
    """Validated training targets, shared by `gp_inference` and the ensemble."""

    y2: Array  # (M, C)
    layout: Layout
    size: int
    dtype: Any


def train_data(y_train: Any, dtype, trace_axes: Any) -> TrainData:
    y = as_array("y_train", y_train, min_ndim=1).astype(dtype)
    layout = make_layout(trace_axes, y.shape)
    return TrainData(targets_to_2d(y, layout), layout, y.size, dtype)


def first_kernel(k: Any, name: str = "k_train_train") -> Any:
    """NT's rule: an array, else the first non-None of ``k.nngp``, ``k.ntk``."""
    if is_array(k):
        return k
    reject_mapping(name, k, KERNEL_OBJECTS)
    for g in ("nngp", "ntk"):
        if getattr(k, g, None) is not None:
            return getattr(k, g)
    raise TypeError(f"`{name}` must be {KERNEL_OBJECTS}, got {type(k).__name__}.")


def posterior(
    eigs: dict[str, Eigh], s: Array, y2: Array, nngp_dd: Array | None,
    k_td: dict[str, Array] | None, k_tt: dict[str, Array] | None, *, get: tuple[str, ...],
    layout: Layout, lead: tuple[int, ...], test_shape: tuple[int, ...] | None, cov: bool,
) -> dict[str, Any]:
    """Mean (and covariance if ``cov``) per entry of ``get`` at scaled times ``s`` for f0 of mean
    zero, in NT's shapes. ``eigs``: flow kernels by name; ``nngp_dd``: the 2-D NNGP (needed for
    the 'ntk' covariance); ``k_td`` / ``k_tt``: 2-D test kernels by name, ``k_td`` None for the
    training set. 'ntkgp' (He et al. 2020, arXiv:2007.05864) is the GP posterior with the NTK
    as prior."""
    out = {}
    for g in get:
        k = "ntk" if g == "ntkgp" else g
        eig = eigs[k]
        if k_td is None:  # training set
            shape = layout.kernel_shape
            mean = train_outputs(eig, s, y2, jnp.zeros_like(y2))
            if cov:
                c = train_cov(eig, s, nngp_dd if g == "ntk" else None)
        else:
            shape = test_shape
            mean = test_shift(eig, s, k_td[k], y2)
            if cov and g == "ntk":
                c = test_cov(eig, s, k_td["ntk"], k_tt["nngp"], k_td["nngp"], nngp_dd)
            elif cov:
                c = test_cov(eig, s, k_td[k], k_tt[k], None, None)
        mean = outputs_from_2d(mean, lead, shape, layout)
        out[g] = Gaussian(mean, cov_from_2d(c, lead, shape)) if cov else mean
    return out


def gp_inference(
    k_train_train: Any,
    y_train: Any,
    diag_reg: float = 0.0,
    diag_reg_absolute_scale: bool = False,
    trace_axes: Any = (-1,),
) -> Callable[..., Any]:
    r"""Posterior of the NNGP, NTK or NTKGP Gaussian process given (X, y).

    With training kernel K, test-train K_td and test-test kernel K_tt (Rasmussen & Williams
    2006, eqs. 2.23–2.24), ``'nngp'`` is the exact posterior of an infinitely wide Bayesian
    network, μ = 𝒦_td 𝒦⁻¹ y, Σ = 𝒦_tt − 𝒦_td 𝒦⁻¹ 𝒦_dt. ``'ntk'`` is the distribution of an
    infinite ensemble of infinitely wide networks trained to convergence by gradient flow on
    MSE (Lee et al. 2019, arXiv:1902.06720): μ = Θ_td Θ⁻¹ y,
    Σ = 𝒦_tt + Θ_td Θ⁻¹ 𝒦 Θ⁻¹ Θ_dt − (Θ_td Θ⁻¹ 𝒦_dt + h.c.). ``'ntkgp'`` is the GP posterior with
    the NTK as covariance (He et al. 2020, arXiv:2007.05864).

    Inverses are taken through one symmetric eigendecomposition per kernel: the pseudo-inverse
    with eigenvalues ≤ M·eps·λ_max treated as 0 (a singular kernel, e.g. from duplicate
    training inputs, gives the minimum-norm interpolant instead of NaN; NT uses Cholesky).
    Kernels must be symmetric and PSD (eigenvalues below −√eps·max|λ|: ``ValueError``).

    Args:
      k_train_train: an array (used for every ``get``) or an object with ``.nngp`` / ``.ntk``
        arrays (a `widenets.stax.Kernel`, a namedtuple), shaped as in `gradient_descent_mse`.
        The NTK covariance needs both kernels.
      y_train: training targets (N, ...).
      diag_reg, diag_reg_absolute_scale, trace_axes: as in `gradient_descent_mse`.

    Returns:
      ``predict_fn(get=None, k_test_train=None, k_test_test=None)``. ``get``: 'nngp', 'ntk',
      'ntkgp', a tuple of them, or None for ('nngp', 'ntk'). ``k_test_train`` (T, N): test-train
      kernel(s) (array or object with fields, like ``k_train_train``); None gives the training
      set, N(y, 0). ``k_test_test`` (T, T): test-test kernel(s) for the covariance (any non-None
      value, e.g. True, for the training-set covariance); None returns means only. Output per
      ``get`` entry: the mean, or a `Gaussian` (mean, covariance); a bare value for a string
      ``get``, else a ``Gaussians`` namedtuple with the ``get`` entries as fields, as in NT.
    """
    k_first = as_kernel("k_train_train", first_kernel(k_train_train))
    data = train_data(y_train, k_first.dtype, trace_axes)
    diag_reg = check_float("diag_reg", diag_reg, nonnegative=True)
    absolute = check_bool("diag_reg_absolute_scale", diag_reg_absolute_scale)
    dtype, layout = data.dtype, data.layout
    check_train_kernel("k_train_train", k_first, layout)

    @functools.lru_cache(maxsize=2)
    def k_dd(g: str) -> Array:
        k = as_kernel("k_train_train", kernel_field("k_train_train", k_train_train, g), dtype)
        check_train_kernel("k_train_train", k, layout)
        return kernel_to_2d(k)

    @functools.lru_cache(maxsize=2)
    def eigh(g: str) -> Eigh:
        with jax.ensure_compile_time_eval():
            return decompose(f"k_train_train.{g}", k_dd(g), diag_reg, absolute)

    def predict_fn(get: Any = None, k_test_train: Any = None, k_test_test: Any = None) -> Any:
        names, single = canonical_get(get, ("nngp", "ntk", "ntkgp"))
        flows = tuple(dict.fromkeys("ntk" if g == "ntkgp" else g for g in names))
        eigs = {k: eigh(k) for k in flows}
        s = np.full((1,), np.inf, dtype=dtype)
        if k_test_train is None:  # training set: N(y, 0) as in NT (K - K K⁺ K vanishes)
            out = posterior(eigs, s, data.y2, None, None, None, get=names, layout=layout,
                            lead=(), test_shape=None, cov=False)
            if k_test_test is not None:
                m = data.y2.shape[0]
                zeros = cov_from_2d(jnp.zeros((m, m), dtype), (), layout.kernel_shape)
                out = {g: Gaussian(mean, zeros) for g, mean in out.items()}
            return pack(out, names, single)
        cov = k_test_test is not None
        if cov and "ntk" in names and (is_array(k_train_train) or is_array(k_test_train)):
            raise ValueError(
                "The NTK posterior covariance (get containing 'ntk', `k_test_test` given) "
                "needs both NNGP and NTK kernels: pass `k_train_train` and `k_test_train` "
                "as objects with `.nngp` and `.ntk` (e.g. a widenets.stax Kernel)."
            )
        ktd_first = as_kernel("k_test_train", first_kernel(k_test_train, "k_test_train"), dtype)
        check_test_kernel("k_test_train", ktd_first, layout)
        test_shape = tuple(ktd_first.shape[0::2])
        td_names = flows + (("nngp",) if cov and "ntk" in names else ())
        k_td = {}
        for g in dict.fromkeys(td_names):
            k = as_kernel("k_test_train", kernel_field("k_test_train", k_test_train, g), dtype)
            check_test_kernel("k_test_train", k, layout, n_test=test_shape[0])
            k_td[g] = kernel_to_2d(k)
        k_tt = None
        if cov:
            k_tt = {}
            want = tuple(x for d in test_shape for x in (d, d))
            for g in dict.fromkeys("ntk" if g == "ntkgp" else "nngp" for g in names):
                k = as_kernel("k_test_test", kernel_field("k_test_test", k_test_test, g), dtype)
                if k.shape != want:
                    raise ValueError(f"`k_test_test` must have shape {want}, got {k.shape}.")
                k_tt[g] = kernel_to_2d(k)
        nngp_dd = k_dd("nngp") if cov and "ntk" in names else None
        out = posterior(eigs, s, data.y2, nngp_dd, k_td, k_tt, get=names, layout=layout,
                        lead=(), test_shape=test_shape, cov=cov)
        return pack(out, names, single)

    return predict_fn
