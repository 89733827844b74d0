"""Π-Net (CCP) kernels: theory vs random finite networks, identities, spectrum, bad input.

References each assertion compares against:
* Monte Carlo over random finite Π-Nets (forward passes for the NNGP, `empirical_ntk_fn` for
  the NTK); for raw inputs both finite-width kernels are unbiased at every width (the hidden
  units are i.i.d. and C is independent of them), so the tolerance is 4 computed standard
  errors of the ensemble mean, entry-wise (fixed seeds);
* the width scaling: Θ_m − Θ is a mean of m i.i.d. per-unit terms, so E(Θ_m − Θ)² = V/m
  exactly and the RMS deviation has slope −1/2 in log m; the fitted slope must be within 4 of
  its standard errors (weighted least squares, delta-method SE per width);
* `stax.serial` of Dense/Relu layers for degree 1 (exact, ≤ 1e−14);
* numpy polynomial algebra for σ_C² s (1+s)^{N−1} and the NTK polynomial;
* the Funk–Hecke spectra of `widenets.spectral._funk_hecke` for the spectral comparison with
  ReLU MLPs (Choraria et al. 2022, arXiv:2202.13473).
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import polynomial as P

from widenets import duals, stax
from widenets.kernels.empirical import empirical_ntk_fn
from widenets.spectral._pinet import PiNet, pinet_kernel

N_SE = 4.0  # tolerance in computed standard errors
D_IN = 5
U_STD, C_STD = 1.2, 0.9


def _inputs() -> jax.Array:
    """Four inputs in R^5, rows 0 and 1 strongly correlated; Gram diagonals are x = x'."""
    x = jax.random.normal(jax.random.key(1), (4, D_IN))
    return x.at[1].set(0.9 * x[0] + 0.3 * x[1])


def _mean_se(samples: jax.Array) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(samples)
    return s.mean(0), s.std(0, ddof=1) / math.sqrt(s.shape[0])


def _ntk_ensemble(layer, x: jax.Array, key: jax.Array, n_nets: int) -> jax.Array:
    """Empirical NTKs (n_nets, N, N) of independently initialised finite networks."""
    init_fn, apply_fn, _ = layer
    ntk_fn = empirical_ntk_fn(apply_fn)

    def one(k):
        return ntk_fn(x, None, init_fn(k, x.shape)[1])

    return jax.jit(jax.vmap(one))(jax.random.split(key, n_nets))


def _pinet_ensemble(
    layer, x: jax.Array, key: jax.Array, n_nets: int, nngp_channels: int
) -> tuple[jax.Array, jax.Array]:
    """Per-network NNGP estimates and empirical NTKs, each (n_nets, N, N), of independent
    finite Π-Nets (one compilation for both). The NNGP estimate f fᵀ/O of a network uses the
    same U_n with a fresh readout C of O = ``nngp_channels`` outputs (a forward pass; the
    channel average removes most of the χ² noise of a few outputs at no Jacobian cost)."""
    init_fn, apply_fn, _ = layer
    ntk_fn = empirical_ntk_fn(apply_fn)

    def one(k):
        params = init_fn(k, x.shape)[1]
        wide_c = jax.random.normal(jax.random.fold_in(k, 1), (params["C"].shape[0], nngp_channels))
        f = apply_fn({**params, "C": wide_c}, x)
        return f @ f.T / nngp_channels, ntk_fn(x, None, params)

    return jax.jit(jax.vmap(one))(jax.random.split(key, n_nets))


CONFIGS = [(v, n) for v in ("ccp", "relu") for n in (2, 3, 4)]
WIDTH, OUT_DIM, N_NETS, NNGP_CHANNELS = 512, 2, 64, 256


@functools.cache
def _monte_carlo(variant: str, degree: int):
    """Analytic kernels and ensemble (mean, SE) of NNGP and NTK for one configuration."""
    x = _inputs()
    b_std = 0.3 if degree == 3 else None  # one bias configuration per variant
    layer = PiNet(degree, WIDTH, OUT_DIM, U_STD, C_STD, variant=variant, b_std=b_std)
    analytic = layer.kernel_fn(x, None, get=("nngp", "ntk"))
    nngps, ntks = _pinet_ensemble(layer, x, jax.random.key(10 + degree), N_NETS, NNGP_CHANNELS)
    return analytic, _mean_se(nngps), _mean_se(ntks)


# ------------------------------------------------------------------ 1. Monte Carlo


