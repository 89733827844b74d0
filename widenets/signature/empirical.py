"""Finite random controlled ResNets and their Monte-Carlo kernels (see docs/theory/signature.md).

Cirone, Lemercier & Salvi 2023 (arXiv:2303.17671): a controlled ResNet of width N,

    Z₀ = σ₀ ξ,   Z_{k+1} = Z_k + Σ_i (A_i φ(Z_k) + b_i) Δx_i^k,   f(x) = ⟨v, Z_T(x)⟩/√N,

converges as N → ∞ and then the grid is refined to a Gaussian process whose covariance is the
*neural signature kernel* (`widenets.signature.theory.neural_signature_kernel`). This module
gives the three empirical objects needed to test that statement piece by piece:

* `controlled_resnet` — one random network on a batch of paths (weights as in `_resnet`);
* `controlled_resnet_kernel_mc` — the Monte-Carlo mean (and standard error) over networks of
  E_v[f(x) f(y)] = Z_T(x)·Z_T(y)/N (v ~ N(0, I_N) averaged analytically);
* `controlled_resnet_limit_kernel` — the N → ∞ limit *at the network's own depth*, a discrete
  recursion derived below. It splits |MC − neural signature kernel| into a width error
  (MC − this recursion: O(1/N) bias + MC noise) and a discretisation error (this recursion −
  the continuous kernel: O(1/steps)).

Infinite-width limit at finite depth. Expand Z_{k+1}(x)·Z_{l+1}(y) exactly:

    K_{k+1,l+1} = K_{k,l+1} + K_{k+1,l} − K_{k,l} + ΔZ_k(x)·ΔZ_l(y)/N,

with ΔZ_k(x) = Σ_i (A_i φ(Z_k(x)) + b_i) Δx_i^k. As N → ∞ (Gaussian conditioning / tensor
programs: the vectors A_i h are jointly Gaussian with Cov(A_i h, A_j h') = δ_ij σ_A² ⟨h h'⟩ and
independent of ξ and b) the last term tends to (σ_A² V_φ(Σ_{kl}) + σ_b²) ⟨Δx^k, Δy^l⟩ with
V_φ(Σ) = E[φ(u)φ(v)], (u, v) ~ N(0, [[K^{xx}_{kk}, K_{kl}], [K_{kl}, K^{yy}_{ll}]]), and
K_{0,l} = K_{k,0} = σ₀². So the homogeneous network's limit is exactly the *explicit* scheme
for the neural signature-kernel PDE at refinement 0 on the path grids. With fresh weights per
step (variances / Δt, see `_resnet`) only diagonal terms survive and the limit is the forward
Euler scheme of the ODE along the diagonal,

    K_{k+1} = K_k + (σ_A² V_φ(K^{xx}_k, K^{yy}_k, K_k) + σ_b²) ⟨Δx^k, Δy^k⟩ / Δt.

Two cases are exact at every width (used by the tests): one homogeneous step (A independent of
ξ) and the inhomogeneous network with φ = identity (E[AᵀA] = σ_A²/Δt · I).
"""
from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from .._validation import as_float_array, check_choice, check_float, check_int, check_key
from ..duals import Dual
from . import _resnet, theory

Array = jax.Array

#: default memory budget for one vmapped chunk of networks in `controlled_resnet_kernel_mc`
CHUNK_BYTES = 2**28


# ----------------------------------------------------------------------------- validation
def _check_paths(name: str, x: Any) -> Array:
    x = as_float_array(name, x, min_ndim=3)
    if x.ndim != 3:
        raise ValueError(f"`{name}` must have shape (paths, length, channels), got shape {x.shape}.")
    if x.shape[0] < 1 or x.shape[1] < 2 or x.shape[2] < 1:
        raise ValueError(
            f"`{name}` needs at least one path of at least 2 points in at least 1 channel, got shape {x.shape}."
        )
    return x


