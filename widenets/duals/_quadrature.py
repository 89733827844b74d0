"""Gaussian expectations by Gauss–Hermite quadrature, 1-D, 2-D and p-D (`gaussian_expectation_nd`).

These are the expectation utilities the rest of widenets reuses (`numerical` duals,
finite-width corrections such as ⟨σ⁴⟩ or ⟨σ²(z² − K)⟩, spectra). Nodes: with
``scipy.special.roots_hermite(deg)`` giving (x_i, w_i) for the weight e^{−x²},

    E[g(z)], z ~ N(0, 1)  ≈  Σ_i (w_i/√π) g(√2 x_i),

exact for polynomials g of degree ≤ 2·deg − 1 (Abramowitz & Stegun 25.4.46). For a pair with
variances q11, q22 and correlation ρ = cos θ (clipped to [−1, 1], 0 where a variance is 0;
see `correlation`), the 2-D rule uses the factorisation

    u = √q11·z1,   v = √q22·(ρ z1 + √(1 − ρ²) z2)     (roles swapped if q22 > q11),

which has no division and stays exact at q11 = 0, q22 = 0 and |ρ| = 1 (where it reduces to
the 1-D rule). Factoring on the larger variance first makes the rule symmetric: swapping
(q11, q22) swaps (u, v) node by node, so kernel matrices of a symmetric f come out exactly
symmetric. Small problems evaluate all nodes at once (vmap); large ones (more than
`VECTORIZE_LIMIT` integrand values) run a `jax.lax.scan` over the deg (or deg²) nodes, so
memory stays that of one evaluation of the integrand. Everything is jit- and vmap-able and
keeps the dtype of the variances (nodes are cast to it).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

from .._validation import as_float_array, check_int
from ._dual import correlation
from ._util import broadcast, check_callable, float_dtype

Array = jax.Array


@functools.lru_cache(maxsize=64)
def hermite_nodes(deg: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal Gauss–Hermite nodes z_i = √2 x_i and weights w_i/√π (float64, numpy)."""
    x, w = scipy.special.roots_hermite(deg)
    return math.sqrt(2.0) * x, w / math.sqrt(math.pi)


# Above this many integrand values (nodes × output size) the sum runs as a scan over the
# nodes (memory of one integrand evaluation); below, all nodes are evaluated at once (vmap),
# which is faster and needs no compilation when called outside jit.
VECTORIZE_LIMIT = 2**21


def _weighted_sum(term: Callable[[Array], Array], xs: Array, weights: Array, like: Array) -> Array:
    """Σ_k weights[k] · term(xs[k]); the output takes term's shape and like's dtype."""
    dtype = like.dtype
    shape = jax.eval_shape(term, xs[0]).shape
    if xs.shape[0] * math.prod(shape) <= VECTORIZE_LIMIT:
        values = jnp.asarray(jax.vmap(term)(xs), dtype)
        w = jnp.reshape(weights, (-1,) + (1,) * len(shape))
        return jnp.sum(w * values, axis=0)

    def step(acc, node):
        x, w = node
        return acc + w * jnp.asarray(term(x), dtype), None

    out, _ = jax.lax.scan(step, jnp.zeros(shape, dtype), (xs, weights))
    return out


def gaussian_expectation(f: Callable[[Array], Array], var: Any, deg: int = 64) -> Array:
    """E[f(z)] for z ~ N(0, var), by ``deg``-point Gauss–Hermite quadrature.

    Args:
      f: elementwise function (array → array of the same shape).
      var: variance(s), any shape (negative values are treated as 0).
      deg: number of nodes (≥ 1); exact when f is a polynomial of degree ≤ 2·deg − 1.

    Returns:
      An array of ``var``'s shape and floating dtype.

    Example: ``gaussian_expectation(lambda z: z**4, 2.0)`` → 12.0 (= 3·var²).
    """
    check_callable("f", f)
    deg = check_int("deg", deg, minimum=1)
    dtype = float_dtype(var)
    var = jnp.asarray(var, dtype=dtype)
    sd = jnp.sqrt(jnp.maximum(var, 0))
    z, w = (jnp.asarray(v, dtype=dtype) for v in hermite_nodes(deg))
    return _weighted_sum(lambda zi: f(sd * zi), z, w, var)


