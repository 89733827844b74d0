"""`batch`: kernels in blocks of inputs equal the unbatched kernels.

References: the same kernel function called once on all inputs, or a closed form written
here. Blocks change only the grouping of examples, never a sum within one kernel entry, and
mirrored blocks of a Gram are exact transposes, so agreement is to round-off (rtol 1e-12,
float64), including ragged last blocks and untraced output axes. neural-tangents' own
outputs for the same calls are compared in test_nt_api_parity.py.
"""
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from widenets import stax
from widenets.kernels import batch, empirical_kernel_fn, empirical_nngp_fn, empirical_ntk_fn

RTOL = 1e-12  # regression value (source: blocks only regroup examples; float64 round-off)
rng = np.random.default_rng(5)
X1 = rng.normal(size=(7, 3))
X2 = rng.normal(size=(5, 3))
# 6 x 4 rows in blocks of 3 (3, 3 and 3, 1): few distinct block shapes, hence few compilations,
# for the analytic kernels (ragged blocks are covered above with 7 x 5 and by the closed forms)
A1, A2 = X1[:6], X2[:4]
INIT, APPLY, KERNEL = stax.serial(stax.Dense(8, b_std=0.2), stax.Erf(), stax.Dense(3, b_std=0.1))
_, _, FIRST = stax.serial(stax.Dense(8, b_std=0.2), stax.Erf())
_, _, SECOND = stax.serial(stax.Dense(6, W_std=1.3, b_std=0.1), stax.Relu(), stax.Dense(2))
PARAMS = INIT(jax.random.key(6), X1.shape)[1]


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * float(np.max(np.abs(b))))


def same_kernel(blocked, full):
    """Every array field equal; the static fields too (shape1/shape2 when the Kernel has them)."""
    for name in ("nngp", "ntk", "cov1", "cov2"):
        close(getattr(blocked, name), getattr(full, name))
    assert blocked.x1_is_x2 == full.x1_is_x2
    for name in ("shape1", "shape2", "shape", "is_gaussian"):
        assert getattr(blocked, name, None) == getattr(full, name, None), name


@pytest.mark.parametrize("x2, trace_axes, impl", [(X2, (-1,), 1), (None, (), 2)], ids=["x2", "x2_none"])
def test_batched_empirical_kernels_equal_unbatched(x2, trace_axes, impl):
    """batch_size 3 on 7 × 5 inputs: blocks of 3, 3, 1 and 3, 2 (ragged); with x2=None the
    (7, 7, 3, 3) untraced Gram is built from its 6 upper blocks (its lower ones mirrored)."""
    kernel_fn = empirical_kernel_fn(APPLY, trace_axes, (), 0, impl)
    full = jax.jit(kernel_fn, static_argnums=2)(X1, x2, None, PARAMS)
    blocked = batch(kernel_fn, batch_size=3)(X1, x2, None, PARAMS)
    assert type(blocked) is type(full) and blocked._fields == ("nngp", "ntk")
    for name in full._fields:
        assert getattr(blocked, name).shape == getattr(full, name).shape
        close(getattr(blocked, name), getattr(full, name))


def test_batched_ntk_fn_host_storage_and_diagonal_batch_axis():
    ntk_fn = empirical_ntk_fn(APPLY, (), (-1,), 0)
    full = jax.jit(ntk_fn)(X1, X2, PARAMS)  # (7, 5, 3): channel diagonal
    host = batch(ntk_fn, 4, store_on_device=False)(X1, X2, PARAMS)
    assert isinstance(host, np.ndarray)
    close(host, full)
    nngp_fn = empirical_nngp_fn(APPLY, (), (-1,))  # mirrored blocks of a channel-diagonal Gram
    close(batch(nngp_fn, 3)(A1, None, PARAMS), nngp_fn(A1, None, PARAMS))
    diag_fn = empirical_nngp_fn(APPLY, (), (0,))  # per-example: (7, 3, 3), tiled on one axis
    close(batch(diag_fn, 2)(X1, X1[::-1], PARAMS), diag_fn(X1, X1[::-1], PARAMS))


@pytest.mark.parametrize("x2", [A2, None], ids=["cross", "gram"])
def test_batched_analytic_kernel_fn(x2):
    """The analytic kernel_fn of `widenets.stax` with every form of ``get``: a tuple (a
    namedtuple in get order), a string (an array), and None (a Kernel assembled field by
    field: nngp/ntk in blocks, cov1 from x1's blocks, cov2 from x2's, x1_is_x2 of the call)."""
    pair = batch(KERNEL, 3)(A1, x2, ("ntk", "nngp"))
    full_pair = KERNEL(A1, x2, ("ntk", "nngp"))
    assert pair._fields == ("ntk", "nngp")
    close(pair.nngp, full_pair.nngp)
    close(pair.ntk, full_pair.ntk)
    close(batch(KERNEL, 3)(A1, x2, "ntk"), KERNEL(A1, x2, "ntk"))
    k = batch(KERNEL, 3)(A1, x2)
    same_kernel(k, KERNEL(A1, x2))
    if x2 is None:  # diagonal blocks are Grams, the others mirrored: exactly symmetric
        assert np.array_equal(k.ntk, k.ntk.T) and np.array_equal(k.nngp, k.nngp.T)
    host = batch(KERNEL, 3, store_on_device=False)(A1, x2)
    assert isinstance(host.nngp, np.ndarray)
    same_kernel(host, KERNEL(A1, x2))