def _check_pair(X: Any, Y: Any, homogeneous: bool) -> tuple[Array, Array | None]:
    X = _check_paths("X", X)
    if Y is None:
        return X, None
    Y = _check_paths("Y", Y)
    if Y.shape[2] != X.shape[2]:
        raise ValueError(f"`Y` must have the channels of `X`: got X {X.shape} and Y {Y.shape}.")
    if not homogeneous and Y.shape[1] != X.shape[1]:
        raise ValueError(
            "an inhomogeneous network indexes its weights by step, so `X` and `Y` need the same grid "
            f"length: got X {X.shape} and Y {Y.shape}."
        )
    dtype = jnp.promote_types(X.dtype, Y.dtype)
    return X.astype(dtype), Y.astype(dtype)


def _check_common(dual: Any, sigma_0: Any, sigma_A: Any, sigma_b: Any, homogeneous: Any):
    if not isinstance(dual, Dual):
        raise TypeError(f"`dual` must be a widenets.duals.Dual (e.g. duals.relu()), got {type(dual).__name__}.")
    if not isinstance(homogeneous, bool):
        raise TypeError(f"`homogeneous` must be a bool, got {homogeneous!r}.")
    return tuple(check_float(n, v, nonnegative=True)
                 for n, v in (("sigma_0", sigma_0), ("sigma_A", sigma_A), ("sigma_b", sigma_b)))


def _check_fn(dual: Dual):
    if not dual.has_fn:
        raise ValueError(f"`dual` ({dual.name}) has no activation `fn`, so no network can be built from it.")
    return dual.fn


# ----------------------------------------------------------------------------- one network
def controlled_resnet(key: Array, x: Any, dual: Dual, width: int, *, sigma_0: float = 1.0,
                      sigma_A: float = 1.0, sigma_b: float = 0.0, homogeneous: bool = True,
                      sampler: str = "auto") -> Array:
    """Terminal state Z_T of one random controlled ResNet for each path of a batch.

    Z₀ = σ₀ ξ (ξ ~ N(0, I_N), shared by all paths), Z_{k+1} = Z_k + Σ_i (A_i φ(Z_k) + b_i) Δx_i^k on
    the path's own grid (arXiv:2303.17671). Homogeneous: A_i entries N(0, σ_A²/N), b_i
    entries N(0, σ_b²), shared by all steps. Inhomogeneous: fresh per step with variances
    σ_A²/(N Δt) and σ_b²/Δt, Δt = 1/(L − 1) (time on [0, 1]; see `widenets.signature._resnet`).

    Args:
      key: a `jax.random` key; the network is a deterministic function of it (for the
        inhomogeneous ``"gaussian"`` sampler: of the key and the batch).
      x: paths, shape (m, L, d).
      dual: the activation, as a `widenets.duals.Dual` (its ``fn`` is φ).
      width: N.
      sampler: ``"auto"`` | ``"weights"`` | ``"gaussian"`` (inhomogeneous only, exact in law).

    Returns:
      Z_T, shape (m, N).
    """
    key = check_key("key", key)
    x = _check_paths("x", x)
    width = check_int("width", width, minimum=1)
    s0, sa, sb = _check_common(dual, sigma_0, sigma_A, sigma_b, homogeneous)
    sampler = _resnet.resolve_sampler(check_choice("sampler", sampler, _resnet.SAMPLERS), homogeneous)
    return _resnet.forward(key, x, _check_fn(dual), width, s0, sa, sb, homogeneous, sampler)


# ----------------------------------------------------------------------------- Monte Carlo
def _merge(acc, n_b: Array, mean_b: Array, m2_b: Array):
    """Chan et al.'s pairwise update of (count, mean, Σ(x − mean)²); exact for n_a = 0."""
    n_a, mean_a, m2_a = acc
    n = n_a + n_b
    delta = mean_b - mean_a
    return n, mean_a + delta * (n_b / n), m2_a + m2_b + delta * delta * (n_a * n_b / n)


