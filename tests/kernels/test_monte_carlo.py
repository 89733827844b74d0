"""`monte_carlo_kernel_fn`: the estimator's bookkeeping, checked as identities in float64.

Reference: the per-network kernels recomputed directly (``init_fn(keys[i], x.shape)`` with
``keys = jax.random.split(key, M)``, then `empirical_kernel_fn`), reduced with numpy's
mean and ``std(ddof=1)/√M``. Network batches, input blocks and Chan's merge only reorder
floating-point sums, so the tolerance is round-off (rtol 1e-10). neural-tangents' return
conventions and argument handling are compared with its own outputs in
test_nt_api_parity.py.
"""
import jax
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import MonteCarloKernel, empirical_kernel_fn, monte_carlo_kernel_fn

from .nets import X

RTOL = 1e-10  # regression value (source: the same sums regrouped; float64 round-off)
INIT, APPLY, _ = stax.serial(stax.Dense(16, W_std=1.5, b_std=0.2), stax.Erf(), stax.Dense(3, b_std=0.1))
KEY = jax.random.key(7)
M = 10


def direct(n, x1=X, x2=None, *args):
    """Per-network kernels stacked over the first n networks, then mean and SE; ``args``
    (trace_axes, diagonal_axes, ...) go to `empirical_kernel_fn`."""
    kernel_fn = jax.jit(empirical_kernel_fn(APPLY, *args), static_argnums=2)
    samples = [kernel_fn(x1, x2, None, INIT(k, x1.shape)[1]) for k in jax.random.split(KEY, n)]
    out = {}
    for name in ("nngp", "ntk"):
        s = np.stack([np.asarray(getattr(d, name)) for d in samples])
        out[name], out[name + "_se"] = s.mean(0), s.std(0, ddof=1) / np.sqrt(n)
    return out


@pytest.fixture(scope="module")
def reference():
    return direct(M)


@pytest.mark.parametrize("per_batch", [3, 64])
def test_mean_and_se_match_direct_computation(reference, per_batch):
    """Batches of 3 networks (three merges, then a last batch of 1 valid network padded with
    2 of weight 0) and one batch holding all M give the same mean and standard error.
    (Few batch sizes on purpose: each compiles the sampler, ~2 s of CPU for threefry.)"""
    est = monte_carlo_kernel_fn(INIT, APPLY, KEY, M, networks_per_batch=per_batch,
                                standard_error=True)(X)
    assert isinstance(est, MonteCarloKernel) and est.n_samples == M
    for name in ("nngp", "ntk", "nngp_se", "ntk_se"):
        np.testing.assert_allclose(getattr(est, name), reference[name], rtol=RTOL, err_msg=name)


def test_default_returns_neural_tangents_conventions(reference):
    """Without ``standard_error`` the means come back as neural-tangents returns them: the
    array for a string ``get`` (case ignored), a namedtuple (nngp, ntk) for None;
    n_samples = 1 is allowed then (no SE needed)."""
    mc = monte_carlo_kernel_fn(INIT, APPLY, KEY, M, networks_per_batch=3)
    nngp = mc(X, None, "NNGP")
    assert isinstance(nngp, jax.Array)
    np.testing.assert_allclose(nngp, reference["nngp"], rtol=RTOL)
    both = mc(X)  # a tuple get: test_nt_api_parity.py
    assert both._fields == ("nngp", "ntk")
    np.testing.assert_allclose(both.ntk, reference["ntk"], rtol=RTOL)
    one = monte_carlo_kernel_fn(INIT, APPLY, KEY, 1, networks_per_batch=3)(X, None, "nngp")
    first = INIT(jax.random.split(KEY, 1)[0], X.shape)[1]
    np.testing.assert_allclose(one, empirical_kernel_fn(APPLY)(X, None, "nngp", first), rtol=RTOL)


