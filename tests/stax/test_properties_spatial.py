"""Properties of the kernels of random convolutional networks (1-D and 2-D inputs).

The references are identities, not other implementations. For inputs x (N examples) and
a network f, the NNGP K[i, j, s, s'] = E[f(x_i)_s f(x_j)_s'] (and the NTK, a sum of Jacobian
Gram matrices) is a covariance of the family (example, position) (Novak et al. 2019,
arXiv:1810.05148; Arora et al. 2019, arXiv:1904.11955), so:

* **symmetry**: the Gram matrix of x2=None satisfies K[i, j, s, s'] == K[j, i, s', s]
  bit for bit (it is assembled symmetrically);
* **positive semi-definiteness**: as an (N·|S|) × (N·|S|) matrix, λ_min ≥ −1e-6·λ_max;
* **blocks**: the kernel of two batches is the off-diagonal block of the kernel of their
  concatenation, kernel_fn(x1, x2) == kernel_fn(concat(x1, x2))[:N1, N1:];
* **tiles**: the tiled evaluations (symmetric tiles, blocks of rows) equal the direct one;
* **spatial outputs**: a network ending spatially returns (N1, N2, S₁, S₁', S₂, S₂') kernels
  whose spatial diagonal is what ``diagonal_spatial=True`` returns.

Every property is checked in float32 and float64. The two computations compared in the
"blocks" and "tiles" properties evaluate the same formulas in a different order (another
batch shape, hence other fusions, and variances read from the Gram's diagonal instead of
``cov1``/``cov2``), so they differ by rounding only; `agreement_tolerance` derives the bound.

Cost: every drawn architecture is a new compiled program per dtype and call (about 1 s each
on one core; a tiled example needs about three more), so the number of examples is modest
and the input shapes are fixed (one per spatial rank).
"""
from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from test_properties import BOUNDED

from widenets import duals, stax
from widenets.stax import _plan

# compile-bound (small programs that run in microseconds): tests/conftest.py
pytestmark = pytest.mark.usefixtures("fast_compile")

DTYPES = (jnp.float32, jnp.float64)
N1, N2 = 5, 2  # cross kernels (5, 2); joint Grams (7, 7): enough rows for 2-D tile grids
#: per-example input shape (spatial..., channels) for each spatial rank
EXAMPLE_SHAPES = {1: (6, 2), 2: (4, 3, 2)}
MAX_SIZE, MAX_POSITIONS = 8, 24  # caps on the spatial sizes drawn, to keep kernels small


def inputs(ndim: int, dtype, log_scale: float = 0.0):
    """Fixed standard-normal inputs (N1 + N2, *EXAMPLE_SHAPES[ndim]), times 10**log_scale."""
    x = np.random.default_rng([7, ndim]).normal(size=(N1 + N2,) + EXAMPLE_SHAPES[ndim])
    return jnp.asarray(x * 10.0**log_scale, dtype)


def _erf_nngp(cov12, var1, var2):
    """E[erf(u) erf(v)] = (2/π) arcsin(2c / √((1 + 2 v1)(1 + 2 v2))) (Williams 1997,
    "Computing with infinite networks"), in neural-tangents' argument order; written here,
    not taken from widenets.duals."""
    return (2 / np.pi) * jnp.arcsin(2 * cov12 / jnp.sqrt((1 + 2 * var1) * (1 + 2 * var2)))


def _cubic(x):
    return x + 0.1 * x**3


#: a dual with no named layer, by 2-D Gauss-Hermite quadrature: φ(u)φ(v) and φ'(u)φ'(v) are
#: polynomials of degree ≤ 3 in each variable, which the 4-node rule integrates exactly
#: (degree ≤ 7), so its kernels are exact up to rounding and PSD like any true kernel. (A
#: saturating φ such as tanh is not: at the pre-activation variances that sum-pooling produces
#: here, q ≈ 80, the deg-16 rule does not resolve E[sech² u sech² v] and gave an NTK Gram with
#: λ_min/λ_max = −0.065 — a quadrature error, documented in `duals.tanh`, not a kernel property.)
CUBIC = duals.numerical(_cubic, deg=4, name="x + x³/10")

