"""Bad input raises `ValueError` / `TypeError` naming the argument (never NaN)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from widenets.predict import (
    gp_inference,
    gradient_descent_mse,
    gradient_descent_mse_ensemble,
    max_learning_rate,
)

from .problems import relu_problem

P = relu_problem()
K, KTD, Y = jnp.asarray(P["ntk_dd"]), jnp.asarray(P["ntk_td"]), jnp.asarray(P["y"])


def _with(a, i, j, v):
    a = np.array(a)
    a[i, j] = v
    return jnp.asarray(a)


def _indefinite():
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((12, 12)))
    return jnp.asarray((q * np.linspace(-0.1, 1.0, 12)) @ q.T)


CONSTRUCTOR_CASES = {
    "not_square": (dict(k_train_train=K[:, :11]), ValueError, "k_train_train.*square"),
    "rows": (dict(y_train=Y[:11]), ValueError, "y_train"),
    "nan": (dict(k_train_train=_with(K, 2, 3, np.nan)), ValueError, "k_train_train.*non-finite"),
    "inf": (dict(k_train_train=_with(K, 2, 2, np.inf)), ValueError, "k_train_train.*non-finite"),
    "y_nan": (dict(y_train=_with(Y, 0, 0, np.nan)), ValueError, "y_train.*non-finite"),
    "asymmetric": (dict(k_train_train=_with(K, 2, 3, float(K[2, 3]) + 0.1)), ValueError,
                   "k_train_train.*symmetric"),
    "not_psd": (dict(k_train_train=_indefinite()), ValueError, "k_train_train.*positive semi-definite"),
    "lr_zero": (dict(learning_rate=0.0), ValueError, "learning_rate"),
    "lr_negative": (dict(learning_rate=-1.0), ValueError, "learning_rate"),
    "diag_reg": (dict(diag_reg=-1e-3), ValueError, "diag_reg"),
    "abs_flag": (dict(diag_reg_absolute_scale="yes"), TypeError, "diag_reg_absolute_scale"),
    "trace_batch": (dict(trace_axes=(0,)), ValueError, "trace_axes"),
    "trace_range": (dict(trace_axes=(5,)), ValueError, "trace_axes"),
    "untraced_ndim": (dict(trace_axes=()), ValueError, "k_train_train.*4 dimensions"),
    "kernel_object": (dict(k_train_train=type("Kern", (), {"ntk": K, "nngp": K})()), TypeError,
                      "k_train_train.*ntk"),
}


@pytest.mark.parametrize("case", CONSTRUCTOR_CASES)
def test_gradient_descent_mse_constructor(case):
    kwargs, err, match = CONSTRUCTOR_CASES[case]
    args = dict(k_train_train=K, y_train=Y) | kwargs
    with pytest.raises(err, match=match):
        gradient_descent_mse(**args)


def test_rounding_asymmetry_is_accepted():
    k = np.array(P["ntk_dd"])
    k[2, 3] *= 1 + 1e-14
    fn = gradient_descent_mse(jnp.asarray(k), Y)
    ref = gradient_descent_mse(K, Y)
    np.testing.assert_allclose(fn(3.0), ref(3.0), rtol=1e-12)


PREDICT_CASES = {
    "t_negative": (dict(t=-1.0), ValueError, r"`t`"),
    "t_array_negative": (dict(t=jnp.asarray([1.0, -0.5])), ValueError, r"`t`"),
    "t_nan": (dict(t=jnp.asarray([np.nan])), ValueError, r"`t`"),
    "t_string": (dict(t="1"), TypeError, r"`t`"),
    "test_columns": (dict(fx_test_0=0.0, k_test_train=KTD[:, :11]), ValueError, "k_test_train"),
    "no_test_kernel": (dict(fx_test_0=0.0), ValueError, "k_test_train"),
    "nothing": (dict(fx_train_0=None), ValueError, "fx_train_0"),
    "f0_shape": (dict(fx_train_0=jnp.zeros((11, 3))), ValueError, "fx_train_0"),
    "f0t_shape": (dict(fx_test_0=jnp.zeros((4, 3)), k_test_train=KTD), ValueError, "fx_test_0"),
    "test_nan": (dict(fx_test_0=0.0, k_test_train=_with(KTD, 0, 0, np.nan)), ValueError, "k_test_train"),
}


@pytest.mark.parametrize("case", PREDICT_CASES)
def test_gradient_descent_mse_predict(case):
    kwargs, err, match = PREDICT_CASES[case]
    fn = gradient_descent_mse(K, Y)
    with pytest.raises(err, match=match):
        fn(**(dict(t=1.0) | kwargs))


def test_gp_inference_bad_input():
    kern = type("Kern", (), {"nngp": jnp.asarray(P["nngp_dd"]), "ntk": K})()
    with pytest.raises(ValueError, match="y_train"):
        gp_inference(K, Y[:11])
    with pytest.raises(ValueError, match="diag_reg"):
        gp_inference(K, Y, diag_reg=-1.0)
    fn = gp_inference(kern, Y)
    with pytest.raises(ValueError, match="get"):
        fn("nngp_ntk")
    with pytest.raises(ValueError, match="k_test_train"):
        fn("nngp", KTD[:, :11])
    with pytest.raises(ValueError, match="k_test_test"):
        fn("nngp", type("T", (), {"nngp": KTD, "ntk": KTD})(), jnp.zeros((3, 3)))
    with pytest.raises(ValueError, match="nngp.*ntk|NNGP and NTK"):
        gp_inference(K, Y)("ntk", KTD, jnp.asarray(P["nngp_tt"]))
    with pytest.raises(ValueError, match="positive semi-definite"):
        gp_inference(_indefinite(), Y)("nngp", KTD)


def test_ensemble_bad_input():
    x, kernel_fn = jnp.asarray(P["x"]), P["kernel_fn"]
    with pytest.raises(ValueError, match="y_train"):
        gradient_descent_mse_ensemble(kernel_fn, x, Y[:11])
    with pytest.raises(TypeError, match="kernel_fn"):
        gradient_descent_mse_ensemble("relu", x, Y)
    with pytest.raises(ValueError, match="learning_rate"):
        gradient_descent_mse_ensemble(kernel_fn, x, Y, learning_rate=0.0)
    fn = gradient_descent_mse_ensemble(kernel_fn, x, Y)
    with pytest.raises(ValueError, match="get"):
        fn(1.0, None, "ntkgp")
    with pytest.raises(ValueError, match="`t`"):
        fn(-2.0)
    with pytest.raises(TypeError, match="compute_cov"):
        fn(1.0, None, "ntk", "yes")


def test_max_learning_rate_bad_input():
    with pytest.raises(ValueError, match="ntk_train_train.*square"):
        max_learning_rate(K[:, :11])
    with pytest.raises(ValueError, match="ntk_train_train.*non-finite"):
        max_learning_rate(_with(K, 0, 0, np.nan))
    with pytest.raises(ValueError, match="momentum"):
        max_learning_rate(K, momentum=-0.5)
    with pytest.raises(ValueError, match="y_train_size"):
        max_learning_rate(K, y_train_size=0)
    with pytest.raises(ValueError, match="ntk_train_train.*positive eigenvalue"):
        max_learning_rate(jnp.zeros((3, 3)), eps=0.0)


def test_dicts_of_kernels_are_refused_by_name():
    """neural-tangents accepts arrays (and, in gp_inference, objects with `.nngp`/`.ntk`);
    a dict of kernels raises a TypeError naming the argument and what is accepted, instead
    of numpy's "entry not a 2- or 3- tuple"."""
    kern = {"nngp": jnp.asarray(P["nngp_dd"]), "ntk": K}
    with pytest.raises(TypeError, match=r"`k_train_train`.*array.*dict.*\['nngp', 'ntk'\]"):
        gradient_descent_mse(kern, Y)
    with pytest.raises(TypeError, match=r"`k_test_train`.*dict"):
        gradient_descent_mse(K, Y)(1.0, 0.0, 0.0, {"ntk": KTD})
    with pytest.raises(TypeError, match=r"`k_train_train`.*namedtuple.*dict"):
        gp_inference(kern, Y)
    with pytest.raises(TypeError, match=r"`k_test_train`.*namedtuple.*dict"):
        gp_inference(K, Y)("ntk", {"ntk": KTD})
    with pytest.raises(TypeError, match=r"`ntk_train_train`.*dict"):
        max_learning_rate({"ntk": K})
    x = jnp.asarray(P["x"])
    as_dict = lambda x1, x2, get: {"nngp": P["nngp_dd"], "ntk": P["ntk_dd"]}  # noqa: E731
    with pytest.raises(TypeError, match=r"kernel_fn.*dict"):
        gradient_descent_mse_ensemble(as_dict, x, Y)(1.0, None, "ntk")


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda d: gradient_descent_mse(K, d), "y_train"),
        (lambda d: gradient_descent_mse(K, Y)(1.0, d), "fx_train_0"),
        (lambda d: gradient_descent_mse(K, Y)(1.0, 0.0, d, KTD), "fx_test_0"),
        (lambda d: gp_inference(K, d), "y_train"),
        (lambda d: gradient_descent_mse_ensemble(lambda *a: None, d, Y), "x_train"),
        (lambda d: gradient_descent_mse_ensemble(lambda *a: None, jnp.asarray(P["x"]), d), "y_train"),
    ],
    ids=["gd_y", "gd_f0", "gd_f0_test", "gp_y", "ensemble_x", "ensemble_y"],
)
def test_dicts_of_inputs_targets_and_outputs_are_refused_by_name(call, name):
    """Targets, inputs and initial outputs as a dict: a TypeError naming the argument (numpy
    would say "entry not a 2- or 3- tuple")."""
    with pytest.raises(TypeError, match=rf"`{name}` must be .*array.*dict with keys \['a'\]"):
        call({"a": Y})
