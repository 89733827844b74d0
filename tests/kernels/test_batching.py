"""`batch`: kernels in blocks of inputs equal the unbatched kernels.

Reference: the same kernel function called once on all inputs. Blocks change only the
grouping of examples, never a sum within one kernel entry, so agreement is to round-off
(rtol 1e-12, float64), including ragged last blocks and untraced output axes.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import batch, empirical_kernel_fn, empirical_nngp_fn, empirical_ntk_fn

RTOL = 1e-12
rng = np.random.default_rng(5)
X1 = rng.normal(size=(7, 3))
X2 = rng.normal(size=(5, 3))
INIT, APPLY, KERNEL = stax.serial(stax.Dense(8, b_std=0.2), stax.Erf(), stax.Dense(3, b_std=0.1))
PARAMS = INIT(jax.random.key(6), X1.shape)[1]


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * float(np.max(np.abs(b))))


@pytest.mark.parametrize("x2, trace_axes, impl", [(X2, (-1,), 1), (None, (), 2)], ids=["x2", "x2_none"])
def test_batched_empirical_kernels_equal_unbatched(x2, trace_axes, impl):
    """batch_size 3 on 7 × 5 inputs: blocks of 3, 3, 1 and 3, 2 (ragged)."""
    kernel_fn = empirical_kernel_fn(APPLY, trace_axes, (), 0, impl)
    full = jax.jit(kernel_fn, static_argnums=2)(X1, x2, None, PARAMS)
    blocked = batch(kernel_fn, batch_size=3)(X1, x2, None, PARAMS)
    assert set(blocked) == {"nngp", "ntk"}
    for name in full:
        assert blocked[name].shape == full[name].shape
        close(blocked[name], full[name])


def test_batched_ntk_fn_host_storage_and_diagonal_batch_axis():
    ntk_fn = empirical_ntk_fn(APPLY, (), (-1,), 0)
    full = jax.jit(ntk_fn)(X1, X2, PARAMS)  # (7, 5, 3): channel diagonal
    host = batch(ntk_fn, 4, store_on_device=False)(X1, X2, PARAMS)
    assert isinstance(host, np.ndarray)
    close(host, full)
    diag_fn = empirical_nngp_fn(APPLY, (), (0,))  # per-example: (7, 3, 3), tiled on one axis
    close(batch(diag_fn, 2)(X1, X1[::-1], PARAMS), diag_fn(X1, X1[::-1], PARAMS))


def test_batched_analytic_kernel_fn():
    """The analytic kernel_fn of `widenets.stax` too (static `get`, a namedtuple result)."""
    full = KERNEL(X1, X2, ("nngp", "ntk"))
    blocked = batch(KERNEL, batch_size=2)(X1, X2, ("nngp", "ntk"))
    close(blocked.nngp, full.nngp)
    close(blocked.ntk, full.ntk)
    close(batch(KERNEL, 0)(X1, None, "ntk"), KERNEL(X1, None, "ntk"))


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: batch("not a function"), TypeError, "kernel_fn"),
        (lambda: batch(KERNEL, batch_size=-1), ValueError, "batch_size"),
        (lambda: batch(KERNEL, batch_size=2.5), TypeError, "batch_size"),
        (lambda: batch(KERNEL, 2, device_count=4), NotImplementedError, "device_count"),
        (lambda: batch(KERNEL, 2, store_on_device="no"), TypeError, "store_on_device"),
        (lambda: batch(empirical_ntk_fn(APPLY, diagonal_axes=(0,)), 2)(X1, X2, PARAMS),
         ValueError, "x2"),
    ],
)
def test_bad_arguments_name_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