def gaussian_expectation_2d(
    f: Callable[[Array, Array], Array], q11: Any, q22: Any, q12: Any, deg: int = 32
) -> Array:
    """E[f(u, v)] for a centred Gaussian pair with Var u = q11, Var v = q22, Cov = q12.

    Tensor-product Gauss–Hermite rule with ``deg``² nodes (module docstring); exact when f
    is a polynomial of degree ≤ 2·deg − 1 in each variable. Broadcasts over (q11, q22, q12).

    Example: ``gaussian_expectation_2d(lambda u, v: u**2 * v**2, 1.0, 2.0, 0.5)`` → 2.5
    (= q11 q22 + 2 q12²).
    """
    check_callable("f", f)
    deg = check_int("deg", deg, minimum=1)
    q11, q22, q12 = broadcast(q11, q22, q12)
    _, cos, sin = correlation(q11, q22, q12)
    # factor on the larger variance first: then swapping (q11, q22) swaps (u, v) node by
    # node, so a symmetric f gives exactly symmetric kernel matrices
    swap = q22 > q11
    s_big = jnp.sqrt(jnp.maximum(jnp.maximum(q11, q22), 0))
    s_small = jnp.sqrt(jnp.maximum(jnp.minimum(q11, q22), 0))
    z, w = hermite_nodes(deg)
    z1, z2 = (np.ravel(g) for g in np.meshgrid(z, z, indexing="ij"))
    ww = np.ravel(np.outer(w, w))
    nodes = jnp.asarray(np.stack([z1, z2], axis=1), dtype=q12.dtype)
    weights = jnp.asarray(ww, dtype=q12.dtype)

    def term(node):
        x = s_big * node[0]
        y = s_small * (cos * node[0] + sin * node[1])
        return f(jnp.where(swap, y, x), jnp.where(swap, x, y))

    return _weighted_sum(term, nodes, weights, q12)


def _tree_weighted_sum(term: Callable[[Array], Any], xs: Array, weights: Array, dtype: Any) -> Any:
    """Σ_k weights[k] · term(xs[k]) for a pytree-valued ``term``, leaves cast to ``dtype``.

    Like `_weighted_sum`, but for pytrees and in chunks: when (nodes × integrand size) is at
    most `VECTORIZE_LIMIT` every node is evaluated at once (vmap); otherwise the nodes are
    split into chunks of that many values, vmapped within a chunk and scanned over chunks
    (padding nodes carry weight 0), so memory stays about `VECTORIZE_LIMIT` values.
    """
    shapes = jax.eval_shape(term, xs[0])
    size = max(1, sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes)))
    n = xs.shape[0]

    def chunk_sum(x_chunk: Array, w_chunk: Array) -> Any:
        values = jax.vmap(term)(x_chunk)

        def reduce(v):
            v = jnp.asarray(v, dtype)
            w = jnp.reshape(w_chunk, (-1,) + (1,) * (v.ndim - 1))
            return jnp.sum(w * v, axis=0)

        return jax.tree_util.tree_map(reduce, values)

    if n * size <= VECTORIZE_LIMIT:
        return chunk_sum(xs, weights)
    chunk = max(1, VECTORIZE_LIMIT // size)
    n_chunks = -(-n // chunk)
    pad = n_chunks * chunk - n
    xs = jnp.concatenate([xs, jnp.zeros((pad,) + xs.shape[1:], xs.dtype)])
    weights = jnp.concatenate([weights, jnp.zeros((pad,), weights.dtype)])
    xs = jnp.reshape(xs, (n_chunks, chunk) + xs.shape[1:])
    weights = jnp.reshape(weights, (n_chunks, chunk))
    init = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, dtype), shapes)

    def step(acc, node_chunk):
        x_chunk, w_chunk = node_chunk
        part = chunk_sum(x_chunk, w_chunk)
        return jax.tree_util.tree_map(jnp.add, acc, part), None

    out, _ = jax.lax.scan(step, init, (xs, weights))
    return out