#: the bounded activations of test_properties.py, plus the two generic constructors:
#: `Elementwise` from a closed-form dual (NTK by autodiff) and `Activation` of a dual that has
#: no named layer (`CUBIC`, by quadrature).
ACTIVATIONS = {
    **BOUNDED,
    "Elementwise": lambda: stax.Elementwise(fn=jax.scipy.special.erf, nngp_fn=_erf_nngp),
    "Activation": lambda: stax.Activation(CUBIC),
}
CONVS = {"Conv": stax.Conv, "ConvTranspose": stax.ConvTranspose, "ConvLocal": stax.ConvLocal}


class Net:
    """A drawn network: the layer, its description, its number of layers (for the tolerance)
    and whether its output is spatially white (zero covariance between different positions:
    the output of a `ConvLocal`, kept by `Identity`, sums, products and concatenations of white
    branches). ``white_known``: the layers say so themselves (`Layer.spatially_white`; not a
    plain triple, nor a product or concatenation), so that kernel_fn returns the spatial
    diagonal only, as neural-tangents does."""

    def __init__(self, ndim, layer, names, n_layers, white=False, white_known=False):
        self.ndim, self.layer, self.names, self.n_layers = ndim, layer, names, n_layers
        self.white, self.white_known = white, white_known

    def __repr__(self):
        return " > ".join(self.names)


