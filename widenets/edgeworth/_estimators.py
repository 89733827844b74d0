"""Moment and cumulant estimators with delta-method standard errors, clustered by network.

Samples have shape (M,), (M, k) or (M, k, p): axis 0 indexes independent networks, axis 1
the k neurons *of one network* (exchangeable but correlated at finite width: e.g. two
neurons of one layer have E[z_i² z_j²] − K² = V/n ≠ 0, PDLT arXiv:2106.10165 §4.1), axis 2
the p inputs. Every statistic is a smooth function f(μ) of a few raw moments
μ_r = E[m_r], where m_r is computed *per network*, averaged over its k neurons:

    m_{r,j} = (1/k) Σ_{i≤k} z_{j,i}^r        (j = network).

The networks are i.i.d., so the m_j are i.i.d. vectors; the estimate is f(m̄) with
m̄ = (1/M) Σ_j m_j, and its standard error follows from the delta method (e.g. van der
Vaart, *Asymptotic Statistics*, ch. 3) with the covariance of the per-network moments:

    SE² = ∇f(m̄)ᵀ Σ̂ ∇f(m̄) / M,   Σ̂ = sample covariance of the m_j (ddof = 1),

computed as the sample variance of the linearised values ψ_j = ∇f(m̄)·(m_j − m̄). Treating
the neuron average as the unit makes the SE honest whatever the correlation between neurons
(naively treating the M·k neurons as independent underestimates it when they are positively
correlated). It also needs no Gaussian assumption: the textbook √(24/M) for the SE of the
excess kurtosis holds only for near-Gaussian data (docs/theory/finite-width.md).

**Zero mean.** All network outputs are symmetric in law (W → −W), so their odd moments vanish
and the cumulants are polynomials in the *raw* even moments: κ4 = μ4 − 3μ2²,
κ6 = μ6 − 15 μ4 μ2 + 30 μ2³. The estimators use raw (uncentred) moments and are only valid for
zero-mean data. They are plug-in estimators: their bias is O(1/M), negligible against the
SE, which is O(1/√M).
"""
from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .._validation import as_float_array, check_int

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class Estimate:
    """An estimate and its standard error (arrays of one shape)."""

    value: Array
    stderr: Array

    def __post_init__(self):
        if jnp.shape(self.value) != jnp.shape(self.stderr):
            raise ValueError(
                f"Estimate: `value` and `stderr` must have one shape, got {jnp.shape(self.value)} "
                f"and {jnp.shape(self.stderr)}."
            )


def check_samples(samples: Any, *, name: str = "samples", min_ndim: int = 1, max_ndim: int = 3) -> Array:
    arr = as_float_array(name, samples, min_ndim=min_ndim)
    if arr.ndim > max_ndim:
        raise ValueError(
            f"`{name}` must have shape (M,), (M, k) or (M, k, p) (networks, neurons, inputs), got shape {arr.shape}."
        )
    if arr.shape[0] < 2:
        raise ValueError(f"`{name}` needs at least 2 networks along axis 0 for a standard error, got {arr.shape[0]}.")
    if arr.ndim >= 2 and arr.shape[1] < 1:
        raise ValueError(f"`{name}` has no neurons along axis 1 (shape {arr.shape}).")
    return arr


def per_network_powers(samples: Array, powers: tuple[int, ...]) -> Array:
    """m_{r,j} = mean over neurons of z^r, for each r in ``powers``: shape (M, [p,] len(powers))."""
    z = samples if samples.ndim != 1 else samples[:, None]
    stacked = jnp.stack([jnp.mean(z**r, axis=1) for r in powers], axis=-1)
    return stacked  # (M, r) or (M, p, r)


def delta_method(f: Callable[[Array], Array], moments: Array) -> Estimate:
    """f(m̄) and its delta-method SE from per-network moment vectors ``moments`` (M, ..., r).

    ``f`` maps one moment vector (r,) to a scalar; it is applied over the middle axes.
    """
    M = moments.shape[0]
    mean = jnp.mean(moments, axis=0, keepdims=True)  # (1, ..., r)
    flat = mean.reshape((-1, mean.shape[-1]))
    value = jax.vmap(f)(flat).reshape(mean.shape[1:-1])
    grad = jax.vmap(jax.grad(f))(flat).reshape(mean.shape)
    psi = jnp.sum((moments - mean) * grad, axis=-1)  # (M, ...): linearised per-network values
    stderr = jnp.sqrt(jnp.sum(psi**2, axis=0) / (M - 1) / M)
    return Estimate(value=value, stderr=stderr)


@functools.partial(jax.jit, static_argnames=("powers", "f"))
def _moment_core(z: Array, powers: tuple[int, ...], f: Callable[[Array], Array]) -> tuple[Array, Array]:
    est = delta_method(f, per_network_powers(z, powers))
    return est.value, est.stderr


@functools.partial(jax.jit, static_argnames=("f",))
def _jit_delta(f: Callable[[Array], Array], moments: Array) -> tuple[Array, Array]:
    est = delta_method(f, moments)
    return est.value, est.stderr


def _moment_statistic(samples: Any, powers: tuple[int, ...], f: Callable[[Array], Array]) -> Estimate:
    z = check_samples(samples)
    value, stderr = _moment_core(z, powers, f)
    return Estimate(value=value, stderr=stderr)