def _chunk_stats(kernels: Array, weight: Array) -> tuple[Array, Array, Array]:
    """(count, mean, Σ(K − mean)²) of the kernels whose ``weight`` is 1 (padding has weight 0)."""
    w = weight[:, None, None]
    n = weight.sum()
    mean = (w * kernels).sum(axis=0) / n
    return n, mean, (w * (kernels - mean[None]) ** 2).sum(axis=0)


@functools.partial(jax.jit, static_argnames=("fn", "width", "homogeneous", "sampler"))
def _mc_moments(keys, weight, X, Y, consts, *, fn, width, homogeneous, sampler):
    """(mean, Σ(K − mean)²) over networks; ``keys`` (chunks, chunk) are scanned chunk by chunk and
    vmapped within a chunk; ``weight`` (chunks, chunk) is 0 on padding keys."""
    a = X.shape[0]

    def one(k):
        def run(paths):
            return _resnet.forward(k, paths, fn, width, consts[0], consts[1], consts[2], homogeneous, sampler)

        if Y is None:
            z = run(X)
            return z @ z.T / width
        if homogeneous:  # the weights depend on the key only: run the two batches separately
            zx, zy = run(X), run(Y)
        else:  # one batch, so that the "gaussian" sampler sees both
            z = run(jnp.concatenate([X, Y]))
            zx, zy = z[:a], z[a:]
        return zx @ zy.T / width

    def body(acc, inp):
        ks, w = inp
        return _merge(acc, *_chunk_stats(jax.vmap(one)(ks), w)), None

    b = a if Y is None else Y.shape[0]
    zero = jnp.zeros((a, b), X.dtype)
    (_, mean, m2), _ = jax.lax.scan(body, (jnp.zeros((), X.dtype), zero, zero), (keys, weight))
    return mean, m2


