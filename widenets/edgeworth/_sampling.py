"""Ensembles of finite-width MLPs: preactivations of independent networks.

Network (PDLT, arXiv:2106.10165, ch. 4), one per ensemble member:

    z¹ = b¹ + W¹ x,              W¹_ij ~ N(0, C_W/d),
    z^{ℓ+1} = b^{ℓ+1} + W^{ℓ+1} σ(z^ℓ),   W^{ℓ+1}_ij ~ N(0, C_W/n_ℓ),   b ~ N(0, C_b),

for inputs x of shape (p, d), hidden widths (n_1, …, n_L) and a readout z^{L+1} of n_out neurons.

Two samplers of the same law:

* ``"weights"``: draws the Gaussian matrices W^ℓ and runs the forward pass. Networks are
  vmapped in chunks of ``chunk`` and the chunks run one after another (`jax.lax.map`).
* ``"gram"``: conditional on z^ℓ, the rows z^{ℓ+1}_i = b_i + Σ_j W_ij σ(z^ℓ_j) are i.i.d.
  Gaussian vectors over the p inputs with covariance

      Ĝ^ℓ = C_b + (C_W/n_ℓ) σ(z^ℓ)ᵀ σ(z^ℓ)    (p × p; z^ℓ stored as (n_ℓ, p)),

  because the row W_i· and b_i are Gaussian and independent of z^ℓ. So z^{ℓ+1} = ξ Lᵀ with
  ξ an (n_{ℓ+1}, p) standard normal matrix and L Lᵀ = Ĝ. L = U·diag(√max(λ, 0)) from the
  eigendecomposition Ĝ = U diag(λ) Uᵀ, which is exact also for singular Ĝ (duplicate inputs,
  p > n_ℓ). Cost O(n p² + p³) per layer and n·p normals, instead of O(n² p) and n² normals.

Both are exact samplers of the joint law of (z¹, …, z^{L+1}) on the p inputs for Gaussian
weights, at every width and depth; they differ only in cost and in the randomness used.
"gram" cannot produce the weights themselves (so no gradients / NTK), and is exact only for
Gaussian weights and biases; "weights" is what the NTK needs.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import duals
from .._validation import as_float_array, check_choice, check_int, check_key
from ._inputs import check_dual, check_variances, check_widths

Array = jax.Array

#: default cap on the temporaries of one chunk, in array elements: 2**25 (256 MiB in float64) on
#: accelerators; 2**20 on CPU, where chunks that stay in cache are faster (benchmarks/
#: bench_ensembles.py: width 512, p = 256, float32: 1 network per chunk ran ~2× faster than 32).
CHUNK_ELEMENTS = 2**25
CHUNK_ELEMENTS_CPU = 2**20

METHODS = ("gram", "weights")


# --- validation ---------------------------------------------------------------------------

def check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"`dtype` must be a floating dtype, got {dtype!r}.") from err
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"`dtype` must be a floating dtype, got {dt}.")
    # float64 becomes float32 when x64 is disabled (JAX's usual rule)
    return np.dtype(jax.dtypes.canonicalize_dtype(dt))


def check_inputs(x: Any, dtype: np.dtype) -> Array:
    x = as_float_array("x", x, min_ndim=2)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"`x` must have shape (p, d) with p, d >= 1, got shape {x.shape}.")
    return x.astype(dtype)


def check_chunk(chunk: Any) -> int | None:
    return None if chunk is None else check_int("chunk", chunk, minimum=1)


def default_chunk(n_networks: int, per_network: int) -> int:
    """Networks per vmapped chunk so that one chunk's temporaries stay under the cap
    (CHUNK_ELEMENTS, or CHUNK_ELEMENTS_CPU on the CPU backend)."""
    cap = CHUNK_ELEMENTS_CPU if jax.default_backend() == "cpu" else CHUNK_ELEMENTS
    return max(1, min(n_networks, cap // max(per_network, 1)))


def map_networks(fn, keys: Array, chunk: int):
    """``fn`` over the keys, ``chunk`` networks at a time under vmap (`jax.lax.map`)."""
    if chunk >= keys.shape[0]:
        return jax.vmap(fn)(keys)
    return jax.lax.map(fn, keys, batch_size=chunk)


# --- one network --------------------------------------------------------------------------

def _gaussian_rows(key: Array, gram: Array, n: int, dtype) -> Array:
    """n i.i.d. rows ~ N(0, gram) (shape (n, p)), through an eigen-factor of the p×p gram."""
    xi = jax.random.normal(key, (n, gram.shape[0]), dtype)
    if gram.shape[0] == 1:  # one input: the factor is the standard deviation
        return xi * jnp.sqrt(jnp.maximum(gram, 0))
    lam, U = jnp.linalg.eigh(gram)
    factor = U * jnp.sqrt(jnp.maximum(lam, 0))[None, :]  # factor @ factor.T == gram
    return xi @ factor.T


def _first_gram(x: Array, C_W: float, C_b: float) -> Array:
    return C_b + (C_W / x.shape[1]) * (x @ x.T)


def _network_gram(key, x, fn, widths, n_out, keep, C_W, C_b):
    dims = widths + (n_out,)
    keys = jax.random.split(key, len(dims))
    gram = _first_gram(x, C_W, C_b)
    out = []
    z = None
    for layer, (k, n) in enumerate(zip(keys, dims)):
        if layer > 0:
            phi = fn(z)  # (n_prev, p)
            gram = C_b + (C_W / z.shape[0]) * (phi.T @ phi)
        z = _gaussian_rows(k, gram, n, x.dtype)  # (n, p)
        out.append(z[: (n_out if layer == len(widths) else min(keep, n))])
    return out


def _network_weights(key, x, fn, widths, n_out, keep, C_W, C_b):
    dims = (x.shape[1],) + widths + (n_out,)
    keys = jax.random.split(key, 2 * (len(dims) - 1))
    h = x  # (p, fan_in): activations of the previous layer, inputs in rows
    out = []
    for layer in range(len(dims) - 1):
        fan_in, n = dims[layer], dims[layer + 1]
        W = jax.random.normal(keys[2 * layer], (fan_in, n), x.dtype)
        z = math.sqrt(C_W / fan_in) * (h @ W)
        if C_b > 0:
            z = z + math.sqrt(C_b) * jax.random.normal(keys[2 * layer + 1], (1, n), x.dtype)
        last = layer == len(dims) - 2
        out.append(z[:, : (n_out if last else min(keep, n))].T)
        h = fn(z)
    return out


@functools.partial(jax.jit, static_argnames=("fn", "widths", "n_out", "keep", "C_W", "C_b", "method", "chunk"))
def _sample(keys, x, *, fn, widths, n_out, keep, C_W, C_b, method, chunk):
    one = _network_gram if method == "gram" else _network_weights
    return map_networks(lambda k: one(k, x, fn, widths, n_out, keep, C_W, C_b), keys, chunk)


def sample_preactivations(
    key: Array,
    x: Any,
    dual: duals.Dual,
    widths: Sequence[int],
    *,
    C_W: float = 1.0,
    C_b: float = 0.0,
    n_networks: int,
    n_out: int = 1,
    keep: int = 1,
    method: str = "gram",
    chunk: int | None = None,
    dtype: Any = jnp.float64,
) -> list[Array]:
    """Preactivations z¹, …, z^{L+1} of ``n_networks`` independent random MLPs.

    z¹ = b + W x with W_ij ~ N(0, C_W/d), z^{ℓ+1} = b + W σ(z^ℓ) with W_ij ~ N(0, C_W/n_ℓ),
    b ~ N(0, C_b), the same (C_W, C_b) in every layer, σ = ``dual.fn`` (PDLT,
    arXiv:2106.10165, eq. 4.1 ff.). Every network output is symmetric in law (W → −W), so all
    its odd moments vanish.

    Args:
      key: a `jax.random` key (a typed key of any impl, e.g. ``jax.random.key(0, impl="rbg")``,
        or a legacy ``PRNGKey``). Network i uses ``jax.random.split(key, n_networks)[i]``.
      x: inputs, shape (p, d).
      dual: the activation, a `widenets.duals.Dual` with a finite ``fn``.
      widths: hidden widths (n_1, …, n_L), L ≥ 1.
      C_W, C_b: weight and bias variances (≥ 0).
      n_networks: ensemble size M ≥ 1.
      n_out: readout width (neurons of z^{L+1}).
      keep: number of neurons kept per hidden layer (the first min(keep, n_ℓ)).
      method: ``"gram"`` or ``"weights"`` (module docstring). Both are exact in law for
        Gaussian weights, for any width, depth and number of inputs p. "gram" costs
        O(n_ℓ p² + p³) per layer (the better choice for p ≪ n, e.g. one or a few inputs);
        "weights" costs O(n_{ℓ−1} n_ℓ p) and n_{ℓ−1} n_ℓ normals per layer and is the one
        to use for large p or when the actual weight matrices matter.
      chunk: networks vmapped together; the chunks run in sequence (`jax.lax.map`), so the
        temporaries of one call are bounded by about ``chunk × (max_ℓ n_{ℓ−1} n_ℓ +
        3 p max_ℓ n_ℓ)`` elements for "weights" and ``chunk × (3 p max_ℓ n_ℓ + 2 p²)`` for
        "gram", on top of the outputs (M × Σ_ℓ k_ℓ × p). ``None`` picks the largest chunk
        with at most 2**25 temporary elements (2**20 on CPU, to stay in cache).
      dtype: floating dtype of the computation (float64 becomes float32 when x64 is off).

    The sampler is compiled once per (``dual.fn``, widths, n_out, keep, C_W, C_b, method,
    chunk) and input shape: reuse one `Dual` object across calls (a freshly built
    ``duals.relu()`` carries a new ``fn`` and compiles again).

    Returns:
      A list of L + 1 arrays; entry ℓ − 1 has shape (n_networks, k_ℓ, p) and holds the
      first k_ℓ = min(keep, n_ℓ) neurons of z^ℓ (k_{L+1} = n_out), one network per row.
      Neurons of one network are exchangeable but *not* independent at finite width.

    Raises:
      TypeError / ValueError: naming the offending argument.
    """
    key = check_key("key", key)
    dtype = check_dtype(dtype)
    x = check_inputs(x, dtype)
    dual = check_dual(dual)
    widths = check_widths(widths)
    C_W, C_b = check_variances(C_W, C_b)
    n_networks = check_int("n_networks", n_networks, minimum=1)
    n_out = check_int("n_out", n_out, minimum=1)
    keep = check_int("keep", keep, minimum=1)
    method = check_choice("method", method, METHODS)
    chunk = check_chunk(chunk)
    p, d = x.shape
    dims = (d,) + widths + (n_out,)
    if chunk is None:
        if method == "weights":
            per = max(a * b for a, b in zip(dims[:-1], dims[1:])) + 3 * p * max(dims)
        else:
            per = 3 * p * max(dims) + 2 * p * p
        chunk = default_chunk(n_networks, per)
    keys = jax.random.split(key, n_networks)
    return list(
        _sample(keys, x, fn=dual.fn, widths=widths, n_out=n_out, keep=keep, C_W=C_W, C_b=C_b,
                method=method, chunk=chunk)
    )


# --- one hidden layer with a general readout law ------------------------------------------

class _ById:
    """Hashable-by-identity wrapper, so any law object can be a static jit argument."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _ById) and other.obj is self.obj


