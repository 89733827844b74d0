"""Probabilists' Hermite polynomials and multivariate Hermite tensors.

For a centred Gaussian density φ_K on R^p, the Hermite tensor of order n is

    H^{a1…an}(y) = (−1)^n ∂_{a1}…∂_{an} φ_K(y) / φ_K(y)
                 = Σ_{partial pairings P of {1..n}} (−1)^{|P|} Π_{(i,j)∈P} K^{a_i a_j} Π_{i unpaired} u_{a_i},

with u = K⁻¹y and K^{ab} = (K⁻¹)_{ab} (McCullagh, *Tensor Methods in Statistics*, ch. 5;
PDLT arXiv:2106.10165 §4.3 for this index raising). For p = 1, K = 1 it is He_n. They are
built by the recurrence H^{(n+1)}_{a…,b} = H^{(n)}_{a…} u_b − Σ_i K^{a_i b} H^{(n−1)}_{a…(no a_i)},
i.e. H_{n+1} = u H_n − ∂H_n, which follows from ∂_b(H_n φ) = −H_{n+1} φ.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._validation import as_float_array, check_int

Array = jax.Array


def hermite_e(n: int, u: Any) -> Array:
    """He_n(u), the probabilists' Hermite polynomial (He_0 = 1, He_1 = u,
    He_{k+1} = u He_k − k He_{k−1}); elementwise, keeps ``u``'s floating dtype."""
    n = check_int("n", n, minimum=0)
    u = as_float_array("u", u, min_ndim=0)
    prev, cur = jnp.ones_like(u), u
    if n == 0:
        return prev
    for k in range(1, n):
        prev, cur = cur, u * cur - k * prev
    return cur


def inverse_psd(name: str, K: Any) -> Array:
    """K⁻¹ for a symmetric positive-definite (p, p) ``K`` (ValueError naming ``name`` otherwise)."""
    K = as_float_array(name, K, min_ndim=2)
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise ValueError(f"`{name}` must be a square (p, p) matrix, got shape {K.shape}.")
    try:
        lam = jnp.linalg.eigvalsh((K + K.T) / 2)
        ok = bool(jnp.min(lam) > 0) and bool(jnp.allclose(K, K.T, rtol=1e-10, atol=0))
    except jax.errors.ConcretizationTypeError:  # traced: cannot check values
        ok = True
    if not ok:
        raise ValueError(f"`{name}` must be symmetric positive definite, got {K.tolist()}.")
    return jnp.linalg.inv(K)


def hermite_tensor(y: Any, K: Any, order: int) -> Array:
    """Hermite tensor H^{a1…a_order}(y) of the Gaussian N(0, K) (module docstring).

    Args:
      y: points, shape (..., p).
      K: (p, p) symmetric positive-definite covariance.
      order: tensor order n ≥ 0.

    Returns:
      Array (..., p, …, p) with ``order`` trailing axes of size p; symmetric in them.
    """
    order = check_int("order", order, minimum=0)
    y = as_float_array("y", y, min_ndim=1)
    kinv = inverse_psd("K", K).astype(y.dtype)
    p = kinv.shape[0]
    if y.shape[-1] != p:
        raise ValueError(f"`y` must have last axis of size p = {p} (that of `K`), got shape {y.shape}.")
    u = jnp.einsum("ab,...b->...a", kinv, y)
    return hermite_tensor_from_u(u, kinv, order)


def hermite_tensor_from_u(u: Array, kinv: Array, order: int) -> Array:
    """The Hermite tensor from u = K⁻¹y (..., p) and K⁻¹ (p, p), by the recurrence of the
    module docstring (no argument checks: for internal use inside quadratures)."""
    p = kinv.shape[0]
    batch = u.ndim - 1
    h_prev = jnp.ones(u.shape[:-1], u.dtype)  # H^{(0)}
    if order == 0:
        return h_prev
    h_cur = u  # H^{(1)}
    for n in range(1, order):
        # H^{(n+1)}[..., a1..an, b] = H^{(n)}[..., a1..an] u_b − Σ_i K^{a_i b} H^{(n−1)}[..., â_i]
        new = h_cur[..., None] * jnp.reshape(u, u.shape[:-1] + (1,) * n + (p,))
        for i in range(n):
            # term (..., rest (n−1 axes), a_i, b), then move a_i to position i
            term = h_prev[..., None, None] * jnp.reshape(kinv, (1,) * h_prev.ndim + (p, p))
            new = new - jnp.moveaxis(term, batch + n - 1, batch + i)
        h_prev, h_cur = h_cur, new
    return h_cur
