"""`empirical_ntk_fn` / `empirical_nngp_fn` against closed forms and hand-written Jacobians.

All in float64; the references are exact, so the tolerance is round-off only
(rtol 1e-12 on O(1) numbers built from a few hundred products).
"""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp

import widenets
from widenets import stax
from widenets.kernels import NtkImplementation as nt_enum
from widenets.kernels import empirical_kernel_fn, empirical_nngp_fn, empirical_ntk_fn
from widenets.kernels._axes import check_implementation

RTOL = 1e-12  # regression value (source: exact references; float64 round-off)
rng = np.random.default_rng(0)
X1 = rng.normal(size=(5, 4))
X2 = rng.normal(size=(3, 4))


def linear(params, x):
    """f(W, x) = x W / √d: the NTK is x·x'/d per output channel, times δ_cc'."""
    return x @ params["W"] / math.sqrt(x.shape[-1])


LINEAR_PARAMS = {"W": jnp.asarray(rng.normal(size=(4, 6))), "absent_bias": None}


def test_linear_model_closed_form():
    """∂f_c(x)/∂W_ic' = δ_cc' x_i/√d, so Θ_cc'(x, x') = δ_cc' x·x'/d: the mean over the
    k channels (default trace) is x·x'/d, and with no trace the channel block is the identity."""
    gram = X1 @ X2.T / 4
    ntk = empirical_ntk_fn(linear)(X1, X2, LINEAR_PARAMS)
    np.testing.assert_allclose(ntk, gram, rtol=RTOL)
    full = empirical_ntk_fn(linear, trace_axes=())(X1, X2, LINEAR_PARAMS)
    assert full.shape == (5, 3, 6, 6)
    np.testing.assert_allclose(full, gram[:, :, None, None] * np.eye(6), rtol=RTOL, atol=1e-15)


def test_trace_is_a_mean_over_traced_axes():
    """neural-tangents divides the contraction by the size of the traced axes; outputs of
    shape (N, 2, 3) traced over axis 1 give a mean over those 2 entries, untraced axes paired."""

    def f(params, x):
        return linear(params, x).reshape(x.shape[0], 2, 3)

    ntk = empirical_ntk_fn(f, trace_axes=(1,))(X1, X2, LINEAR_PARAMS)
    gram = X1 @ X2.T / 4
    assert ntk.shape == (5, 3, 3, 3)
    np.testing.assert_allclose(ntk, gram[:, :, None, None] * np.eye(3), rtol=RTOL, atol=1e-15)
    out1, out2 = f(LINEAR_PARAMS, X1), f(LINEAR_PARAMS, X2)
    nngp = empirical_nngp_fn(f, trace_axes=(1,))(X1, X2, LINEAR_PARAMS)
    np.testing.assert_allclose(nngp, np.einsum("iab,jac->ijbc", out1, out2) / 2, rtol=RTOL)


def _hand_ntk(params, x1, x2, W_std, b_std):
    """NTK of Dense(n) → Erf → Dense(k) (NTK parameterization) from its Jacobian written out.

    f_c = (σ_W/√n) Σ_j V_jc φ(h_j) + σ_b β_c,  h_j = (σ_W/√d) Σ_i U_ij x_i + σ_b β¹_j,
    ∂f_c/∂V_jc' = δ_cc' (σ_W/√n) φ(h_j),        ∂f_c/∂β_c' = δ_cc' σ_b,
    ∂f_c/∂U_ij  = (σ_W/√n) V_jc φ'(h_j) (σ_W/√d) x_i,   ∂f_c/∂β¹_j = (σ_W/√n) V_jc φ'(h_j) σ_b,
    with φ = erf, φ' = 2/√π·exp(−h²).
    """
    (U, b1), _, (V, b2) = params
    d, n = U.shape
    k = V.shape[1]

    def jac(x):
        h = W_std / np.sqrt(d) * x @ U + b_std * b1  # (N, n)
        phi, dphi = sp.erf(h), 2 / np.sqrt(np.pi) * np.exp(-h * h)
        N = x.shape[0]
        eye = np.eye(k)
        jV = W_std / np.sqrt(n) * phi[:, None, :, None] * eye[None, :, None, :]  # (N,k,n,k)
        jb2 = b_std * np.broadcast_to(eye, (N, k, k))  # (N, k, k)
        g = W_std / np.sqrt(n) * V.T[None] * dphi[:, None, :]  # (N, k, n)
        jU = g[:, :, None, :] * (W_std / np.sqrt(d)) * x[:, None, :, None]  # (N,k,d,n)
        jb1 = g * b_std  # (N, k, n)
        return np.concatenate(
            [a.reshape(N, k, -1) for a in (jU, jb1, jV, jb2)], axis=-1
        )

    j1, j2 = jac(x1), jac(x2)
    return np.einsum("ncp,mdp->nmcd", j1, j2)