@pytest.mark.parametrize("variant,degree", CONFIGS)
def test_kernels_match_monte_carlo(variant: str, degree: int) -> None:
    """64 networks of width 512 (degree 3 with biases σ_b = 0.3); measured max |z| over the 10
    distinct entries ≤ 3.4 (NNGP) and ≤ 2.9 (NTK) across the six configurations."""
    analytic, (nngp, nngp_se), (ntk, ntk_se) = _monte_carlo(variant, degree)
    z_nngp = (nngp - np.asarray(analytic.nngp)) / nngp_se
    z_ntk = (ntk - np.asarray(analytic.ntk)) / ntk_se
    assert np.all(np.abs(z_nngp) < N_SE), f"NNGP: max |z| = {np.abs(z_nngp).max():.2f}"
    assert np.all(np.abs(z_ntk) < N_SE), f"NTK: max |z| = {np.abs(z_ntk).max():.2f}"
    # the test has power: the diagonals are resolved to a few per cent
    assert np.all(np.diag(nngp_se) < 0.1 * np.diag(analytic.nngp))
    assert np.all(np.diag(ntk_se) < 0.05 * np.diag(analytic.ntk))


@pytest.mark.parametrize("degree", [3, 4])
def test_relu_variant_needs_the_mean_terms(degree: int) -> None:
    """The independent-branch (FanInSum-style) value σ_C² T (1+T)^{N−1}, which drops the
    E[relu] cross terms, is rejected by the same Monte Carlo that accepts the exact kernel."""
    _, (nngp, nngp_se), _ = _monte_carlo("relu", degree)
    b_var = 0.3**2 if degree == 3 else 0.0
    x = _inputs()
    s = U_STD**2 * (x @ x.T) / D_IN + b_var
    q = jnp.diagonal(s)
    t = duals.relu().nngp(q[:, None], q[None, :], s)
    naive = np.asarray(C_STD**2 * t * (1 + t) ** (degree - 1))
    assert np.max(np.abs(nngp - naive) / nngp_se) > 2 * N_SE


def test_after_dense_relu_matches_monte_carlo() -> None:
    """Any input kernel is accepted: Dense → Relu → Π-Net against empirical NTKs. The finite-
    width bias is O(1/m) here (the Π-Net's input is itself random); at m = 256 it is below the
    SE (measured: max |z| = 2.4 over the 10 entries)."""
    x = _inputs()
    layer = stax.serial(stax.Dense(256, W_std=1.1, b_std=0.5), stax.Relu(), PiNet(3, 256))
    analytic = layer.kernel_fn(x, None, get=("nngp", "ntk"))
    mean, se = _mean_se(_ntk_ensemble(layer, x, jax.random.key(7), 32))
    z = (mean - np.asarray(analytic.ntk)) / se
    assert np.all(np.abs(z) < N_SE), f"max |z| = {np.abs(z).max():.2f}"


def test_ntk_deviation_shrinks_as_inverse_sqrt_width() -> None:
    """RMS_m = (E(Θ_m − Θ)²)^{1/2} ∝ m^{−1/2} (RMS, not mean |·|, because E(Θ_m − Θ)² = V/m is
    exact at every m while E|Θ_m − Θ| reaches ∝ m^{−1/2} only as the CLT sets in)."""
    x = _inputs()[:2]
    widths = np.array([32, 256, 2048])
    n_nets = 48
    layer = PiNet(3, 8, U_std=U_STD, C_std=C_STD, variant="relu")
    analytic = np.asarray(layer.kernel_fn(x, None, get="ntk"))
    rows, cols = np.triu_indices(2)
    log_rms, log_se = [], []
    for i, m in enumerate(widths):
        layer = PiNet(3, int(m), U_std=U_STD, C_std=C_STD, variant="relu")
        ntks = np.asarray(_ntk_ensemble(layer, x, jax.random.key(1000 + i), n_nets))
        sq = ((ntks - analytic) ** 2)[:, rows, cols].mean(1)
        mse, mse_se = sq.mean(), sq.std(ddof=1) / math.sqrt(n_nets)
        log_rms.append(0.5 * math.log(mse))
        log_se.append(0.5 * mse_se / mse)  # delta method
    w = 1 / np.square(log_se)
    xs = np.log(widths)
    xbar = np.sum(w * xs) / np.sum(w)
    slope = np.sum(w * (xs - xbar) * np.asarray(log_rms)) / np.sum(w * (xs - xbar) ** 2)
    slope_se = 1 / math.sqrt(np.sum(w * (xs - xbar) ** 2))
    assert abs(slope + 0.5) < N_SE * slope_se, f"slope {slope:.3f} ± {slope_se:.3f}"
    assert slope_se < 0.1  # the fit resolves the exponent


# ------------------------------------------------------------------ 2. identities