def controlled_resnet_kernel_mc(key: Array, X: Any, Y: Any = None, *, dual: Dual, width: int,
                                n_networks: int, sigma_0: float = 1.0, sigma_A: float = 1.0,
                                sigma_b: float = 0.0, homogeneous: bool = True,
                                chunk: int | None = None, sampler: str = "auto") -> tuple[Array, Array]:
    """Monte-Carlo covariance of controlled-ResNet readouts, with its standard error.

    For each of ``n_networks`` independent networks (keys ``jax.random.split(key, n_networks)``)
    the readout f(x) = ⟨v, Z_T(x)⟩/√N, v ~ N(0, I_N), has E_v[f(x) f(y)] = Z_T(x)·Z_T(y)/N; this
    returns the mean over networks of that Gram matrix and its standard error
    sd/√n_networks (sample sd, ddof = 1). Its N → ∞ limit is `controlled_resnet_limit_kernel`;
    its N → ∞, steps → ∞ limit the neural signature kernel (arXiv:2303.17671).

    Networks are vmapped in chunks of ``chunk`` and the chunks run sequentially (`lax.scan`),
    merged with Chan et al.'s update, so memory does not grow with ``n_networks``: peak ≈
    chunk × itemsize × (d·N² [matrices; for the ``"gaussian"`` sampler d·N·(a+b)] + 4 (a+b)·N
    + 2 a·b) bytes. ``chunk=None`` picks the largest chunk with that under `CHUNK_BYTES`
    (256 MiB). The result does not depend on ``chunk`` beyond floating-point summation order.

    Args:
      key: `jax.random` key.
      X: paths (a, L, d). Y: paths (b, L', d) or ``None`` (then Y = X). Inhomogeneous
        networks need L' = L.
      dual, width, sigma_0, sigma_A, sigma_b, homogeneous, sampler: as in `controlled_resnet`.
      n_networks: number of independent networks (≥ 2).

    Returns:
      ``(mean, stderr)``, each of shape (a, b).
    """
    key = check_key("key", key)
    s0, sa, sb = _check_common(dual, sigma_0, sigma_A, sigma_b, homogeneous)
    X, Y = _check_pair(X, Y, homogeneous)
    width = check_int("width", width, minimum=1)
    n_networks = check_int("n_networks", n_networks, minimum=2)
    sampler = _resnet.resolve_sampler(check_choice("sampler", sampler, _resnet.SAMPLERS), homogeneous)
    fn = _check_fn(dual)
    a, length, d = X.shape
    b = a if Y is None else Y.shape[0]
    if chunk is None:
        weights = d * width * width if sampler == "weights" else d * width * (a + b)
        per_net = X.dtype.itemsize * (weights + 4 * (a + b) * width + 2 * a * b)
        chunk = max(1, min(n_networks, CHUNK_BYTES // per_net))
    chunk = min(check_int("chunk", chunk, minimum=1), n_networks)

    n_chunks = -(-n_networks // chunk)
    keys = jax.random.split(key, n_networks)
    keys = jnp.concatenate([keys, jnp.broadcast_to(keys[:1], (n_chunks * chunk - n_networks, *keys.shape[1:]))])
    weight = (jnp.arange(n_chunks * chunk) < n_networks).astype(X.dtype)
    mean, m2 = _mc_moments(keys.reshape(n_chunks, chunk, *keys.shape[1:]), weight.reshape(n_chunks, chunk),
                           X, Y, jnp.asarray([s0, sa, sb], X.dtype), fn=fn, width=width, homogeneous=homogeneous,
                           sampler=sampler)
    stderr = jnp.sqrt(m2 / (n_networks - 1) / n_networks)
    return mean, stderr


# ----------------------------------------------------------------------------- N → ∞ at finite depth
def controlled_resnet_limit_kernel(X: Any, Y: Any = None, *, dual: Dual, sigma_0: float = 1.0,
                                   sigma_A: float = 1.0, sigma_b: float = 0.0,
                                   homogeneous: bool = True) -> Array:
    """Infinite-width limit of the controlled-ResNet kernel at the network's finite depth.

    Homogeneous: the explicit scheme at refinement 0 on the path grids,
    K_{k+1,l+1} = K_{k,l+1} + K_{k+1,l} − K_{kl} + (σ_A² V_φ(Σ_kl) + σ_b²) ⟨Δx^k, Δy^l⟩,
    K_{0,·} = K_{·,0} = σ₀²; the self-kernels K^{xx}, K^{yy} (needed in Σ) are solved first.
    Inhomogeneous: forward Euler along the diagonal (grid t_k = k/(L−1)),
    K_{k+1} = K_k + (σ_A² V_φ(K^{xx}_k, K^{yy}_k, K_k) + σ_b²) ⟨Δx^k, Δy^k⟩/Δt.
    Derivation in the module docstring; the continuous-time limit of both is the neural
    signature kernel of arXiv:2303.17671 (the inhomogeneous one its diagonal ODE). Computed by
    `theory.neural_signature_kernel_gram` with ``scheme="explicit", refinement=0``, which is
    exactly this recursion.

    Args:
      X: paths (a, L, d); Y: paths (b, L', d) or ``None`` (Y = X). Inhomogeneous needs L' = L.

    Returns:
      the (a, b) Gram matrix of the limit kernel at the final times.
    """
    _check_common(dual, sigma_0, sigma_A, sigma_b, homogeneous)
    X, Y = _check_pair(X, Y, homogeneous)
    # one mechanism: the theory's explicit scheme at refinement 0 *is* this recursion
    return theory.neural_signature_kernel_gram(
        X, Y, dual=dual, sigma_0=sigma_0, sigma_A=sigma_A, sigma_b=sigma_b,
        homogeneous=homogeneous, refinement=0, scheme="explicit")


__all__ = ["controlled_resnet", "controlled_resnet_kernel_mc", "controlled_resnet_limit_kernel", "CHUNK_BYTES"]