class _Builder:
    """Tracks the activations' shape and Gaussianity while layers are drawn."""

    def __init__(self, draw, ndim):
        self.draw, self.ndim = draw, ndim
        shape = EXAMPLE_SHAPES[ndim]
        self.sizes, self.chan = list(shape[:-1]), shape[-1]
        self.gaussian = False  # the raw inputs are not a Gaussian process
        self.white = self.white_known = False  # see `Net`
        self.layers, self.names = [], []
        self.n_layers = 0

    def shape(self):
        return (1, *self.sizes, self.chan)

    def fits(self, layer) -> bool:
        out = layer.output_shape(self.shape())
        return max(out[1:-1]) <= MAX_SIZE and int(np.prod(out[1:-1])) <= MAX_POSITIONS

    def conv(self, keep_size=False, out_chan=None):
        """A random convolution (drawn kind, filter ≤ 3, stride 1–2, padding, parameterization)."""
        draw = self.draw
        kind = draw(st.sampled_from(sorted(CONVS)))
        padding = draw(st.sampled_from(["SAME", "CIRCULAR"] if keep_size else ["VALID", "SAME", "CIRCULAR"]))
        if padding == "VALID" and kind != "ConvTranspose":  # a VALID filter fits in the input
            filt = tuple(draw(st.integers(1, min(3, n))) for n in self.sizes)
        else:
            filt = tuple(draw(st.integers(1, 3)) for _ in self.sizes)
        strides = (1,) * self.ndim if keep_size else tuple(draw(st.integers(1, 2)) for _ in self.sizes)
        kwargs = {
            "out_chan": draw(st.integers(1, 4)) if out_chan is None else out_chan,
            "W_std": draw(st.floats(0.5, 2.0)),
            "b_std": draw(st.one_of(st.none(), st.floats(0.0, 0.5))),
            "parameterization": draw(st.sampled_from(["ntk", "standard"])),
        }
        layer = CONVS[kind](filter_shape=filt, strides=strides, padding=padding, **kwargs)
        if not self.fits(layer):  # too large an output: same size instead
            strides, padding = (1,) * self.ndim, "SAME"
            layer = CONVS[kind](filter_shape=filt, strides=strides, padding=padding, **kwargs)
        name = (f"{kind}({kwargs['out_chan']}, {filt}, {strides}, {padding}, W={kwargs['W_std']:.3g}, "
                f"b={kwargs['b_std']}, {kwargs['parameterization']})")
        self.conv_white = self.conv_white_known = kind == "ConvLocal"  # independent positions
        if draw(st.sampled_from((False, False, False, True))):  # as a plain triple (a `Triple`)
            layer, name = tuple(layer), f"triple[{name}]"
            self.conv_white_known = False
        return layer, name

    def add(self, layer, name, n_layers=1):
        out = (layer if isinstance(layer, stax.Layer) else stax.Triple(*layer)).output_shape(self.shape())
        self.sizes, self.chan = list(out[1:-1]), out[-1]
        self.layers.append(layer)
        self.names.append(name)
        self.n_layers += n_layers

    def activation(self):
        assert self.gaussian  # an activation needs a Gaussian input
        name = self.draw(st.sampled_from(sorted(ACTIVATIONS)))
        self.gaussian = self.white = self.white_known = False  # E[φ(u)] ≠ 0 correlates positions
        return ACTIVATIONS[name](), name

    def conv_block(self):
        self.add(*self.conv())
        self.gaussian, self.white, self.white_known = True, self.conv_white, self.conv_white_known
        if self.draw(st.booleans()):
            self.add(*self.activation())
        if self.draw(st.sampled_from((False, True, False))):
            self.pool()

    def pool(self):
        draw = self.draw
        padding = draw(st.sampled_from(["VALID", "SAME", "CIRCULAR"]))
        window = tuple(draw(st.integers(1, min(2, n) if padding == "VALID" else 2)) for n in self.sizes)
        strides = tuple(draw(st.integers(1, 2)) for _ in self.sizes)
        if draw(st.booleans()):
            edges = draw(st.booleans())
            layer, name = stax.AvgPool(window, strides, padding, normalize_edges=edges), f"AvgPool({window}, {strides}, {padding}, {edges})"
        else:
            layer, name = stax.SumPool(window, strides, padding), f"SumPool({window}, {strides}, {padding})"
        self.add(layer, name)  # pooling is linear: Gaussianity is kept (whiteness is not)
        self.white = self.white_known = False

    def residual_block(self):
        """x + g(x) with g = Conv [> activation > Conv] of the same shape."""
        was = self.gaussian, self.white, self.white_known
        first, n1 = self.conv(keep_size=True, out_chan=self.chan)
        parts, names = [first], [n1]
        self.gaussian = True
        if self.draw(st.booleans()):
            act, name = self.activation()
            second, n2 = self.conv(keep_size=True, out_chan=self.chan)
            parts += [act, second]
            names += [name, n2]
        branch = stax.serial(*parts)
        self.add(stax.serial(stax.FanOut(2), stax.parallel(branch, stax.Identity()), stax.FanInSum()),
                 f"residual[{' > '.join(names)} | Identity]", n_layers=len(parts) + 1)
        self.gaussian = was[0]  # Identity of x + a Gaussian branch
        self.white, self.white_known = was[1] and self.conv_white, was[2] and self.conv_white_known

    def concat_block(self):
        """Two Conv [> activation] branches, concatenated (channel or spatial axis) or multiplied."""
        draw = self.draw
        axes = [-1] + [1 + p for p, n in enumerate(self.sizes)
                       if 2 * n <= MAX_SIZE and 2 * int(np.prod(self.sizes)) <= MAX_POSITIONS]
        combine = draw(st.sampled_from(["concat", "prod"]))
        axis = draw(st.sampled_from(axes)) if combine == "concat" else -1
        width = draw(st.integers(1, 4))
        branches, names, gaussian, white = [], [], [], []
        for b in range(2):
            same = combine == "prod" or axis != -1  # equal shapes needed
            conv, name = self.conv(keep_size=True, out_chan=width if (same or b == 0) else None)
            self.gaussian, self.white = True, self.conv_white
            parts, label = [conv], [name]
            if draw(st.booleans()):
                act, act_name = self.activation()
                parts.append(act)
                label.append(act_name)
            gaussian.append(self.gaussian)
            white.append(self.white)
            branches.append(stax.serial(*parts))
            names.append(" > ".join(label))
        fan_in = stax.FanInConcat(axis) if combine == "concat" else stax.FanInProd()
        self.add(stax.serial(stax.FanOut(2), stax.parallel(*branches), fan_in),
                 f"{combine}({axis})[{' | '.join(names)}]", n_layers=len(branches) + 2)
        self.gaussian = combine == "concat" and all(gaussian)
        self.white, self.white_known = all(white), False  # (FanInProd/FanInConcat do not say)

    def dense(self, out_dim):
        param = self.draw(st.sampled_from(["ntk", "standard"]))
        w, b = self.draw(st.floats(0.5, 2.0)), self.draw(st.one_of(st.none(), st.floats(0.0, 0.5)))
        self.add(stax.Dense(out_dim, W_std=w, b_std=b, parameterization=param),
                 f"Dense({out_dim}, W={w:.3g}, b={b}, {param})")
        self.gaussian, self.white, self.white_known = True, False, False

    def readout(self):
        kind = self.draw(st.sampled_from(["Flatten", "GlobalAvgPool", "GlobalSumPool"]))
        self.layers.append(getattr(stax, kind)())
        self.names.append(kind)
        self.sizes, self.n_layers = [], self.n_layers + 1
        self.dense(self.draw(st.sampled_from([1, 3])))
        if self.draw(st.booleans()):
            self.add(*self.activation())
            self.dense(1)


