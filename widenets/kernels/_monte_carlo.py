"""Monte Carlo estimates of the NNGP and NTK from an ensemble of finite networks.

Networks i = 1..M have parameters ``init_fn(keys[i], x1.shape)`` with
``keys = jax.random.split(key, M)``; each gives the empirical kernels K_i of
`empirical_kernel_fn` (a mean over the traced output channels). The networks are i.i.d., so

    K̄ = (1/M) Σ_i K_i,      SE = s / √M,      s² = Σ_i (K_i − K̄)² / (M − 1),

entry by entry; K̄ is unbiased for E[K_i], which equals the infinite-width kernel exactly in
some cases (one hidden layer with a Gaussian first layer) and up to O(1/width) otherwise.
The signature, defaults and return convention are neural-tangents 0.6.5's (a bare array
for a string ``get``); ``standard_error=True`` returns the `MonteCarloKernel` record with
the standard errors instead.

Two kinds of blocks bound the memory. Networks are evaluated B = ``networks_per_batch`` at a
time under `jax.vmap` (a last, partial batch is padded to B with networks of weight 0, so
one kernel function compiles one batch shape); inputs, with ``batch_size`` > 0, in blocks of
that many rows (neural-tangents' ``batch_size``), assembled as `widenets.kernels.batch` does
(a Gram from its upper block triangle). Each (network batch, input block) is reduced to its
mean and sum of squared deviations, and network batches are merged with the parallel update
of Chan, Golub & LeVeque (1979): for parts (n_a, mean_a, m2_a), (n_b, mean_b, m2_b) and
δ = mean_b − mean_a,

    n = n_a + n_b,  mean = mean_a + δ n_b / n,  m2 = m2_a + m2_b + δ² n_a n_b / n,

which avoids the cancellation of the one-pass Σx² − n x̄² formula.
"""
from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_input_pair, check_int, check_key
from . import _batching
from ._axes import (
    check_axes,
    check_get,
    check_implementation,
    check_structured_flags,
    check_trace_axes,
    check_vmap_axes,
    pack_result,
    swap_inputs,
)
from ._empirical_ntk import DEFAULT_IMPLEMENTATION, empirical_kernel_fn

Array = jax.Array