def _check_law(law: Any) -> Any:
    if not callable(getattr(law, "sample", None)):
        raise TypeError(
            "`law` must be a weight law with a method sample(key, shape, dtype) giving unit-variance "
            f"symmetric draws (e.g. widenets.edgeworth.theory.gaussian_weights()), got {type(law).__name__}."
        )
    return law


@functools.partial(jax.jit, static_argnames=("fn", "law", "width", "C_W", "C_b", "chunk"))
def _sample_one_hidden(keys, x, *, fn, law, width, C_W, C_b, chunk):
    gram = _first_gram(x, C_W, C_b)

    def one(key):
        k_h, k_v, k_b = jax.random.split(key, 3)
        h = _gaussian_rows(k_h, gram, width, x.dtype)  # (n, p): i.i.d. rows ~ N(0, K¹)
        v = math.sqrt(C_W / width) * law.obj.sample(k_v, (width,), x.dtype).astype(x.dtype)
        y = v @ fn(h)
        if C_b > 0:
            y = y + math.sqrt(C_b) * jax.random.normal(k_b, (), x.dtype)
        return y

    return map_networks(one, keys, chunk)


def sample_one_hidden_layer(
    key: Array,
    x: Any,
    dual: duals.Dual,
    width: int,
    *,
    C_W: float = 1.0,
    C_b: float = 0.0,
    law: Any,
    n_networks: int,
    chunk: int | None = None,
    dtype: Any = jnp.float64,
) -> Array:
    """Outputs y(x) = b + Σ_{i≤n} v_i σ(h_i(x)) of one-hidden-layer networks with readout law ``law``.

    The hidden preactivations h_i = b¹_i + W¹_i·x are i.i.d. over i with the exact Gaussian law
    N(0, K¹), K¹ = C_b + C_W x xᵀ/d (sampled through a factor of K¹); the readout weights are
    v_i = √(C_W/n)·u_i with u_i = ``law.sample`` draws (unit variance, symmetric, fourth moment
    m4), and b ~ N(0, C_b). Then y is a sum of n i.i.d. terms, so (Antognini 2019, arXiv:1908.10030)

        E y² = C_b + C_W⟨σ²⟩_{K¹},    κ4(y) = (C_W²/n)[m4⟨σ⁴⟩ − 3⟨σ²⟩²]   exactly, for every n.

    Args:
      key: a `jax.random` key; network i uses ``jax.random.split(key, n_networks)[i]``.
      x: inputs (p, d).
      dual: the activation (`widenets.duals.Dual` with ``fn``).
      width: hidden width n ≥ 1.
      C_W, C_b: weight and bias variances.
      law: object with ``sample(key, shape, dtype)`` (a `widenets.edgeworth.theory.WeightLaw`).
      n_networks: M ≥ 1.
      chunk: networks vmapped together (temporaries ≈ chunk × 3 n p elements); ``None``: auto.
      dtype: floating dtype.

    Returns:
      Array (n_networks, p).
    """
    key = check_key("key", key)
    dtype = check_dtype(dtype)
    x = check_inputs(x, dtype)
    dual = check_dual(dual)
    width = check_int("width", width, minimum=1)
    C_W, C_b = check_variances(C_W, C_b)
    law = _check_law(law)
    n_networks = check_int("n_networks", n_networks, minimum=1)
    chunk = check_chunk(chunk)
    p = x.shape[0]
    if chunk is None:
        chunk = default_chunk(n_networks, 3 * width * p + 2 * p * p)
    keys = jax.random.split(key, n_networks)
    return _sample_one_hidden(keys, x, fn=dual.fn, law=_ById(law), width=width, C_W=C_W, C_b=C_b, chunk=chunk)
