"""Monte Carlo estimates of the NNGP and NTK from an ensemble of finite networks.

Networks i = 1..M have parameters ``init_fn(keys[i], x1.shape)`` with
``keys = jax.random.split(key, M)``; each gives the empirical kernels K_i of
`empirical_kernel_fn` (a mean over the traced output channels). The networks are i.i.d., so

    K̄ = (1/M) Σ_i K_i,      SE = s / √M,      s² = Σ_i (K_i − K̄)² / (M − 1),

entry by entry; K̄ is unbiased for E[K_i], which equals the infinite-width kernel exactly in
some cases (one hidden layer with a Gaussian first layer) and up to O(1/width) otherwise.

Networks are evaluated B = min(batch_size, M) at a time under `jax.vmap` (a last, partial
batch is padded to B with networks of weight 0, so one kernel function compiles one batch
shape); each batch is reduced to its mean and sum of squared deviations, and batches are
merged with the parallel update of Chan, Golub & LeVeque (1979): for parts
(n_a, mean_a, m2_a), (n_b, mean_b, m2_b) and δ = mean_b − mean_a,

    n = n_a + n_b,  mean = mean_a + δ n_b / n,  m2 = m2_a + m2_b + δ² n_a n_b / n,

which avoids the cancellation of the one-pass Σx² − n x̄² formula.
"""
from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from .._validation import check_input_pair, check_int, check_key
from ._empirical_ntk import (
    check_get,
    check_implementation,
    check_trace_axes,
    empirical_kernel_fn,
)

Array = jax.Array


class MonteCarloKernel(NamedTuple):
    """A Monte Carlo kernel estimate; fields not requested by ``get`` are ``None``.

    Attributes:
      nngp, ntk: means over the networks of the empirical kernels.
      nngp_se, ntk_se: their standard errors, sample standard deviation over networks / √M.
      n_samples: M, the number of networks used.
    """

    nngp: Array | None
    ntk: Array | None
    nngp_se: Array | None
    ntk_se: Array | None
    n_samples: int


class _Moments(NamedTuple):
    """Count, mean and sum of squared deviations of a set of kernel samples (dicts)."""

    n: int
    mean: dict
    m2: dict

    def merge(self, other: _Moments) -> _Moments:
        if self.n == 0:
            return other
        mean, m2 = _chan_merge(float(self.n), self.mean, self.m2, float(other.n), other.mean, other.m2)
        return _Moments(self.n + other.n, mean, m2)

    def result(self) -> MonteCarloKernel:
        fields = {}
        for name, mean in self.mean.items():
            fields[name] = mean
            fields[name + "_se"] = jnp.sqrt(self.m2[name] / ((self.n - 1) * self.n))
        return MonteCarloKernel(
            nngp=fields.get("nngp"), ntk=fields.get("ntk"),
            nngp_se=fields.get("nngp_se"), ntk_se=fields.get("ntk_se"), n_samples=self.n,
        )


@jax.jit
def _chan_merge(n_a, mean_a: dict, m2_a: dict, n_b, mean_b: dict, m2_b: dict):
    """Chan et al.'s update (module docstring); counts are traced, so no recompiles."""
    n = n_a + n_b
    mean, m2 = {}, {}
    for name, ma in mean_a.items():
        delta = mean_b[name] - ma
        mean[name] = ma + delta * (n_b / n)
        m2[name] = m2_a[name] + m2_b[name] + delta * delta * (n_a * n_b / n)
    return mean, m2


@functools.partial(jax.jit, static_argnames=("init_fn", "input_shape"))
def _draw_params(keys, *, init_fn, input_shape):
    """The parameters of a batch of networks, stacked on a leading axis."""
    return jax.vmap(lambda key: init_fn(key, input_shape)[1])(keys)


@functools.partial(jax.jit, static_argnames=("apply_fn", "names", "trace_axes", "implementation"))
def _batch_moments(params, n_valid, x1, x2, *, apply_fn, names, trace_axes, implementation):
    """Mean and sum of squared deviations over the first ``n_valid`` networks of a batch.

    Drawing (`_draw_params`) and evaluating are separate module-level jitted functions with
    the callables static, so kernel functions built again for the same ``init_fn`` (other
    keys, counts, ``get``, ``x2``, or another ``apply_fn``) reuse the compiled sampler, whose
    XLA compilation (threefry) dominates the cost of small ensembles.
    """
    kernel_fn = empirical_kernel_fn(apply_fn, trace_axes, implementation=implementation)
    samples = jax.vmap(lambda p: kernel_fn(x1, x2, names, p))(params)
    mean, m2 = {}, {}
    for name, s in samples.items():
        valid = (jnp.arange(s.shape[0]) < n_valid).reshape((-1,) + (1,) * (s.ndim - 1))
        s = jnp.where(valid, s, 0)
        mean[name] = jnp.sum(s, axis=0, keepdims=True) / n_valid.astype(s.dtype)
        m2[name] = jnp.sum(jnp.where(valid, jnp.square(s - mean[name]), 0), axis=0)
        mean[name] = mean[name][0]
    return mean, m2