@st.composite
def conv_networks(draw, readout: bool = True) -> Net:
    """A random valid convolutional network: 1–3 blocks (convolution [> activation]
    [> pooling], residual, concatenation/product), then a Flatten or global-pooling readout
    with Dense layers (``readout=True``) or nothing (the output stays spatial)."""
    b = _Builder(draw, draw(st.sampled_from([1, 2])))
    for _ in range(draw(st.integers(1, 3))):
        block = draw(st.sampled_from(["conv", "conv", "residual", "concat"]))
        getattr(b, f"{block}_block")()
    if readout:
        b.readout()
    net = Net(b.ndim, stax.serial(*b.layers), b.names, b.n_layers, b.white, b.white_known)
    note(repr(net))
    return net


def agreement_tolerance(net: Net, dtype, scale: float) -> float:
    """Absolute tolerance for two evaluations of one kernel that differ only in rounding.

    Derived: each layer rule is a fixed sequence of ≲ 32 floating-point operations per kernel
    entry (window sums of ≤ 3 × 3 × 2 terms, a dual with an arccos/arcsin/exp, the NTK
    product), each contributing at most half an ulp of the largest entry; the duals'
    derivatives are bounded by a small constant (≤ 4) at the correlations that distinct
    examples in general position reach (the self-correlations at exactly 1 are computed alike
    in both evaluations: each reads its variances off its own covariance). So the difference
    grows by at most 32 · 4 = 128 ulps per layer: 128 · L · eps · max|K| for L layers.
    """
    return 128 * net.n_layers * float(jnp.finfo(dtype).eps) * scale


def assert_agree(a, b, net, dtype, what):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    scale = max(np.abs(a).max(), np.abs(b).max(), np.finfo(dtype).tiny)
    tol = agreement_tolerance(net, dtype, scale)
    err = np.abs(a - b).max()
    assert err <= tol, f"{what}: max |Δ| = {err:.3e} > tol {tol:.3e} (max|K| = {scale:.3e}) for {net}"


# --------------------------------------------------------------------- exact symmetry

@functools.cache
class Symmetry:
    """Checks Grams for symmetry: to rounding always (an assertion), bit for bit as recorded
    cases, reported by `finish` once all examples ran (so one asymmetric Gram does not stop
    the other properties from being checked on the remaining examples)."""

    def __init__(self):
        self.cases: list[str] = []

    def check(self, k, k_t, net, dtype, what):
        """``k_t`` is ``k`` with the roles of the two examples (and positions) swapped."""
        k, k_t = np.asarray(k, np.float64), np.asarray(k_t, np.float64)
        assert np.all(np.isfinite(k)), what
        assert_agree(k, k_t, net, dtype, f"{what}: K vs Kᵀ")
        if not np.array_equal(k, k_t):
            self.cases.append(f"{what} ({np.dtype(dtype).name}): max|K - Kᵀ| = "
                              f"{np.abs(k - k_t).max():.2e} for {net}")

    def finish(self):
        if not self.cases:
            return
        message = f"{len(self.cases)} Gram(s) not exactly symmetric:\n  " + "\n  ".join(self.cases[:6])
        pytest.fail(message)


def assert_psd(m):
    """λ_min ≥ −1e-6 · λ_max (acceptance band: the PSD tolerance these tests are specified with)."""
    eig = np.linalg.eigvalsh(np.asarray(m, np.float64))
    assert eig[0] >= -1e-6 * max(eig[-1], 0.0), (eig[0], eig[-1])


def pair_transpose(k, diagonal_spatial=False):
    """K[i, j, s, s'] → K[j, i, s', s] (numpy), the kernel with x1 and x2 exchanged."""
    if diagonal_spatial or k.ndim == 2:
        return np.swapaxes(k, 0, 1)
    perm = [1, 0] + [a + d for a in range(2, k.ndim, 2) for d in (1, 0)]
    return np.transpose(k, perm)


