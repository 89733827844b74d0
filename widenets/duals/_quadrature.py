"""Gaussian expectations by Gauss–Hermite quadrature, 1-D and 2-D.

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

from .._validation import check_int
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