class MonteCarloKernel(NamedTuple):
    """A Monte Carlo kernel estimate with errors (``standard_error=True``); fields not
    requested by ``get`` are ``None``.

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


def _chan_merge(n_a, mean_a: dict, m2_a: dict, n_b, mean_b: dict, m2_b: dict):
    """Chan et al.'s update (module docstring), with arithmetic operators only, so that it
    runs on numpy arrays in host memory as well as (jitted) on the device."""
    n = n_a + n_b
    mean, m2 = {}, {}
    for name, ma in mean_a.items():
        delta = mean_b[name] - ma
        mean[name] = ma + delta * (n_b / n)
        m2[name] = m2_a[name] + m2_b[name] + delta * delta * (n_a * n_b / n)
    return mean, m2


_chan_merge_on_device = jax.jit(_chan_merge)  # counts are traced, so no recompiles


class _Moments(NamedTuple):
    """Count, mean and sum of squared deviations of a set of kernel samples (dicts)."""

    n: int
    mean: dict
    m2: dict

    def merge(self, other: _Moments, on_device: bool) -> _Moments:
        if self.n == 0:
            return other
        merge = _chan_merge_on_device if on_device else _chan_merge
        mean, m2 = merge(float(self.n), self.mean, self.m2, float(other.n), other.mean, other.m2)
        return _Moments(self.n + other.n, mean, m2)

    def standard_errors(self) -> dict:
        sqrt = {True: jnp.sqrt, False: np.sqrt}
        return {name: sqrt[isinstance(m2, jax.Array)](m2 / ((self.n - 1) * self.n))
                for name, m2 in self.m2.items()}


class _Frozen(NamedTuple):
    """A pytree of static values (``vmap_axes``, keyword arguments) made hashable for jit."""

    treedef: Any
    leaves: tuple

    @classmethod
    def of(cls, tree: Any) -> _Frozen:
        leaves, treedef = jax.tree.flatten(tree)
        return cls(treedef, tuple(leaves))

    def thaw(self) -> Any:
        return jax.tree.unflatten(self.treedef, self.leaves)


@functools.partial(jax.jit, static_argnames=("init_fn", "input_shape"))
def _draw_params(keys, *, init_fn, input_shape):
    """The parameters of a batch of networks, stacked on a leading axis."""
    return jax.vmap(lambda key: init_fn(key, input_shape)[1])(keys)


@functools.partial(
    jax.jit,
    static_argnames=("apply_fn", "names", "trace_axes", "diagonal_axes", "vmap_axes",
                     "implementation", "static_kwargs"),
)
def _batch_moments(params, n_valid, x1, x2, kwargs, *, apply_fn, names, trace_axes,
                   diagonal_axes, vmap_axes, implementation, static_kwargs):
    """Mean and sum of squared deviations over the first ``n_valid`` networks of a batch.

    Drawing (`_draw_params`) and evaluating are separate module-level jitted functions with
    the callables static, so kernel functions built again for the same ``init_fn`` (other
    keys, counts, ``get``, ``x2``, or another ``apply_fn``) reuse the compiled sampler, whose
    XLA compilation (threefry) dominates the cost of small ensembles.
    """
    kernel_fn = empirical_kernel_fn(apply_fn, trace_axes, diagonal_axes, vmap_axes.thaw(),
                                    implementation)
    kw = {**kwargs, **static_kwargs.thaw()}
    samples = jax.vmap(lambda p: kernel_fn(x1, x2, names, p, **kw)._asdict())(params)
    mean, m2 = {}, {}
    for name, s in samples.items():
        valid = (jnp.arange(s.shape[0]) < n_valid).reshape((-1,) + (1,) * (s.ndim - 1))
        s = jnp.where(valid, s, 0)
        mean[name] = jnp.sum(s, axis=0, keepdims=True) / n_valid.astype(s.dtype)
        m2[name] = jnp.sum(jnp.where(valid, jnp.square(s - mean[name]), 0), axis=0)
        mean[name] = mean[name][0]
    return mean, m2


def _check_n_samples(n_samples: Any, minimum: int) -> tuple[tuple[int, ...], bool]:
    """``n_samples`` as increasing distinct counts ≥ ``minimum``, and whether a generator is
    wanted (any iterable of ints, as in neural-tangents, which reads it as a set)."""
    if isinstance(n_samples, numbers.Integral) and not isinstance(n_samples, bool):
        return (check_int("n_samples", n_samples, minimum=minimum),), False
    if not isinstance(n_samples, Iterable) or isinstance(n_samples, (str, bytes)):
        raise TypeError(
            f"`n_samples` must be an int >= {minimum} or an iterable of such ints, got {n_samples!r}."
        )
    counts = tuple(sorted({check_int("n_samples", n, minimum=minimum) for n in n_samples}))
    if not counts:
        raise ValueError("`n_samples` must hold at least one count, got an empty iterable.")
    return counts, True


def _split_static(kwargs: dict) -> tuple[dict, _Frozen]:
    """Keyword arguments of ``apply_fn``: array pytrees are traced, the rest static (hashable)."""
    dynamic = {k: v for k, v in kwargs.items() if _batching._is_dynamic(v)}
    static = {k: v for k, v in kwargs.items() if k not in dynamic}
    frozen = _Frozen.of(static)
    try:
        hash(frozen)
    except TypeError as err:
        raise TypeError(
            f"keyword arguments of `kernel_fn` must be array pytrees or hashable, got {sorted(static)}."
        ) from err
    return dynamic, frozen


def monte_carlo_kernel_fn(
    init_fn: Callable,
    apply_fn: Callable,
    key: Array,
    n_samples: int | Iterable[int],
    batch_size: int = 0,
    device_count: int = -1,
    store_on_device: bool = True,
    trace_axes: Any = (-1,),
    diagonal_axes: Any = (),
    vmap_axes: Any = None,
    implementation: Any = DEFAULT_IMPLEMENTATION,
    _j_rules: bool = True,
    _s_rules: bool = True,
    _fwd: bool | None = None,
    *,
    networks_per_batch: int = 32,
    standard_error: bool = False,
) -> Callable[..., Any]:
    """Monte Carlo NNGP and NTK of the architecture ``(init_fn, apply_fn)``.

    The positional signature and defaults are neural-tangents 0.6.5's; ``networks_per_batch``
    and ``standard_error`` are widenets' (keyword-only).

    Args:
      init_fn: ``init_fn(key, input_shape) -> (output_shape, params)``; called with
        ``x1.shape``. Must be traceable (it is vmapped over keys).
      apply_fn: ``apply_fn(params, x, **kwargs) -> outputs`` with a leading batch axis.
      key: a `jax.random` key; network i uses ``jax.random.split(key, max(n_samples))[i]``
        (with jax's default partitionable threefry, the first m of those keys are
        ``split(key, m)``, so estimates do not depend on the largest count requested).
        neural-tangents draws other networks from the same key, so estimates agree with its
        in distribution, not number for number.
      n_samples: number M ≥ 1 of networks (≥ 2 with ``standard_error``), or an iterable of
        counts: then ``kernel_fn`` returns a generator yielding the estimate after each count
        in increasing order, each reusing the networks of the previous ones.
      batch_size: rows of ``x1`` and ``x2`` per input block (0: none), as in `batch`;
        N1 and N2 need not be multiples of it.
      device_count: -1, 0 and 1 compute on the default device; values > 1 (multi-device)
        raise `NotImplementedError`.
      store_on_device: False moves each block to host memory and keeps the running means
        (and squared deviations) there, as numpy arrays; the result is then numpy.
      trace_axes, diagonal_axes: each network's kernel layout (see `empirical_ntk_fn`).
      vmap_axes, implementation: the NTK method (see `empirical_ntk_fn`).
      _j_rules, _s_rules, _fwd: neural-tangents' structured-derivatives flags; checked and
        ignored.
      networks_per_batch: networks evaluated at once (≥ 1). Peak memory is independent of
        M: with B = min(networks_per_batch, M) and b the rows of an input block, about
        ``B · (P + 2b·O·(1 + P·[ntk]) + Σ_kernels K_b)`` numbers, where P is the parameter
        count of one network, O the outputs per input, K_b the entries of one kernel block
        and ``[ntk]`` = 1 when the NTK is requested (the Jacobians), plus 2·K per kernel
        for the running mean and squared deviations (K: entries of the whole kernel).
      standard_error: False (neural-tangents' convention): ``kernel_fn`` returns the mean
        kernel, a bare array for a string ``get``, else a namedtuple with the ``get``
        fields. True: a `MonteCarloKernel` record (means, standard errors, M) whatever
        ``get`` is; unrequested fields are None.

    Returns:
      ``kernel_fn(x1, x2=None, get=None, **apply_fn_kwargs)``. ``get`` is 'nngp', 'ntk', a
      tuple of them, or None for both; keyword arguments go to ``apply_fn`` (array pytrees
      traced, other values static and hashable; an (x1 value, x2 value) pair of per-example
      arrays is cut into the input blocks).

    Example:
      >>> init_fn, apply_fn, kernel_fn = stax.serial(stax.Dense(512), stax.Relu(), stax.Dense(8))
      >>> mc = monte_carlo_kernel_fn(init_fn, apply_fn, jax.random.key(0), 256)
      >>> nngp = mc(x, None, "nngp")                         # an array, as in neural-tangents
      >>> est = monte_carlo_kernel_fn(init_fn, apply_fn, jax.random.key(0), 256,
      ...                             standard_error=True)(x, None, "nngp")
      >>> z = (est.nngp - kernel_fn(x, get="nngp")) / est.nngp_se   # ≈ N(0, 1) entries
    """
    for name, fn in (("init_fn", init_fn), ("apply_fn", apply_fn)):
        if not callable(fn):
            raise TypeError(f"`{name}` must be callable, got {type(fn).__name__}.")
    key = check_key("key", key)
    if not isinstance(standard_error, bool):
        raise TypeError(f"`standard_error` must be a bool, got {standard_error!r}.")
    counts, as_generator = _check_n_samples(n_samples, 2 if standard_error else 1)
    batch_size = _batching.check_batching_options(batch_size, device_count, store_on_device, "Monte Carlo")
    per_batch = check_int("networks_per_batch", networks_per_batch, minimum=1)
    trace_axes = check_trace_axes(trace_axes)
    diagonal_axes = check_axes("diagonal_axes", diagonal_axes)
    vmap = check_vmap_axes(vmap_axes)
    implementation = check_implementation(implementation)
    check_structured_flags(_j_rules, _s_rules, _fwd)
    statics = dict(trace_axes=trace_axes, diagonal_axes=diagonal_axes,
                   vmap_axes=_Frozen.of(vmap), implementation=implementation)
    place = (lambda out: out) if store_on_device else jax.device_get
    concat = jnp.concatenate if store_on_device else np.concatenate
    mirror = functools.partial(swap_inputs, trace_axes, diagonal_axes)

    def kernel_fn(x1: Any, x2: Any = None, get: Any = None, **apply_fn_kwargs: Any) -> Any:
        names, single = check_get(get)
        x1, x2 = check_input_pair(x1, x2)
        dynamic, static_kwargs = _split_static(apply_fn_kwargs)
        n1 = x1.shape[0]
        n2 = n1 if x2 is None else x2.shape[0]
        pairs = _batching._pair_kwargs(dynamic, n1, n2)
        symmetric = x2 is None and not pairs
        size = min(per_batch, counts[-1])

        def moments(keys: Array) -> _Moments:
            n_valid = keys.shape[0]
            params = _draw_params(_pad(keys, size), init_fn=init_fn, input_shape=tuple(x1.shape))

            def block(r1, r2, on_diagonal):
                kw = dict(dynamic)
                kw.update({k: (_batching._take(v[0], r1), _batching._take(v[1], r2))
                           for k, v in pairs.items()})
                b = None if on_diagonal else _batching._take(x1 if x2 is None else x2, r2)
                return place(_batch_moments(
                    params, jnp.asarray(n_valid), x1[r1[0]:r1[1]], b, kw, apply_fn=apply_fn,
                    names=names, static_kwargs=static_kwargs, **statics))

            return _Moments(n_valid, *_tiled(block, n1, n2, batch_size, symmetric,
                                             0 in diagonal_axes, mirror, concat))

        def finish(m: _Moments) -> Any:
            if standard_error:
                se = m.standard_errors()
                return MonteCarloKernel(
                    nngp=m.mean.get("nngp"), ntk=m.mean.get("ntk"),
                    nngp_se=se.get("nngp"), ntk_se=se.get("ntk"), n_samples=m.n)
            type_name = "EmpiricalKernel" if get is None else "MonteCarloKernel"  # as NT names them
            return pack_result(type_name, m.mean, names, single)

        estimates = _estimates(moments, jax.random.split(key, counts[-1]), counts, size, store_on_device)
        results = (finish(m) for m in estimates)
        return results if as_generator else next(results)

    return kernel_fn


def _tiled(block: Callable, n1: int, n2: int, batch_size: int, symmetric: bool,
           diagonal_batch: bool, mirror: Callable, concat: Callable) -> Any:
    """``block(rows1, rows2, on_diagonal)`` over input blocks of ``batch_size`` rows, assembled
    as in `widenets.kernels.batch` (a Gram from its upper block triangle)."""
    size = batch_size or max(n1, n2)
    if n1 <= size and n2 <= size:
        return block((0, n1), (0, n2), symmetric)
    if diagonal_batch:
        if n1 != n2:
            raise ValueError(
                f"`x2` must have as many rows as `x1` ({n1}) for a diagonal batch axis, got {n2}."
            )
        return _batching._assemble_diagonal(
            [block(r, r, symmetric) for r in _batching._ranges(n1, size)], concat)
    rows1, rows2 = _batching._ranges(n1, size), _batching._ranges(n2, size)
    grid: list[list[Any]] = [[None] * len(rows2) for _ in rows1]
    for i, r1 in enumerate(rows1):
        for j, r2 in enumerate(rows2):
            grid[i][j] = mirror(grid[j][i]) if symmetric and j < i else block(r1, r2, symmetric and i == j)
    return _batching._assemble(grid, n1, n2, symmetric, concat)


def _pad(keys: Array, size: int) -> Array:
    """Pad a batch of keys to ``size`` with copies of its first key (weight 0 later)."""
    if keys.shape[0] == size:
        return keys
    filler = jnp.broadcast_to(keys[:1], (size - keys.shape[0],) + keys.shape[1:])
    return jnp.concatenate([keys, filler])


def _estimates(moments: Callable, keys: Array, counts: tuple[int, ...], per_batch: int,
               on_device: bool) -> Iterator[_Moments]:
    """Yield the moments after each count, evaluating the networks in batches."""
    total = _Moments(0, {}, {})
    for count in counts:
        for start in range(total.n, count, per_batch):
            stop = min(start + per_batch, count)
            total = total.merge(moments(keys[start:stop]), on_device)
        yield total