# --------------------------------------------------------------------- tiled evaluation

#: Tiling modes: 'pairs': TILE_BUDGET = 1 (less than one pair of examples' entries), so every
#: tile is 1 × 1 (a 7 × 7 symmetric grid, a 5 × 2 cross grid); 'blocks': 3 × 3 symmetric tiles
#: and 2-row cross blocks, both padded. A tiled evaluation compiles two programs with a
#: `lax.map` over tiles (several seconds), so the examples cycle through: direct only, tiles
#: in one dtype, direct only, direct only, the other tiles in the other dtype, direct only.
def tile_cycle(first, second):
    return (None, (first, jnp.float64), None, None, (second, jnp.float32), None)


def tiled_kernels(net, x, mode):
    """kernel_fn(x) and kernel_fn(x1, x2) evaluated tile by tile (``mode``: 'pairs' or 'blocks'),
    with the paths the engine planned (recorded by a spy on `_plan.plan_kernel`)."""
    x1, x2 = x[:N1], x[N1:]
    plan_kernel, paths = _plan.plan_kernel, []

    def spy(*args):
        plan = plan_kernel(*args)
        paths.append(plan.path)
        return plan

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_plan, "plan_kernel", spy)
        if mode == "pairs":  # every tile side is max(1, isqrt(TILE_BUDGET // entries)) = 1
            patch.setattr(_plan, "TILE_BUDGET", 1)
        else:
            patch.setattr(_plan, "SYM_TILE", 3)
            patch.setattr(_plan, "ROW_BLOCK", 2)
        jax.clear_caches()  # the plan is made while tracing: trace afresh under the patch
        try:
            out = net.layer.kernel_fn(x, get=("nngp", "ntk")), net.layer.kernel_fn(x1, x2, get=("nngp", "ntk"))
        finally:
            jax.clear_caches()  # no program compiled under the patch outlives it
    assert paths == ["symmetric_tiles", "cross_tiles"], paths
    return out


def check_tiles(net, x, tiles, direct_sym, direct_cross, dtype, symmetry, diagonal=False):
    """If ``tiles`` = (mode, dtype) names this dtype: the tiled kernels equal the direct ones
    (``diagonal``: the kernels hold the spatial diagonal only)."""
    if tiles is None or tiles[1] is not dtype:
        return
    mode = tiles[0]
    tiled_sym, tiled_cross = tiled_kernels(net, x, mode)
    for name in ("nngp", "ntk"):
        t = np.asarray(getattr(tiled_sym, name))
        symmetry.check(t, pair_transpose(t, diagonal), net, dtype, f"{name} symmetric tiles ({mode})")
        assert_agree(t, getattr(direct_sym, name), net, dtype, f"{name} symmetric tiles ({mode}) vs direct")
        assert_agree(getattr(tiled_cross, name), getattr(direct_cross, name), net, dtype,
                     f"{name} cross tiles ({mode}) vs direct")


# Shrinking is off: every shrink step compiles a new network (minutes); the failing
# network is printed by `note` instead.
SETTINGS = {"deadline": None, "derandomize": True, "phases": (Phase.explicit, Phase.generate),
            "suppress_health_check": [HealthCheck.too_slow]}


# ------------------------------------------------------------------------- readout Grams

@pytest.mark.slow
def test_readout_grams_symmetric_psd_blocks_and_tiles():
    """(N, N) Grams after a Flatten / global-pooling readout, float32 and float64: finite,
    exactly symmetric, PSD to 1e-6; the cross kernel is the off-diagonal block of the joint
    Gram; on one example in three the tiled paths equal the direct ones."""
    symmetry, example, cycle = Symmetry(), itertools.count(), tile_cycle("pairs", "blocks")

    @settings(max_examples=8, **SETTINGS)
    @given(net=conv_networks(readout=True), log_scale=st.floats(-1.0, 0.5))
    def examples(net, log_scale):
        tiles = cycle[next(example) % len(cycle)]
        for dtype in DTYPES:
            x = inputs(net.ndim, dtype, log_scale)
            joint = net.layer.kernel_fn(x, get=("nngp", "ntk"))
            cross = net.layer.kernel_fn(x[:N1], x[N1:], get=("nngp", "ntk"))
            for name in ("nngp", "ntk"):
                k, c = getattr(joint, name), getattr(cross, name)
                assert k.dtype == dtype and c.dtype == dtype
                assert k.shape == (N1 + N2, N1 + N2) and c.shape == (N1, N2)
                assert np.all(np.isfinite(np.asarray(c)))
                symmetry.check(k, pair_transpose(np.asarray(k)), net, dtype, name)
                assert_psd(k)
                assert_agree(c, k[:N1, N1:], net, dtype, f"{name} cross vs joint block ({dtype.__name__})")
            check_tiles(net, x, tiles, joint, cross, dtype, symmetry)

    examples()
    symmetry.finish()