@pytest.mark.parametrize("trace_axes", [(-1,), ()])
def test_one_hidden_layer_vs_hand_written_jacobian(trace_axes):
    init_fn, apply_fn, _ = stax.serial(
        stax.Dense(7, W_std=1.3, b_std=0.4), stax.Erf(), stax.Dense(3, W_std=1.3, b_std=0.4)
    )
    _, params = init_fn(jax.random.key(1), X1.shape)
    params_np = jax.tree.map(np.asarray, params)
    full = _hand_ntk(params_np, X1, X2, 1.3, 0.4)
    expected = full if trace_axes == () else np.einsum("nmcc->nm", full) / 3
    ntk_fn = jax.jit(empirical_ntk_fn(apply_fn, trace_axes=trace_axes))
    np.testing.assert_allclose(ntk_fn(X1, X2, params), expected, rtol=RTOL, atol=1e-14)
    # x2=None means x2 = x1
    np.testing.assert_allclose(ntk_fn(X1, None, params), ntk_fn(X1, X1, params), rtol=RTOL)


def test_nngp_is_mean_outer_product_and_kernel_fn_bundles_both():
    init_fn, apply_fn, _ = stax.serial(stax.Dense(9, b_std=0.1), stax.Relu(), stax.Dense(4))
    _, params = init_fn(jax.random.key(2), X1.shape)
    f1, f2 = np.asarray(apply_fn(params, X1)), np.asarray(apply_fn(params, X2))
    nngp = jax.jit(empirical_nngp_fn(apply_fn))(X1, X2, params)
    np.testing.assert_allclose(nngp, f1 @ f2.T / 4, rtol=RTOL)
    full = jax.jit(empirical_nngp_fn(apply_fn, trace_axes=()))(X1, X2, params)
    np.testing.assert_allclose(full, f1[:, None, :, None] * f2[None, :, None, :], rtol=RTOL)
    both = jax.jit(empirical_kernel_fn(apply_fn), static_argnums=2)(X1, X2, None, params)
    assert type(both).__name__ == "EmpiricalKernel" and both._fields == ("nngp", "ntk")  # NT's
    np.testing.assert_allclose(both.nngp, nngp, rtol=RTOL)
    ntk = jax.jit(empirical_ntk_fn(apply_fn))(X1, X2, params)
    np.testing.assert_allclose(both.ntk, ntk, rtol=RTOL)
    only = jax.eval_shape(lambda p: empirical_kernel_fn(apply_fn)(X1, None, "ntk", p), params)
    assert isinstance(only, jax.ShapeDtypeStruct) and only.shape == (len(X1), len(X1))
    flipped = jax.eval_shape(lambda p: empirical_kernel_fn(apply_fn)(X1, X2, ("NTK", "nngp"), p), params)
    assert flipped._fields == ("ntk", "nngp")