def _check_n_samples(n_samples: Any) -> tuple[tuple[int, ...], bool]:
    """``n_samples`` as an increasing tuple of counts ≥ 2, and whether a generator is wanted."""
    if isinstance(n_samples, numbers.Integral) and not isinstance(n_samples, bool):
        return (check_int("n_samples", n_samples, minimum=2),), False
    if not isinstance(n_samples, Sequence) or isinstance(n_samples, str) or not n_samples:
        raise TypeError(
            f"`n_samples` must be an int >= 2 or a non-empty list of increasing ints >= 2, got "
            f"{n_samples!r}."
        )
    counts = tuple(check_int("n_samples", n, minimum=2) for n in n_samples)
    if any(b <= a for a, b in zip(counts, counts[1:])):
        raise ValueError(f"`n_samples` must be strictly increasing, got {list(n_samples)}.")
    return counts, True


def monte_carlo_kernel_fn(
    init_fn: Callable,
    apply_fn: Callable,
    key: Array,
    n_samples: int | Sequence[int],
    batch_size: int = 32,
    *,
    trace_axes: Any = (-1,),
    implementation: Any = "jacobian_contraction",
) -> Callable[..., Any]:
    """Monte Carlo NNGP and NTK of the architecture ``(init_fn, apply_fn)``, with errors.

    Args:
      init_fn: ``init_fn(key, input_shape) -> (output_shape, params)``; called with
        ``x1.shape``. Must be traceable (it is vmapped over keys).
      apply_fn: ``apply_fn(params, x) -> outputs`` with a leading batch axis.
      key: a `jax.random` key; network i uses ``jax.random.split(key, max(n_samples))[i]``
        (with jax's default partitionable threefry, the first m of those keys are
        ``split(key, m)``, so estimates do not depend on the largest count requested).
      n_samples: number M ≥ 2 of networks (two are needed for a standard error), or a list
        of strictly increasing counts: then ``kernel_fn`` returns a generator yielding the
        estimate after each count, each reusing the networks of the previous ones
        (neural-tangents' generator form).
      batch_size: networks evaluated at once (≥ 1). Peak memory is independent of M: with
        B = min(batch_size, M), about ``B · (P + (N1 + N2)·O·(1 + P·[ntk]) + Σ_kernels K)``
        numbers, where P is the parameter count of one network, O the outputs per input, K
        the entries of one kernel (N1·N2 for the default trace) and ``[ntk]`` = 1 when the
        NTK is requested (the Jacobians), plus 2·K per kernel for the running mean and
        squared deviations. (neural-tangents' ``batch_size`` means blocks of *inputs*, 0 for
        none; 0 is refused here.)
      trace_axes: output axes averaged over in each network's kernel (default the channel
        axis, as in neural-tangents; see `empirical_ntk_fn`). Keyword-only, like
        ``implementation``: neural-tangents has ``device_count, store_on_device`` here.
      implementation: NTK method, see `empirical_ntk_fn`.

    Returns:
      ``kernel_fn(x1, x2=None, get=None)`` returning a `MonteCarloKernel` (means, standard
      errors, M). ``get`` is 'nngp', 'ntk', a tuple of them, or None for both; unrequested
      fields are None. Unlike `widenets.stax` (and neural-tangents), a string ``get`` still
      returns the record, so that the standard error travels with the estimate.

    Example:
      >>> init_fn, apply_fn, kernel_fn = stax.serial(stax.Dense(512), stax.Relu(), stax.Dense(8))
      >>> mc = monte_carlo_kernel_fn(init_fn, apply_fn, jax.random.key(0), 256)
      >>> est = mc(x, get="nngp")
      >>> z = (est.nngp - kernel_fn(x, get="nngp")) / est.nngp_se   # ≈ N(0, 1) entries
    """
    for name, fn in (("init_fn", init_fn), ("apply_fn", apply_fn)):
        if not callable(fn):
            raise TypeError(f"`{name}` must be callable, got {type(fn).__name__}.")
    key = check_key("key", key)
    counts, as_generator = _check_n_samples(n_samples)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    trace_axes = check_trace_axes(trace_axes)
    implementation = check_implementation(implementation)

    def kernel_fn(x1: Any, x2: Any = None, get: Any = None) -> Any:
        names = check_get(get)
        x1, x2 = check_input_pair(x1, x2)
        size = min(batch_size, counts[-1])

        def batch(keys: Array) -> tuple[dict, dict]:
            n_valid = keys.shape[0]
            params = _draw_params(_pad(keys, size), init_fn=init_fn, input_shape=tuple(x1.shape))
            return _batch_moments(
                params, jnp.asarray(n_valid), x1, x2, apply_fn=apply_fn, names=names,
                trace_axes=trace_axes, implementation=implementation,
            )

        estimates = _estimates(batch, jax.random.split(key, counts[-1]), counts, size)
        return estimates if as_generator else next(estimates)

    return kernel_fn


def _pad(keys: Array, size: int) -> Array:
    """Pad a batch of keys to ``size`` with copies of its first key (weight 0 later)."""
    if keys.shape[0] == size:
        return keys
    filler = jnp.broadcast_to(keys[:1], (size - keys.shape[0],) + keys.shape[1:])
    return jnp.concatenate([keys, filler])


def _estimates(batch: Callable, keys: Array, counts: tuple[int, ...], batch_size: int) -> Iterator:
    """Yield the estimate after each count, evaluating the networks in batches."""
    moments = _Moments(0, {}, {})
    for count in counts:
        for start in range(moments.n, count, batch_size):
            stop = min(start + batch_size, count)
            mean, m2 = batch(keys[start:stop])
            moments = moments.merge(_Moments(stop - start, mean, m2))
        yield moments.result()