# ------------------------------------------------------------------------- spatial outputs

def as_matrix(k):
    """(N, N, S₁, S₁', …) → the (N·|S|) × (N·|S|) covariance matrix of (example, position)."""
    n, n_sp = k.shape[0], (k.ndim - 2) // 2
    perm = (0,) + tuple(2 + 2 * p for p in range(n_sp)) + (1,) + tuple(3 + 2 * p for p in range(n_sp))
    size = n * int(np.prod(k.shape[2::2]))
    return np.transpose(np.asarray(k, np.float64), perm).reshape(size, size)


def embed_diagonal(d):
    """(N1, N2, S₁, S₂, …) → (N1, N2, S₁, S₁', S₂, S₂', …), zero off the spatial diagonal."""
    out = np.asarray(d, np.float64)
    for p in range(d.ndim - 2):
        axis = 2 + 2 * p
        eye = np.eye(out.shape[axis]).reshape((1,) * axis + (out.shape[axis],) * 2 + (1,) * (out.ndim - axis - 1))
        out = np.expand_dims(out, axis + 1) * eye
    return out


def spatial_diagonal(k):
    """K[i, j, s₁, s₁, s₂, s₂, …] → (N1, N2, S₁, S₂, …), written with numpy indexing."""
    sizes = k.shape[2::2]
    grids = np.meshgrid(*[np.arange(n) for n in sizes], indexing="ij")
    index = (slice(None), slice(None)) + tuple(g for g in grids for _ in (0, 1))
    return np.asarray(k)[index]


@pytest.mark.slow
def test_spatial_outputs_layout_symmetry_psd_diagonal_and_tiles():
    """Networks ending spatially, float32 and float64: nngp/ntk (N1, N2, S₁, S₁', S₂, S₂'),
    or (N1, N2, S₁, S₂) when the output is known to be spatially white (see `Net`); a white
    output returned in full is exactly zero off the spatial diagonal; the Gram is exactly
    symmetric under (i, s) ↔ (j, s') and PSD as a matrix over (example, position);
    diagonal_spatial=True returns its spatial diagonal (N, N, S₁, S₂) (to rounding: it is
    computed by another program, on the diagonal only); on one example in three the tiled
    paths equal the direct ones."""
    symmetry, example, cycle = Symmetry(), itertools.count(), tile_cycle("blocks", "pairs")

    @settings(max_examples=6, **SETTINGS)
    @given(net=conv_networks(readout=False))
    def examples(net):
        tiles = cycle[next(example) % len(cycle)]
        for dtype in DTYPES:
            x = inputs(net.ndim, dtype)
            tiled = tiles is not None and tiles[1] is dtype
            sizes = tuple(net.layer.output_shape((N1,) + EXAMPLE_SHAPES[net.ndim])[1:-1])
            white = net.white_known  # kernel_fn returns the spatial diagonal only
            expected = (N1, N2) + (sizes if white else tuple(s for n in sizes for s in (n, n)))
            if not tiled:  # the layout of the cross kernel, without computing it
                shape = jax.eval_shape(lambda a, b: net.layer.kernel_fn(a, b, get="nngp"), x[:N1], x[N1:]).shape
                assert shape == expected
            full = net.layer.kernel_fn(x, get=("nngp", "ntk"))
            diag = net.layer.kernel_fn(x, get=("nngp", "ntk"), diagonal_spatial=True)
            for name in ("nngp", "ntk"):
                k, d = np.asarray(getattr(full, name)), np.asarray(getattr(diag, name))
                assert k.dtype == dtype and d.dtype == dtype
                assert k.shape == (N1 + N2, N1 + N2) + expected[2:]
                assert d.shape == (N1 + N2, N1 + N2) + sizes
                assert np.all(np.isfinite(d))
                symmetry.check(k, pair_transpose(k, white), net, dtype, f"{name} full spatial")
                symmetry.check(d, pair_transpose(d, True), net, dtype, f"{name} diagonal_spatial")
                if net.white and not white:  # white, returned in full: zeros off the diagonal
                    np.testing.assert_array_equal(k, embed_diagonal(spatial_diagonal(k)))
                assert_psd(as_matrix(embed_diagonal(k) if white else k))
                assert_agree(d, k if white else spatial_diagonal(k), net, dtype, f"{name} diagonal_spatial vs full")
            if tiled:
                cross = net.layer.kernel_fn(x[:N1], x[N1:], get=("nngp", "ntk"))
                assert cross.nngp.shape == expected and cross.ntk.shape == expected
                for name in ("nngp", "ntk"):
                    assert_agree(getattr(cross, name), np.asarray(getattr(full, name))[:N1, N1:], net, dtype,
                                 f"{name} spatial cross vs joint block")
                check_tiles(net, x, tiles, full, cross, dtype, symmetry, diagonal=white)

    examples()
    symmetry.finish()