def _psd_factor(cov: Array) -> Array:
    """A (p, r) matrix A with A Aᵀ = cov, from the eigendecomposition cov = U Λ Uᵀ.

    A = U_r Λ_r^{1/2} over the r eigenvalues above ``100·p·eps·λ_max`` when cov is concrete
    (dropping a direction of variance λ changes a smooth expectation by O(λ), below the
    dtype's resolution relative to λ_max), so singular covariances — duplicate inputs, a zero
    variance — need only deg^r nodes. Eigenvalues below ``−10⁴·p·eps·λ_max`` mean ``cov`` is
    not positive semi-definite (ValueError). Under tracing all p directions are kept, with
    negative eigenvalues clipped to 0.
    """
    p = cov.shape[0]
    eps = float(jnp.finfo(cov.dtype).eps)
    lam, vecs = jnp.linalg.eigh((cov + cov.T) / 2)
    try:
        lam_np = np.asarray(lam, dtype=np.float64)
    except jax.errors.TracerArrayConversionError:  # traced: keep every direction
        return vecs * jnp.sqrt(jnp.maximum(lam, 0))[None, :]
    top = max(float(np.max(np.abs(lam_np))), 0.0)
    if lam_np.min() < -1e4 * p * eps * top:
        raise ValueError(
            f"`cov` must be positive semi-definite, got eigenvalues {lam_np.tolist()} "
            f"(smallest {lam_np.min():.3g})."
        )
    keep = np.nonzero(lam_np > 100 * p * eps * top)[0]
    return vecs[:, keep] * jnp.sqrt(lam[keep])[None, :]


def gaussian_expectation_nd(f: Callable[[Array], Any], cov: Any, deg: int = 16) -> Any:
    """E[f(z)] for z ~ N(0, cov), cov a (p, p) positive semi-definite matrix (p small).

    Tensor-product Gauss–Hermite rule over the rank r of ``cov``: with cov = A Aᵀ, A = U_r Λ_r^{1/2}
    from the eigendecomposition (see `_psd_factor`), and (ξ_k, w_k) the deg^r products of the
    1-D standard-normal nodes of `hermite_nodes`,

        E[f(z)] ≈ Σ_k w_k f(A ξ_k),

    exact when f is a polynomial of total degree ≤ 2·deg − 1. The symmetric factorisation
    handles singular covariances (duplicate inputs, zero variances) and reduces for p = 1 to
    the 1-D rule of `gaussian_expectation` node by node. Cost: deg^r evaluations of f, so keep
    p ≲ 4–5 (or lower ``deg``).

    Args:
      f: maps one point z, an array (p,), to an array or a pytree of arrays.
      cov: (p, p) symmetric PSD covariance (asymmetry above 10⁻¹⁰ relative is an error).
      deg: nodes per dimension (≥ 1).

    Returns:
      The pytree of ``f``'s structure, leaves in ``cov``'s floating dtype.

    Example: ``gaussian_expectation_nd(lambda z: z[0]**2 * z[1]**2, [[1., .5], [.5, 2.]])``
    → 2.5 (= K11 K22 + 2 K12², Isserlis).
    """
    check_callable("f", f)
    deg = check_int("deg", deg, minimum=1)
    cov = as_float_array("cov", cov, min_ndim=2)
    dtype = cov.dtype
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] == 0:
        raise ValueError(f"`cov` must be a square (p, p) matrix with p >= 1, got shape {cov.shape}.")
    try:
        cov_np = np.asarray(cov, dtype=np.float64)
    except jax.errors.TracerArrayConversionError:
        cov_np = None
    if cov_np is not None:
        scale = max(float(np.max(np.abs(cov_np))), np.finfo(np.float64).tiny)
        if np.max(np.abs(cov_np - cov_np.T)) > 1e-10 * scale:
            raise ValueError(f"`cov` must be symmetric, got {cov_np.tolist()}.")
    factor = _psd_factor(cov)
    r = factor.shape[1]
    z1, w1 = hermite_nodes(deg)
    if r == 0:  # cov = 0: z = 0 almost surely
        return jax.tree_util.tree_map(
            lambda v: jnp.asarray(v, dtype), f(jnp.zeros((cov.shape[0],), dtype))
        )
    grids = np.meshgrid(*([z1] * r), indexing="ij")
    xi = np.stack([np.ravel(g) for g in grids], axis=1)
    wgrids = np.meshgrid(*([w1] * r), indexing="ij")
    w = np.prod(np.stack([np.ravel(g) for g in wgrids], axis=1), axis=1)
    xi = jnp.asarray(xi, dtype=dtype)
    w = jnp.asarray(w, dtype=dtype)
    return _tree_weighted_sum(lambda node: f(factor @ node), xi, w, dtype)
