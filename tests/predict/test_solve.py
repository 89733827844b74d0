"""Singular and ill-conditioned training kernels: finite outputs equal to independent closed forms.

* Duplicate training inputs (an exactly singular kernel, targets differing at the duplicates).
  Gradient flow moves duplicate outputs together, so it equals the flow on the distinct inputs
  with kernel K_u M (M = multiplicities) and targets averaged over duplicates:
  f_u(t) = ȳ + exp(−s K_u M)(f0 − ȳ), f_test(t) = f0_test + K_tu K_u⁻¹ (I − exp(−s K_u M))(ȳ − f0)
  (`scipy.linalg.expm`, `numpy.linalg.solve` on the nonsingular K_u); t = ∞: the GP posterior on
  the distinct inputs with averaged targets.
* A synthetic kernel Q diag(λ) Qᵀ with condition number 1e12 (λ ∈ {1, 1e-3, 1e-9, 1e-12}), test
  points = the first 5 training points. float64: the closed form Q diag(…) Qᵀ at every t. float32:
  the eigenvalues 1e-9 and 1e-12 are below float32 resolution and are dropped by the documented
  cutoff, so t = ∞ equals the closed form with the projector on λ ≥ 1e-3.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from widenets.predict import gp_inference, gradient_descent_mse, gradient_descent_mse_ensemble

from .problems import relu_problem, spd_expm

DUPLICATES = {3: 0, 7: 5, 8: 5}  # row -> the row it copies


@pytest.fixture(scope="module")
def dup():
    p = relu_problem()
    x = p["x"].copy()
    for i, j in DUPLICATES.items():
        x[i] = x[j]
    kernel_fn = p["kernel_fn"]
    kdd = kernel_fn(jnp.asarray(x), None, get=("nngp", "ntk"))
    ktd = kernel_fn(jnp.asarray(p["xt"]), jnp.asarray(x), get=("nngp", "ntk"))
    uniq = [i for i in range(len(x)) if i not in DUPLICATES]
    groups = {u: [u] + [i for i, j in DUPLICATES.items() if j == u] for u in uniq}
    ybar = np.stack([p["y"][groups[u]].mean(0) for u in uniq])
    mult = np.array([len(groups[u]) for u in uniq], float)
    f0 = np.sin(x[:, :3])  # a function of x: equal at duplicate inputs
    return dict(x=x, kdd=kdd, ktd=ktd, uniq=uniq, groups=groups, ybar=ybar, mult=mult, f0=f0,
                y=p["y"], f0t=p["f0t"], xt=p["xt"], kernel_fn=kernel_fn)


def _expand(d, fu):
    out = np.zeros((len(d["x"]),) + fu.shape[1:])
    for row, u in enumerate(d["uniq"]):
        out[d["groups"][u]] = fu[row]
    return out


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-8), (np.float32, 2e-4)])
def test_duplicate_inputs(dup, dtype, rtol):
    d, lr = dup, 0.9
    kdd, ktd = np.asarray(d["kdd"].ntk), np.asarray(d["ktd"].ntk)
    assert np.linalg.matrix_rank(kdd) == len(d["uniq"])  # really singular
    c = lambda a: jnp.asarray(a, dtype=dtype)  # noqa: E731
    fn = gradient_descent_mse(c(kdd), c(d["y"]), lr)
    ku = kdd[np.ix_(d["uniq"], d["uniq"])]
    ktu = ktd[:, d["uniq"]]
    f0u = d["f0"][d["uniq"]]
    for t in (0.5, 5.0, 50.0, None):
        train, test = fn(t, c(d["f0"]), c(d["f0t"]), c(ktd))
        assert np.all(np.isfinite(train)) and np.all(np.isfinite(test))
        if t is None:
            e = np.zeros_like(ku)
        else:
            e = spd_expm(ku * d["mult"][None, :], lr * t / d["y"].size)
        want_train = _expand(d, d["ybar"] + e @ (f0u - d["ybar"]))
        want_test = d["f0t"] + ktu @ np.linalg.solve(ku, (np.eye(len(ku)) - e) @ (d["ybar"] - f0u))
        scale = np.abs(want_test).max()
        np.testing.assert_allclose(train, want_train, rtol=rtol, atol=rtol * scale)
        np.testing.assert_allclose(test, want_test, rtol=rtol, atol=rtol * scale)
    if dtype == np.float64:  # t = ∞ is the limit of finite t
        for a, b in zip(fn(None, c(d["f0"]), c(d["f0t"]), c(ktd)), fn(1e8, c(d["f0"]), c(d["f0t"]), c(ktd))):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_duplicate_inputs_gp_and_ensemble(dup):
    d = dup
    ktt_kernel = d["kernel_fn"](jnp.asarray(d["xt"]), None)
    post = gp_inference(d["kdd"], jnp.asarray(d["y"]))("nngp", d["ktd"], ktt_kernel)
    ku = np.asarray(d["kdd"].nngp)[np.ix_(d["uniq"], d["uniq"])]
    ktu = np.asarray(d["ktd"].nngp)[:, d["uniq"]]
    ktt = np.asarray(d["kernel_fn"](jnp.asarray(d["xt"]), None, get="nngp"))
    np.testing.assert_allclose(post.mean, ktu @ np.linalg.solve(ku, d["ybar"]), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(post.covariance, ktt - ktu @ np.linalg.solve(ku, ktu.T), rtol=1e-7, atol=1e-9)
    ens = gradient_descent_mse_ensemble(d["kernel_fn"], jnp.asarray(d["x"]), jnp.asarray(d["y"]))
    out = ens(jnp.asarray([1.0, 10.0, np.inf]), jnp.asarray(d["xt"]), None, True)
    for g in ("nngp", "ntk"):
        assert np.all(np.isfinite(getattr(out, g).mean)) and np.all(np.isfinite(getattr(out, g).covariance))
    np.testing.assert_allclose(out.nngp.mean[2], post.mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(out.nngp.covariance[2], post.covariance, rtol=1e-7, atol=1e-9)


def _synthetic(seed=5, n=12):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.repeat([1.0, 1e-3, 1e-9, 1e-12], n // 4)
    return q, lam, (q * lam) @ q.T, rng.standard_normal((n, 3)), 0.1 * rng.standard_normal((n, 3))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_condition_number_1e12(dtype):
    q, lam, k, y, f0 = _synthetic()
    assert 1e11 < np.linalg.cond(k) < 1e13
    c = lambda a: jnp.asarray(a, dtype=dtype)  # noqa: E731
    fn = gradient_descent_mse(c(k), c(y))
    r = y - f0
    # float32 cannot resolve λ ≤ 1e-9 (eigenvalue noise ~ eps·λ_max), so only times with
    # s·1e-9 ≪ 1 have a float32 answer equal to the exact one.
    times = (1.0, 1e3, 1e6, 1e9) if dtype == np.float64 else (1.0, 1e3)
    tol = 1e-7 if dtype == np.float64 else 1e-4
    for t in times:
        train, test = fn(t, c(f0), c(f0[:5]), c(k[:5]))
        e = np.exp(-t / y.size * lam)
        np.testing.assert_allclose(train, y - (q * e) @ q.T @ r, rtol=0, atol=tol)
        np.testing.assert_allclose(test, f0[:5] + ((q * (1 - e)) @ q.T @ r)[:5], rtol=0, atol=tol)
    train, test = fn(None, c(f0), c(f0[:5]), c(k[:5]))
    assert np.all(np.isfinite(train)) and np.all(np.isfinite(test))
    if dtype == np.float64:  # all eigenvalues resolved: K⁻¹ exact up to cond·eps ≈ 1e-4
        np.testing.assert_array_equal(train, y)
        np.testing.assert_allclose(test, y[:5], rtol=0, atol=1e-3)
        far = fn(1e16 * y.size, c(f0), c(f0[:5]), c(k[:5]))  # s·λ_min = 1e4: converged
        np.testing.assert_allclose(far[1], test, rtol=0, atol=1e-9)
    else:  # documented cutoff: eigenvalues ≤ M·eps·λ_max dropped (here 1e-9 and 1e-12)
        p = q[:, lam > 1e-6] @ q[:, lam > 1e-6].T
        np.testing.assert_allclose(train, y - (np.eye(len(k)) - p) @ r, rtol=0, atol=2e-3)
        np.testing.assert_allclose(test, f0[:5] + (p @ r)[:5], rtol=0, atol=2e-3)
        post = gp_inference(c(k), c(y))("nngp", c(k[:5]), c(k[:5, :5]))
        assert np.all(np.isfinite(post.mean)) and np.all(np.isfinite(post.covariance))
        np.testing.assert_allclose(post.mean, (p @ y)[:5], rtol=0, atol=2e-3)