@pytest.mark.parametrize("x2", [None, X[::-1][:3]], ids=["gram", "cross"])
def test_input_blocks_and_host_storage_change_nothing(reference, x2):
    """NT's ``batch_size`` (input blocks of 3 rows: 3 and 1, ragged; a Gram from its upper
    blocks) and ``store_on_device=False`` (numpy results, merged in host memory) give the
    estimate of the unblocked call over the same networks."""
    whole = monte_carlo_kernel_fn(INIT, APPLY, KEY, 4, networks_per_batch=3, standard_error=True)(X, x2)
    for blocks, on_device in ((3, True), (3, False)):
        est = monte_carlo_kernel_fn(INIT, APPLY, KEY, 4, blocks, -1, on_device,
                                    networks_per_batch=3, standard_error=True)(X, x2)
        for name in ("nngp", "ntk", "nngp_se", "ntk_se"):
            assert isinstance(getattr(est, name), np.ndarray) == (not on_device)
            np.testing.assert_allclose(getattr(est, name), getattr(whole, name), rtol=RTOL, err_msg=name)


def test_layout_and_ntk_method_arguments_reach_every_network():
    """``trace_axes=()``, ``diagonal_axes=(-1,)``, ``vmap_axes=0`` and implementation 2 give
    the mean of the per-network kernels with the same arguments."""
    args = ((), (-1,), 0, 2)
    ref = direct(4, X, X[:2], *args)
    est = monte_carlo_kernel_fn(INIT, APPLY, KEY, 4, 0, -1, True, *args, networks_per_batch=3,
                                standard_error=True)(X, X[:2])
    assert est.nngp.shape == (4, 2, 3)
    for name in ("nngp", "ntk", "nngp_se", "ntk_se"):
        np.testing.assert_allclose(getattr(est, name), ref[name], rtol=RTOL, err_msg=name)


def test_generator_reuses_networks_and_matches_single_counts():
    """The estimate after count m uses networks 0..m-1 of ``split(key, max count)``, which
    are those of ``split(key, m)`` (threefry key splitting is prefix-stable with
    jax_threefry_partitionable, the default since jax 0.5), so it equals a plain call with
    n_samples=m."""
    assert jax.config.jax_threefry_partitionable
    counts = [2, 5, 10]
    gen = monte_carlo_kernel_fn(INIT, APPLY, KEY, counts[::-1], networks_per_batch=3,
                                standard_error=True)(X, get="nngp")  # any order, as in NT
    estimates = list(gen)
    assert [e.n_samples for e in estimates] == counts
    for count, est in zip(counts, estimates):
        single = monte_carlo_kernel_fn(INIT, APPLY, KEY, count, networks_per_batch=3,
                                       standard_error=True)(X, get="nngp")
        np.testing.assert_allclose(est.nngp, single.nngp, rtol=RTOL)
        np.testing.assert_allclose(est.nngp_se, single.nngp_se, rtol=RTOL)
        assert est.ntk is None and est.ntk_se is None


def test_get_and_x2():
    """``get`` selects kernels (others None); ``x2`` gives the cross block of the same
    networks: kernel_fn(x, x) == kernel_fn(x), and kernel_fn(x, x[::-1]) is the full kernel
    with its columns reversed."""
    mc = monte_carlo_kernel_fn(INIT, APPLY, KEY, 4, networks_per_batch=3, standard_error=True)
    full = mc(X)
    ntk_only = mc(X, None, ("ntk",))
    assert ntk_only.nngp is None and ntk_only.nngp_se is None
    np.testing.assert_allclose(ntk_only.ntk, full.ntk, rtol=RTOL)
    np.testing.assert_allclose(mc(X, X).nngp, full.nngp, rtol=RTOL)
    cross = mc(X, X[::-1])
    for name in ("nngp", "ntk", "nngp_se", "ntk_se"):
        np.testing.assert_allclose(getattr(cross, name), getattr(full, name)[:, ::-1], rtol=RTOL)