@pytest.mark.parametrize("variant", ["ccp", "relu"])
@pytest.mark.parametrize("before", [(), (stax.Dense(16, b_std=0.3), stax.Relu())])
def test_degree_one_is_a_two_layer_network(variant: str, before: tuple) -> None:
    x = _inputs()
    act = (stax.Relu(),) if variant == "relu" else ()
    pinet = PiNet(1, 16, U_std=U_STD, C_std=C_STD, variant=variant, b_std=0.4)
    mlp = stax.serial(stax.Dense(16, W_std=U_STD, b_std=0.4), *act, stax.Dense(1, W_std=C_STD))
    got = stax.serial(*before, pinet).kernel_fn(x, None, get=("nngp", "ntk"))
    want = stax.serial(*before, mlp).kernel_fn(x, None, get=("nngp", "ntk"))
    np.testing.assert_allclose(got.nngp, want.nngp, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(got.ntk, want.ntk, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("degree", [1, 2, 3, 4, 5])
def test_ccp_kernels_are_degree_n_polynomials(degree: int) -> None:
    """NNGP(t) = σ_C² s(1+s)^{N−1} and NTK(t) = σ_C² s(1+s)^{N−2}(2(1+s) + (N−1)s) with
    s = σ_U² t, expanded by numpy's polynomial algebra, against the layer on inputs with
    x·x'/d = t (same norms); a least-squares fit of degree N + 2 has zero top coefficients."""
    d = 2
    t = np.linspace(-0.9, 0.9, 9)
    x1 = np.array([[math.sqrt(d), 0.0]])
    x2 = math.sqrt(d) * np.stack([t, np.sqrt(1 - t**2)], axis=1)
    got = pinet_kernel(x1, x2, degree, U_std=U_STD, C_std=C_STD)
    s = np.array([0.0, U_STD**2])
    one_s = P.polyadd([1.0], s)
    nngp = C_STD**2 * P.polymul(s, P.polypow(one_s, degree - 1))
    grads = P.polypow(one_s, degree - 1)
    if degree > 1:
        grads = P.polyadd(grads, (degree - 1) * P.polymul(s, P.polypow(one_s, degree - 2)))
    ntk = P.polyadd(nngp, C_STD**2 * P.polymul(s, grads))
    np.testing.assert_allclose(np.asarray(got.nngp)[0], P.polyval(t, nngp), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(np.asarray(got.ntk)[0], P.polyval(t, ntk), rtol=1e-13, atol=1e-14)
    fit = P.polyfit(t, np.asarray(got.ntk)[0], degree + 2)
    np.testing.assert_allclose(fit[degree + 1 :], 0.0, atol=1e-9)


def test_diagonal_fields_and_kernel_record() -> None:
    x = _inputs()
    k = PiNet(3, 8, out_dim=2, U_std=U_STD, C_std=C_STD, variant="relu").kernel_fn(x, x)
    np.testing.assert_allclose(k.cov1, np.diagonal(k.nngp), rtol=1e-13)
    np.testing.assert_allclose(k.cov2, np.diagonal(k.nngp), rtol=1e-13)
    assert k.shape1 == (x.shape[0], 2) and k.is_gaussian
    assert np.all(np.linalg.eigvalsh(np.asarray(k.ntk)) > -1e-12)


# ------------------------------------------------------------------ 3. spectrum


@functools.cache
def _mass_fractions(name: str, degree: int, radius2: float = 3.0) -> np.ndarray:
    """[mass at k ≥ 2, mass at k ≥ 3, mass at k > degree] of the NTK on S² (d = 3), normalised
    to κ(1) = 1, for inputs of squared norm ``radius2``; the default 3 = d makes the input
    kernel x·x'/d equal to the cosine t (unit variance, the neural-tangents convention)."""
    fh = pytest.importorskip("widenets.spectral._funk_hecke")
    from widenets.spectral._sphere import multiplicity

    d, k_max = 3, 40
    relu_block = (stax.Dense(8, W_std=math.sqrt(2)), stax.Relu())
    layers = {
        "ccp": PiNet(degree, 8),
        "relu": PiNet(degree, 8, variant="relu"),
        "mlp1": stax.serial(*relu_block, stax.Dense(1)),
        "mlpN": stax.serial(*(relu_block * degree), stax.Dense(1)),
    }
    kappa = fh.dot_product_kernel(layers[name].kernel_fn, d, "ntk", radius=math.sqrt(radius2))
    k1 = float(kappa(np.array([1.0]))[0])
    mu = fh.funk_hecke_eigenvalues(lambda t: kappa(t) / k1, d, k_max)
    mass = np.asarray(multiplicity(d, np.arange(k_max + 1))) * mu
    # total mass is κ(1) = 1 exactly; the tail above k_max belongs to every "k ≥ K" fraction
    return np.array([1 - mass[:2].sum(), 1 - mass[:3].sum(), 1 - mass[: degree + 1].sum()])


@pytest.mark.parametrize("degree", [2, 3, 4])
def test_spectral_mass_pinet_vs_relu_mlp(degree: int) -> None:
    """Choraria et al. (2022) in the form that holds, NTKs on S² with input kernel t (d = 3):

    * the CCP NTK is a polynomial of degree N in t: its mass above degree N is exactly 0;
    * within k ≤ N it shifts mass up: more mass on k ≥ 2 than a bias-free ReLU MLP with one
      hidden layer or with N hidden layers (the same number of weight matrices, N + 1);
    * on k ≥ 3 (N ≥ 3) it beats the one-hidden-layer MLP but NOT the N-hidden-layer MLP, whose
      composed arc-cosine kernels keep a slowly decaying tail;
    * the ReLU variant has mass at every degree, more on k ≥ 2 and k ≥ 3 than the shallow MLP;
    * the high-frequency share grows with the degree N.
    Measured (k ≥ 2 / k ≥ 3): N = 3: CCP 0.467/0.133, ReLU variant 0.370/0.132, MLP(1 hidden)
    0.250/0.055, MLP(3 hidden) 0.365/0.201.
    """
    ccp, relu = _mass_fractions("ccp", degree), _mass_fractions("relu", degree)
    mlp1, mlpN = _mass_fractions("mlp1", degree), _mass_fractions("mlpN", degree)
    assert abs(ccp[2]) < 1e-12  # polynomial of degree N: nothing above N
    assert ccp[0] > mlpN[0] > mlp1[0]
    assert relu[2] > 1e-3  # the ReLU variant is not a polynomial
    assert relu[0] > mlp1[0] and relu[1] > mlp1[1]
    if degree >= 3:
        assert mlp1[1] < ccp[1] < mlpN[1]
    if degree > 2:
        assert ccp[0] > _mass_fractions("ccp", degree - 1)[0]
        assert ccp[1] > _mass_fractions("ccp", degree - 1)[1]
        assert relu[0] > _mass_fractions("relu", degree - 1)[0]


def test_spectral_shift_depends_on_the_input_scale() -> None:
    """The CCP kernel is not homogeneous: with unit-norm inputs (input kernel t/3, so
    s = t/3 weights the high powers of t less) the degree-2 CCP NTK has *less* mass on k ≥ 2
    than the one-hidden-layer ReLU MLP (which is scale-free), the opposite of the t-scaled case."""
    assert _mass_fractions("ccp", 2, radius2=1.0)[0] < _mass_fractions("mlp1", 2, radius2=1.0)[0]
    assert _mass_fractions("ccp", 2)[0] > _mass_fractions("mlp1", 2)[0]


# ------------------------------------------------------------------ 4. bad input


@pytest.mark.parametrize(
    "kwargs,exc,name",
    [
        (dict(degree=0, width=8), ValueError, "degree"),
        (dict(degree=2.0, width=8), TypeError, "degree"),
        (dict(degree=2, width=0), ValueError, "width"),
        (dict(degree=2, width=8, out_dim=0), ValueError, "out_dim"),
        (dict(degree=2, width=8, variant="tanh"), ValueError, "variant"),
        (dict(degree=2, width=8, U_std=-1.0), ValueError, "U_std"),
        (dict(degree=2, width=8, parameterization="standard"), ValueError, "parameterization"),
    ],
)
def test_bad_arguments(kwargs: dict, exc: type, name: str) -> None:
    with pytest.raises(exc, match=name):
        PiNet(**kwargs)


def test_bad_input_shapes() -> None:
    init_fn, apply_fn, kernel_fn = PiNet(2, 8)
    with pytest.raises(ValueError, match="input_shape"):
        init_fn(jax.random.key(0), (4, 3, 2))
    _, params = init_fn(jax.random.key(0), (4, 3))
    with pytest.raises(ValueError, match="inputs"):
        apply_fn(params, jnp.ones((4, 5)))
    with pytest.raises(ValueError, match="Flatten"):
        kernel_fn(jnp.ones((4, 3, 2)), None)
    with pytest.raises(ValueError, match="x2"):
        kernel_fn(jnp.ones((4, 3)), jnp.ones((4, 2)))
    with pytest.raises(ValueError, match="degree"):
        pinet_kernel(jnp.ones((4, 3)), None, 0)
    with pytest.raises(ValueError, match="get"):
        pinet_kernel(jnp.ones((4, 3)), None, 2, get="cov3")