# ------------------------------------------------------------------------- regressions

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_direct_gram_is_exactly_symmetric(dtype):
    """Minimal networks whose last operation is a mean: their Grams must equal their
    transposes bit for bit, as every x2=None Gram (the engine's documented guarantee).

    Regression: XLA:CPU contracted the mean's scaling into (K + Kᵀ)/2 as an FMA when both ran
    in one program (it drops `optimization_barrier`); the mirror now runs on its own."""
    x = inputs(2, dtype)
    for layer in (stax.GlobalAvgPool(), stax.serial(stax.AvgPool((2, 2)), stax.Flatten())):
        k = np.asarray(layer.kernel_fn(x, get="nngp"))
        np.testing.assert_array_equal(k, k.T)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_conv_local_bias_on_full_spatial_covariance(dtype):
    """Per-position biases are independent, so a ConvLocal bias adds b² on the spatial
    diagonal only: K_b[i, j, s, s'] − K_0[i, j, s, s'] = b²·δ(s, s') (nngp and ntk).

    Regression: this raised under jax_numpy_rank_promotion='raise' (the (S, S', ...) bias
    pattern was added to (N1, N2, S, S', ...) kernels without explicit batch axes)."""
    x = inputs(2, dtype)
    b = 0.5
    pool = stax.SumPool((1, 1))  # the identity, which needs (hence returns) the full covariance

    def kernels(b_std):
        net = stax.serial(stax.ConvLocal(2, (2, 2), padding="SAME", W_std=1.3, b_std=b_std), pool)
        return net.kernel_fn(x, get=("nngp", "ntk"))

    with_b, without = kernels(b), kernels(None)
    h, w = EXAMPLE_SHAPES[2][:2]
    delta = np.einsum("ab,cd->abcd", np.eye(h), np.eye(w))  # (h, h', w, w'): δ(h, h') δ(w, w')
    for name in ("nngp", "ntk"):
        diff = np.asarray(getattr(with_b, name), np.float64) - np.asarray(getattr(without, name), np.float64)
        # derived: b² is added once, so the two kernels differ by b²·δ plus the rounding of
        # that addition and of the subtraction here, ≤ 1 ulp of max|K| each (4 eps: margin 2)
        scale = np.abs(np.asarray(getattr(with_b, name))).max()
        np.testing.assert_allclose(diff, np.broadcast_to(b**2 * delta, diff.shape), rtol=0,
                                   atol=4 * float(jnp.finfo(dtype).eps) * scale)


def test_strict_dtype_promotion_is_on():
    """tests/stax/conftest.py runs these tests with strict dtype promotion, so a float32
    kernel silently computed in float64 would fail here (with the dtype assertions above)."""
    assert jax.config.jax_numpy_dtype_promotion == "strict"
    with pytest.raises(jax.dtypes.TypePromotionError):
        jnp.ones(2, jnp.float32) + jnp.ones(2, jnp.float64)