# the statistics as functions of the raw-moment vector m = (μ2, μ4, μ6)[:r] (module level, so
# that the jitted core is compiled once per shape)
def _m2(m):
    return m[0]


def _k4(m):
    return m[1] - 3 * m[0] ** 2


def _g2(m):
    return m[1] / m[0] ** 2 - 3


def _k6(m):
    return m[2] - 15 * m[1] * m[0] + 30 * m[0] ** 3


def _joint4(m):
    return m[0] - m[1] * m[2] - m[3] * m[4] - m[5] * m[6]


def second_moment(samples: Any) -> Estimate:
    """E z² (the kernel K for zero-mean outputs), averaged over neurons, per input.

    ``samples``: (M,), (M, k) or (M, k, p) (networks, neurons, inputs); returns value/stderr of
    shape () or (p,). SE: clustered by network (module docstring).
    """
    return _moment_statistic(samples, (2,), _m2)


def covariance(samples: Any) -> Estimate:
    """E[z(x_a) z(x_b)] for all input pairs (the finite-width kernel), shape (p, p).

    ``samples``: (M, k, p). Zero mean, so this is the covariance; averaged over neurons per
    network, SE clustered by network. Its diagonal equals `second_moment`.
    """
    z = check_samples(samples, min_ndim=3)
    p = z.shape[2]
    prods = jnp.mean(z[:, :, :, None] * z[:, :, None, :], axis=1)  # (M, p, p)
    return Estimate(*_jit_delta(_m2, prods.reshape((z.shape[0], p, p, 1))))


def fourth_cumulant(samples: Any) -> Estimate:
    """κ4 = E z⁴ − 3(E z²)² for zero-mean z (raw moments; module docstring)."""
    return _moment_statistic(samples, (2, 4), _k4)


def excess_kurtosis(samples: Any) -> Estimate:
    """γ₂ = E z⁴/(E z²)² − 3 for zero-mean z, with a delta-method SE (not √(24/M))."""
    return _moment_statistic(samples, (2, 4), _g2)


def sixth_cumulant(samples: Any) -> Estimate:
    """κ6 = E z⁶ − 15 E z⁴ E z² + 30 (E z²)³ for zero-mean z (raw moments)."""
    return _moment_statistic(samples, (2, 4, 6), _k6)


def joint_cumulant4(samples: Any, a: int, b: int, c: int, d: int) -> Estimate:
    """Joint cumulant κ(z(x_a), z(x_b), z(x_c), z(x_d)) of one neuron at four inputs.

    For zero-mean z: κ = E[z_a z_b z_c z_d] − E[z_a z_b]E[z_c z_d] − E[z_a z_c]E[z_b z_d]
    − E[z_a z_d]E[z_b z_c], each expectation averaged over the neurons of a network first.
    ``samples``: (M, k, p); a, b, c, d: input indices in [0, p). Returns scalar value/stderr.
    With a = b = c = d it equals `fourth_cumulant` at that input.
    """
    z = check_samples(samples, min_ndim=3)
    p = z.shape[2]
    idx = []
    for name, v in zip("abcd", (a, b, c, d)):
        v = check_int(name, v, minimum=0)
        if v >= p:
            raise ValueError(f"`{name}` must be an input index < p = {p}, got {v}.")
        idx.append(v)
    a, b, c, d = idx
    prods = [
        z[:, :, a] * z[:, :, b] * z[:, :, c] * z[:, :, d],
        z[:, :, a] * z[:, :, b], z[:, :, c] * z[:, :, d],
        z[:, :, a] * z[:, :, c], z[:, :, b] * z[:, :, d],
        z[:, :, a] * z[:, :, d], z[:, :, b] * z[:, :, c],
    ]
    moments = jnp.stack([jnp.mean(t, axis=1) for t in prods], axis=-1)  # (M, 7)
    return Estimate(*_jit_delta(_joint4, moments))


def batch_means(statistic: Callable[[Array], Any], samples: Any, n_batches: int) -> Estimate:
    """``statistic`` on all networks, with the batch-means SE.

    Splits the M networks into ``n_batches`` contiguous groups of ⌊M/B⌋ (a remainder is
    dropped from the batches, not from the value), evaluates ``statistic`` (returning an
    `Estimate` or an array) on each and reports SE = sd(batch values)/√B · √(⌊M/B⌋·B/M);
    an independent check of the delta-method SE that needs no derivative (B ≥ 10 or so, so
    that sd is itself accurate to ~1/√(2(B − 1))).
    """
    z = check_samples(samples)
    B = check_int("n_batches", n_batches, minimum=2)
    M = z.shape[0]
    size = M // B
    if size < 2:
        raise ValueError(f"`n_batches` = {B} leaves fewer than 2 networks per batch (M = {M}).")

    def value_of(s):
        out = statistic(s)
        return out.value if isinstance(out, Estimate) else jnp.asarray(out)

    whole = value_of(z)
    vals = jnp.stack([value_of(z[i * size:(i + 1) * size]) for i in range(B)])
    se = jnp.std(vals, axis=0, ddof=1) * math.sqrt(size / M)
    return Estimate(value=whole, stderr=se)