@pytest.mark.parametrize("x2", [A2, None], ids=["cross", "gram"])
def test_batched_kernel_fn_on_an_input_kernel(x2):
    """``batch(kernel_fn)(kernel)``: the input Kernel is cut into blocks and the layer rule
    maps each; the result equals the rule applied to the whole kernel."""
    k_in = FIRST(A1, x2)
    out = batch(SECOND, 3)(k_in)
    same_kernel(out, SECOND(k_in))
    close(batch(SECOND, 3)(k_in, get="nngp"), SECOND(k_in, get="nngp"))
    with pytest.raises(ValueError, match="x2"):
        batch(SECOND, 3)(k_in, A2)


# -- the mechanics, on kernel functions written here -------------------------------------

def _counting(fn):
    """``fn`` with a counter of its executions (a debug callback runs on every call of the
    jitted function, not only when it is traced)."""
    calls = []

    def counted(x1, x2=None, *args, **kwargs):
        jax.debug.callback(lambda: calls.append(1))
        return fn(x1, x2, *args, **kwargs)

    return counted, calls


def _linear(x1, x2=None):
    return x1 @ (x1 if x2 is None else x2).T


def test_gram_computes_the_upper_block_triangle_only():
    """7 rows in blocks of 3: T = 3, so 6 of the 9 blocks are computed for x2=None (closed
    form x xᵀ), all 9 for an x2, and all 9 when the layout of the result cannot be mirrored
    (a 3-D array without a ``swap_inputs`` rule)."""
    fn, calls = _counting(_linear)
    close(batch(fn, 3)(X1), X1 @ X1.T)
    assert len(calls) == 6
    calls.clear()
    close(batch(fn, 3)(X1, X1), X1 @ X1.T)
    assert len(calls) == 9
    outer, calls = _counting(lambda a, b=None: a[:, None, :] * (a if b is None else b)[None, :, :])
    close(batch(outer, 3)(X1), X1[:, None, :] * X1[None, :, :])
    assert len(calls) == 9


def test_keyword_pairs_are_cut_into_blocks():
    """A keyword given as (x1 value, x2 value) of per-example arrays follows the blocks
    (neural-tangents' rule); closed form (s1 x1)(s2 x2)ᵀ. Such pairs turn the mirror off."""
    s1, s2 = rng.uniform(0.5, 2.0, size=7), rng.uniform(0.5, 2.0, size=5)

    def scaled(x1, x2=None, scale=(None, None)):
        x2 = x1 if x2 is None else x2
        return (x1 * scale[0][:, None]) @ (x2 * scale[1][:, None]).T

    fn, calls = _counting(scaled)
    close(batch(fn, 3)(X1, X2, scale=(s1, s2)), (X1 * s1[:, None]) @ (X2 * s2[:, None]).T)
    calls.clear()
    s1b = s1[::-1].copy()
    close(batch(fn, 3)(X1, None, scale=(s1, s1b)), (X1 * s1[:, None]) @ (X1 * s1b[:, None]).T)
    assert len(calls) == 9


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class _FutureKernel:
    """A Kernel-like record of another class, with batch-first ``shape1``/``shape2``: `batch`
    must recognise it by its fields and assemble it by field name."""

    nngp: jax.Array
    ntk: jax.Array
    cov1: jax.Array
    cov2: jax.Array
    shape1: tuple = dataclasses.field(default=(), metadata=dict(static=True))
    shape2: tuple = dataclasses.field(default=(), metadata=dict(static=True))
    x1_is_x2: bool = dataclasses.field(default=False, metadata=dict(static=True))
    diagonal_batch: bool = dataclasses.field(default=True, metadata=dict(static=True))

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def _future_kernel_fn(diagonal_batch=True):
    def kernel_fn(x1, x2=None):
        b = x1 if x2 is None else x2
        nngp = x1 @ b.T / 3
        cov1 = jnp.sum(x1 * x1, 1) / 3 if diagonal_batch else x1 @ x1.T / 3
        cov2 = jnp.sum(b * b, 1) / 3 if diagonal_batch else b @ b.T / 3
        return _FutureKernel(nngp, 2 * nngp, cov1, cov2, (x1.shape[0], 11), (b.shape[0], 11),
                             x2 is None, diagonal_batch)

    return kernel_fn


@pytest.mark.parametrize("x2", [X2, None], ids=["cross", "gram"])
def test_any_kernel_record_is_assembled_by_field_name(x2):
    """Closed forms: nngp = x1 x2ᵀ/3, ntk = 2·nngp, cov = row norms²/3, shapes (N, 11)."""
    b = X1 if x2 is None else x2
    k = batch(_future_kernel_fn(), 3)(X1, x2)
    assert isinstance(k, _FutureKernel)
    close(k.nngp, X1 @ b.T / 3)
    close(k.ntk, 2 * X1 @ b.T / 3)
    close(k.cov1, np.sum(X1**2, 1) / 3)
    close(k.cov2, np.sum(b**2, 1) / 3)
    assert (k.shape1, k.shape2, k.x1_is_x2) == ((7, 11), (len(b), 11), x2 is None)


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
        (lambda: batch(_future_kernel_fn(diagonal_batch=False), 3)(X1, X2), NotImplementedError,
         "diagonal_batch"),
        (lambda: batch(KERNEL, 2)(X1, X2, ["nngp"]), TypeError, "hashable"),
        (lambda: batch(lambda a, b=None: jnp.sum(a, 1), 2)(X1), ValueError, "N1, N2"),
    ],
)
def test_bad_arguments_name_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
