"""Random controlled ResNets: sampling the weights and running one network on a batch of paths.

A controlled ResNet of width N driven by a path x sampled on a grid x⁰, …, x^{L−1} ∈ ℝ^d
(Cirone, Lemercier & Salvi 2023, arXiv:2303.17671):

    Z₀ = σ₀ ξ,     Z_{k+1} = Z_k + Σ_{i=1}^d (A_i φ(Z_k) + b_i) Δx_i^k,     Δx^k = x^{k+1} − x^k.

* homogeneous: one draw of A_i (entries N(0, σ_A²/N)) and b_i (entries N(0, σ_b²)) is used at
  every step (weights shared across depth);
* inhomogeneous: fresh A_i^k, b_i^k at every step, with the variances divided by the time step
  Δt = 1/(L − 1) of the uniform grid t_k = k/(L − 1) on [0, 1]: entries N(0, σ_A²/(N Δt)) and
  N(0, σ_b²/Δt). This is the paper's scaling, under which Σ_k A^k Δt behaves like a matrix
  Brownian motion and the kernel has a non-trivial depth limit; without it the inhomogeneous
  kernel tends to σ₀² as the grid is refined (Σ_k ⟨Δx^k, Δy^k⟩ → 0 for paths of bounded
  variation).

Two samplers for the inhomogeneous network (the homogeneous one always draws the matrices):

* ``"weights"``: draws A_i^k explicitly (d N² normals per step), step k from
  ``fold_in(key, k)``; a network is then a function of the key alone.
* ``"gaussian"``: exact in law for the batch. Given Z_k, the fresh rows of A_i^k are
  independent of the past, so for the batch matrix H = φ(Z_k) (m × N) the products
  A_i^k Hᵀ (N × m) have i.i.d. rows N(0, s² H Hᵀ), s² = σ_A²/(N Δt). With the thin QR
  factorisation Hᵀ = Q R (Q orthonormal columns) A_i^k Hᵀ = (A_i^k Q) R and A_i^k Q has i.i.d.
  N(0, s²) entries, so A_i^k Hᵀ =ᵈ s E R with E standard normal (N × min(N, m)): O(N m²) per step
  instead of O(N² m). The outputs of *one call* are jointly distributed as one network applied
  to the whole batch; two calls with the same key are not the same network.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array

SAMPLERS = ("auto", "weights", "gaussian")


def resolve_sampler(sampler: str, homogeneous: bool) -> str:
    """``"auto"`` → ``"weights"`` (homogeneous) or ``"gaussian"`` (inhomogeneous)."""
    if sampler == "auto":
        return "weights" if homogeneous else "gaussian"
    if sampler == "gaussian" and homogeneous:
        raise ValueError(
            "`sampler='gaussian'` is exact only for fresh weights at every step (homogeneous=False); "
            "a homogeneous network reuses its weights, use sampler='weights' or 'auto'."
        )
    return sampler


def _draw_weights(key: Array, width: int, d: int, a_std: float, b_std: float, dtype) -> tuple[Array, Array]:
    """A (d, N, N) with entries N(0, a_std²) and b (d, N) with entries N(0, b_std²)."""
    ka, kb = jax.random.split(key)
    a = a_std * jax.random.normal(ka, (d, width, width), dtype)
    b = b_std * jax.random.normal(kb, (d, width), dtype)
    return a, b


def _increment(phi_z: Array, a: Array, b: Array, dx: Array) -> Array:
    """Σ_i (A_i φ(Z) + b_i) Δx_i for a batch: φ(Z) (m, N), A (d, N, N), b (d, N), Δx (m, d) → (m, N)."""
    d, n, _ = a.shape
    az = (phi_z @ a.reshape(d * n, n).T).reshape(phi_z.shape[0], d, n)  # (m, d, N): A_i φ(Z)
    return jnp.einsum("mi,min->mn", dx, az + b[None])


def forward(key: Array, x: Array, fn, width: int, sigma_0: float, sigma_A: float, sigma_b: float,
            homogeneous: bool, sampler: str) -> Array:
    """Z_T for the batch of paths ``x`` (m, L, d) under one random network; returns (m, N).

    Inputs are assumed validated (see `widenets.signature.empirical.controlled_resnet`)."""
    m, length, d = x.shape
    dtype = x.dtype
    k_xi, k_w = jax.random.split(key)
    z0 = sigma_0 * jax.random.normal(k_xi, (width,), dtype)
    z0 = jnp.broadcast_to(z0[None, :], (m, width))
    dxs = jnp.swapaxes(jnp.diff(x, axis=1), 0, 1)  # (L-1, m, d)

    if homogeneous:
        a, b = _draw_weights(k_w, width, d, sigma_A / width**0.5, sigma_b, dtype)

        def step(z, dx):
            return z + _increment(fn(z), a, b, dx), None

        z_t, _ = jax.lax.scan(step, z0, dxs)
        return z_t

    dt = 1.0 / (length - 1)
    a_std = sigma_A / (width * dt) ** 0.5
    b_std = sigma_b / dt**0.5
    steps = jnp.arange(length - 1)

    if sampler == "weights":
        def step(z, inp):
            k, dx = inp
            a, b = _draw_weights(jax.random.fold_in(k_w, k), width, d, a_std, b_std, dtype)
            return z + _increment(fn(z), a, b, dx), None
    else:
        rank = min(width, m)

        def step(z, inp):
            k, dx = inp
            ka, kb = jax.random.split(jax.random.fold_in(k_w, k))
            r = jnp.linalg.qr(fn(z).T, mode="r")  # Hᵀ = Q R, R: (rank, m); Q is not needed
            e = jax.random.normal(ka, (d, width, rank), dtype)
            az = a_std * jnp.einsum("inr,rm->min", e, r)  # (m, d, N) =ᵈ A_i φ(Z_m)
            b = b_std * jax.random.normal(kb, (d, width), dtype)
            return z + jnp.einsum("mi,min->mn", dx, az + b[None]), None

    z_t, _ = jax.lax.scan(step, z0, (steps, dxs))
    return z_t