def test_chan_merge_is_stable_for_large_offsets():
    """Per-network kernels (1e3 + 1e-3·g)² ≈ 1e6 + 2g, g ~ N(0, 1): the one-pass formula
    Σx² − M x̄² would cancel about 12 of float64's 16 digits; per-batch deviations merged
    by Chan's update keep the SE to round-off. Reference: numpy's two-pass std."""

    def apply_fn(params, x):
        return params + x[:, :1] * 0.0

    def init_fn(key, shape):
        return (shape[0], 1), 1e3 + jax.random.normal(key, (1, 1)) * 1e-3

    est = monte_carlo_kernel_fn(init_fn, apply_fn, KEY, 50, networks_per_batch=7,
                                standard_error=True)(X[:1], get="nngp")
    s = np.array([float(init_fn(k, (1, 3))[1][0, 0]) ** 2 for k in jax.random.split(KEY, 50)])
    np.testing.assert_allclose(est.nngp[0, 0], s.mean(), rtol=1e-14)
    np.testing.assert_allclose(est.nngp_se[0, 0], s.std(ddof=1) / np.sqrt(50), rtol=1e-8)


def _mc(**overrides):
    args = dict(init_fn=INIT, apply_fn=APPLY, key=KEY, n_samples=4, networks_per_batch=3,
                standard_error=True)
    args.update(overrides)
    return monte_carlo_kernel_fn(**args)


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: _mc(n_samples=1), ValueError, "`n_samples`"),
        (lambda: _mc(n_samples=0), ValueError, "`n_samples`"),
        (lambda: _mc(n_samples=2.5), TypeError, "`n_samples`"),
        (lambda: _mc(n_samples=True), TypeError, "`n_samples`"),
        (lambda: _mc(n_samples=[]), ValueError, "`n_samples`"),
        (lambda: _mc(n_samples=[1, 4]), ValueError, "`n_samples`"),
        (lambda: _mc(n_samples=0, standard_error=False), ValueError, "`n_samples`"),
        (lambda: _mc(n_samples="8"), TypeError, "`n_samples`"),
        (lambda: _mc(n_samples=[2, 2.5]), TypeError, "`n_samples`"),
        (lambda: _mc(networks_per_batch=0), ValueError, "`networks_per_batch`"),
        (lambda: _mc(networks_per_batch=2.0), TypeError, "`networks_per_batch`"),
        (lambda: _mc(batch_size=-1), ValueError, "`batch_size`"),
        (lambda: _mc(device_count=2), NotImplementedError, "`device_count"),
        (lambda: _mc(store_on_device=1), TypeError, "`store_on_device`"),
        (lambda: _mc(standard_error="yes"), TypeError, "`standard_error`"),
        (lambda: _mc(_fwd="no"), TypeError, "`_fwd`"),
        (lambda: _mc(vmap_axes="0"), TypeError, "`vmap_axes`"),
        (lambda: _mc(diagonal_axes=(0,))(X, X[:2]), ValueError, "x2"),
        (lambda: _mc(key=3), TypeError, "`key`"),
        (lambda: _mc(key=jax.random.split(KEY, 2)), ValueError, "`key`"),
        (lambda: _mc(init_fn=None), TypeError, "`init_fn`"),
        (lambda: _mc(apply_fn=3), TypeError, "`apply_fn`"),
        (lambda: _mc(trace_axes="last"), TypeError, "`trace_axes`"),
        (lambda: _mc(trace_axes=(0,))(X), ValueError, "`trace_axes`"),
        (lambda: _mc(implementation="structured_derivatives"), NotImplementedError, "`implementation"),
        (lambda: _mc()(X, get="cov1"), ValueError, "`get`"),
        (lambda: _mc()(X, get=("nngp", 1)), TypeError, "`get`"),
        (lambda: _mc()(X[0]), ValueError, "`x1`"),
        (lambda: _mc()(X, X[:, :2]), ValueError, "`x2`"),
        (lambda: _mc()(np.where(X > 1, np.nan, X)), ValueError, "`x1`"),
        (lambda: _mc()("x"), TypeError, "`x1`"),
    ],
)
def test_bad_arguments_name_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