def test_jit_and_float32():
    """The kernel functions trace under jit and keep float32 (no silent promotion)."""
    params32 = {"W": LINEAR_PARAMS["W"].astype(jnp.float32), "absent_bias": None}
    x = X1.astype(np.float32)
    for fn in (empirical_ntk_fn(linear), empirical_nngp_fn(linear)):
        out = jax.jit(fn)(x, None, params32)
        assert out.dtype == jnp.float32
        np.testing.assert_allclose(out, fn(X1, None, LINEAR_PARAMS), rtol=1e-5)


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: empirical_ntk_fn(linear, trace_axes="a"), TypeError, "trace_axes"),
        (lambda: empirical_ntk_fn(linear, (0,))(X1, X2, LINEAR_PARAMS), ValueError, "trace_axes"),
        (lambda: empirical_nngp_fn(linear, (2,))(X1, X2, LINEAR_PARAMS), ValueError, "trace_axes"),
        (lambda: empirical_ntk_fn(linear, (-1, 1))(X1, X2, LINEAR_PARAMS), ValueError, "trace_axes"),
        (lambda: empirical_ntk_fn(linear, implementation="structured_derivatives"),
         NotImplementedError, "implementation"),
        (lambda: empirical_ntk_fn(linear, implementation=3), NotImplementedError, "implementation"),
        (lambda: empirical_ntk_fn(linear, implementation="fastest"), ValueError, "implementation"),
        (lambda: empirical_kernel_fn(linear)(X1, X2, "cov1", LINEAR_PARAMS), ValueError, "get"),
        (lambda: empirical_kernel_fn(linear)(X1, X2, 3, LINEAR_PARAMS), TypeError, "get"),
        (lambda: empirical_kernel_fn(linear)(X1, X2, ("ntk", "NTK"), LINEAR_PARAMS), ValueError, "get"),
        (lambda: empirical_kernel_fn(linear)(X1, X2, (), LINEAR_PARAMS), ValueError, "get"),
        (lambda: empirical_ntk_fn(linear, implementation=nt_enum.STRUCTURED_DERIVATIVES),
         NotImplementedError, "implementation"),
        (lambda: empirical_ntk_fn(linear, _j_rules=None), TypeError, "_j_rules"),
        (lambda: empirical_ntk_fn(lambda p, x: x)(X1, X2, {"W": None}), ValueError, "no array leaves"),
        (lambda: empirical_ntk_fn(linear)(X1[:, :3], None, LINEAR_PARAMS), ValueError, "`params`.*`x1`"),
        (lambda: empirical_ntk_fn(linear)(X1, X2[:, :3], LINEAR_PARAMS), ValueError, "`x2`"),
        (lambda: empirical_nngp_fn(linear)(None, X2, LINEAR_PARAMS), ValueError, "x1"),
        (lambda: empirical_ntk_fn(linear)(X1, X2, {"W": jnp.ones((4, 6), int)}), TypeError, "params"),
        (lambda: empirical_ntk_fn("linear"), TypeError, "`f`"),
        (lambda: empirical_ntk_fn(lambda p, x: linear(p, x).sum())(X1, X2, LINEAR_PARAMS), TypeError,
         "`f`"),
        (lambda: empirical_ntk_fn(linear, diagonal_axes=[0.5]), TypeError, "diagonal_axes"),
        (lambda: empirical_ntk_fn(linear, (), (3,))(X1, X2, LINEAR_PARAMS), ValueError, "diagonal_axes"),
        (lambda: empirical_ntk_fn(linear, (-1,), (-1,))(X1, X2, LINEAR_PARAMS), ValueError,
         "diagonal_axes"),
        (lambda: empirical_ntk_fn(linear, (), (0,))(X1, X2, LINEAR_PARAMS), ValueError, "diagonal_axes"),
        (lambda: empirical_ntk_fn(linear, vmap_axes="0"), TypeError, "vmap_axes"),
        (lambda: empirical_ntk_fn(linear, vmap_axes=(0, None, {})), TypeError, "vmap_axes"),
        (lambda: empirical_ntk_fn(linear, vmap_axes=(0, 0, [1])), TypeError, "vmap_axes"),
        (lambda: empirical_ntk_fn(linear, vmap_axes=(0, 5, {}))(X1, X2, LINEAR_PARAMS), ValueError,
         "vmap_axes"),
    ],
)
def test_bad_arguments_name_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_nt_positional_signature_and_keyword_compatibility():
    """neural-tangents' positional order (f, trace_axes, diagonal_axes, vmap_axes,
    implementation) and the earlier keyword use give the same kernel."""
    a = empirical_ntk_fn(linear, (-1,), (), 0, 2)(X1, X2, LINEAR_PARAMS)
    b = empirical_ntk_fn(linear, trace_axes=(-1,), implementation="jacobian_contraction")(
        X1, X2, LINEAR_PARAMS)
    np.testing.assert_allclose(a, b, rtol=RTOL)


def test_implementation_accepts_nt_code_for_jacobian_contraction():
    np.testing.assert_array_equal(
        empirical_ntk_fn(linear, implementation=1)(X1, X2, LINEAR_PARAMS),
        empirical_ntk_fn(linear)(X1, X2, LINEAR_PARAMS),
    )


def test_ntk_implementation_enum_selects_the_method_of_its_code():
    """`NtkImplementation` members map to the methods NT documents for their codes, and each
    gives the closed-form NTK of the linear model, x1·x2/d (mean over channels); NT's private
    flags are accepted positionally. (NT's members and codes: test_nt_api_parity.py.)"""
    names = {0: "auto", 1: "jacobian_contraction", 2: "ntk_vector_products"}
    expected = X1 @ X2.T / X1.shape[1]
    for member in (nt_enum.AUTO, nt_enum.JACOBIAN_CONTRACTION, nt_enum.NTK_VECTOR_PRODUCTS):
        assert check_implementation(member) == names[int(member)]
        ntk = empirical_ntk_fn(linear, (-1,), (), None, member, False, True, None)(X1, X2, LINEAR_PARAMS)
        np.testing.assert_allclose(ntk, expected, rtol=RTOL)
    assert widenets.NtkImplementation is nt_enum and nt_enum(2) is nt_enum.NTK_VECTOR_PRODUCTS
