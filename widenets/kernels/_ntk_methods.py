"""The two NTK methods and the rule that picks one (``implementation='auto'``).

Notation: N1, N2 examples; O outputs per example (the non-batch output size); P parameters;
F the FLOPs of one example's forward pass; J(x) = ∂f(x)/∂θ, an (N·O) × P matrix; the
kernel before tracing is Θ = J(x1) J(x2)ᵀ, shape (N1·O) × (N2·O).

**Jacobian contraction** (neural-tangents code 1). Build J(x1), J(x2) by reverse mode
(`jax.jacrev`, one VJP per output entry) and contract them leaf by leaf with one
``einsum`` per parameter leaf that sums the parameter axes and the traced output axes and
keeps diagonal axes once. Memory O((N1 + N2)·O·P) (one Jacobian when ``x2 is None``).
FLOPs ≈ 3F·O·(N1 + N2) for the Jacobians with ``vmap_axes`` (per-example VJPs), or
3F·O·(N1² + N2²) without (each VJP runs on the whole batch), plus 2·P·O·U·pairs for the
contraction, where U is the product of the untraced, undiagonalised non-batch output
sizes and pairs = N1·N2 (N when the batch axis is diagonal).

**NTK-vector products** (code 2). For every basis vector e of f(x2)'s output space,
Θ e = J(x1) (J(x2)ᵀ e): one VJP of f at x2 gives the parameter-space vector J(x2)ᵀ e, one
JVP of f at x1 maps it back. Both are `jax.vmap`-ed over the N2·O basis vectors, so no
Jacobian–Jacobian product is formed; traces and diagonals are then taken with one einsum.
The basis vectors are processed ``BASIS_CHUNK`` (= 16) at a time, so memory is
O(16·P) for the VJP outputs plus 16 copies of the JVP's activations, plus the result. FLOPs ≈ 3F·O·N2 (per-example VJPs, or 3F·O·N2² without ``vmap_axes``) plus
3F·O·N1·N2 for the JVPs.

**Auto** (code 0) compares those two FLOP estimates with F ≈ 2P — exact for dense layers,
where each weight is one multiply-add per example; it underestimates F for weight-sharing
networks (convolutions) — and takes Jacobian contraction unless NTK-vector products are
estimated strictly cheaper. With F = 2P the contraction term 2·P·O·U per pair competes with
6·P·O per pair: traced or diagonal outputs (U = 1) pick Jacobian contraction, while
untraced outputs with U > 3 (e.g. ``trace_axes=()`` and 8 logits) pick NTK-vector products.
Memory does not enter the rule (NTK-vector products need less: 16 parameter-sized vectors
at a time, against the (N1 + N2)·O of the Jacobians). Shapes come from
`jax.eval_shape`, so the choice costs no FLOPs and works under `jax.jit`.

Performance note (jax 0.10 on CPU): for MLPs, XLA can reassociate the dot chains of the
NTK-vector-product program into small N × N products; jax 0.10's YNNPACK fusion on CPU
prevents that, making a fully vmapped method 2 ~1.4× slower and ~2× larger in temp memory
than the same code on jax 0.4 (see benchmarks/README.md); processing the basis in chunks
(``BASIS_CHUNK``) more than recovers the time. Compiling with the XLA option
``xla_cpu_experimental_ynn_fusion_type=''`` (e.g. ``XLA_FLAGS`` or ``jax.jit(...,
compiler_options=...)``) restores it; widenets does not set XLA options itself.
"""
from __future__ import annotations

import functools
import math
import operator
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ._axes import full_spec, pair_spec, traced_size

Array = jax.Array

#: basis vectors per step of the NTK-vector-product loop: bounds its memory to that many
#: parameter-sized vectors; 16 was fastest on XLA:CPU for both benchmark cases (8-64 tried).
BASIS_CHUNK = 16


class Problem(NamedTuple):
    """One NTK evaluation: ``f``, its inputs, kwargs and output shapes, and the layout."""

    f: Any
    params: Any
    x1: Any
    x2: Any  # None: x2 = x1
    kw1: dict
    kw2: dict
    vmap: tuple | None  # (in_axes, out_axis, kwargs_axes) or None
    shape1: tuple
    shape2: tuple
    traced: tuple
    diag: tuple


def _per_example(f, x_axis, out_axis: int, kw_axes: dict, kw: dict):
    """``g(p, x_i, batched_kw_i)``: f on a batch of one example (the vmapped axis put back
    with size 1, as neural-tangents does), output squeezed along ``out_axis``."""
    fixed = {k: v for k, v in kw.items() if kw_axes.get(k) is None}

    def expand(tree, axes):
        if isinstance(axes, int):
            return jax.tree.map(lambda v: jnp.expand_dims(v, axes), tree)
        return jax.tree.map(lambda v, a: jnp.expand_dims(v, a), tree, axes)

    def g(p, x_i, batched):
        batched = {k: expand(v, kw_axes[k]) for k, v in batched.items()}
        return jnp.squeeze(f(p, expand(x_i, x_axis), **fixed, **batched), out_axis)

    return g


def _vmap_parts(prob: Problem, x, kw):
    x_axis, out_axis, kw_axes = prob.vmap
    g = _per_example(prob.f, x_axis, out_axis, kw_axes, kw)
    batched = {k: v for k, v in kw.items() if kw_axes.get(k) is not None}
    batched_axes = {k: kw_axes[k] for k in batched}
    return g, batched, batched_axes, x_axis, out_axis


def _output_fn(prob: Problem, x, kw):
    """θ ↦ f(θ, x) for the whole batch (a vmap of per-example calls under ``vmap_axes``)."""
    if prob.vmap is None:
        return lambda p: prob.f(p, x, **kw)
    g, batched, batched_axes, x_axis, out_axis = _vmap_parts(prob, x, kw)
    return lambda p: jax.vmap(g, (None, x_axis, batched_axes), out_axis)(p, x, batched)


def _jacobian(prob: Problem, x, kw):
    """∂f(θ, x)/∂θ: per leaf, shape (*output shape, *leaf shape)."""
    if prob.vmap is None:
        return jax.jacrev(lambda p: prob.f(p, x, **kw))(prob.params)
    g, batched, batched_axes, x_axis, out_axis = _vmap_parts(prob, x, kw)
    return jax.vmap(jax.jacrev(g), (None, x_axis, batched_axes), out_axis)(prob.params, x, batched)


def jacobian_contraction(prob: Problem) -> Array:
    """Θ via two Jacobians and one einsum per parameter leaf (module docstring)."""
    ndim = len(prob.shape1)
    j1 = _jacobian(prob, prob.x1, prob.kw1)
    j2 = j1 if prob.x2 is None else _jacobian(prob, prob.x2, prob.kw2)

    # Fold the traced output axes and the leaf's parameter axes into one contracted axis, so
    # each leaf is one (batched) GEMM: XLA:CPU runs an einsum with several contracting axes
    # ~1.5x slower (measured on the benchmark's case A, jax 0.10). With the default trace
    # (the last output axis) the transpose is the identity and the reshape is free.
    kept = tuple(a for a in range(ndim) if a not in prob.traced)
    diag = tuple(kept.index(a) for a in prob.diag)
    spec = pair_spec(len(kept), 1, (), diag)

    def fold(j: Array) -> Array:
        perm = kept + prob.traced + tuple(range(ndim, j.ndim))
        return jnp.transpose(j, perm).reshape(tuple(j.shape[a] for a in kept) + (-1,))

    def contract(a: Array, b: Array) -> Array:
        return jnp.einsum(spec, fold(a), fold(b), precision=jax.lax.Precision.HIGHEST)

    terms = jax.tree_util.tree_leaves(jax.tree.map(contract, j1, j2))
    return functools.reduce(operator.add, terms) / traced_size(prob.shape1, prob.traced)


def ntk_vector_products(prob: Problem) -> Array:
    """Θ via Θ e = J(x1)(J(x2)ᵀ e) over the output basis of f(x2) (module docstring).

    The map v ↦ J(x1) J(x2)ᵀ v is obtained as the `jax.linear_transpose` of
    u ↦ J(x2) J(x1)ᵀ u = jvp(f(·, x2), vjp(f(·, x1))(u)), then vmapped over the basis
    vectors v, ``BASIS_CHUNK`` at a time (`jax.lax.map` with ``batch_size``). Transposing
    (rather than vmapping the VJP and the JVP themselves) lets JAX move every primal
    computation out of the vmapped linear program; on XLA:CPU (jax 0.10) that is 2-3×
    faster, and chunking the basis another 1.4-1.9× (benchmarks/bench_empirical_ntk.py). With ``vmap_axes``, the basis is that of one x2 example's outputs
    and the result is vmapped over x2's examples (per-example VJPs: 3F·O·N2, not 3F·O·N2²).
    """
    f1 = _output_fn(prob, prob.x1, prob.kw1)
    out1 = jax.eval_shape(f1, prob.params)

    def transposed(f2: Any, basis: Array) -> Array:  # J(x1) J(x2)ᵀ v for each v in basis
        def forward(u):
            return jax.jvp(f2, (prob.params,), jax.vjp(f1, prob.params)[1](u))[1]

        back = jax.linear_transpose(forward, out1)
        return jax.lax.map(lambda v: back(v)[0], basis, batch_size=min(BASIS_CHUNK, len(basis)))

    x2, kw2 = (prob.x1, prob.kw1) if prob.x2 is None else (prob.x2, prob.kw2)
    shape2 = prob.shape2
    if prob.vmap is None:
        size = math.prod(shape2)
        basis = jnp.eye(size, dtype=out1.dtype).reshape((size,) + shape2)
        f2 = f1 if prob.x2 is None else _output_fn(prob, x2, kw2)
        columns = transposed(f2, basis).reshape(shape2 + prob.shape1)  # (*out2, *out1)
    else:
        g, batched, batched_axes, x_axis, out_axis = _vmap_parts(prob, x2, kw2)
        out_axis %= len(shape2)
        one = shape2[:out_axis] + shape2[out_axis + 1:]
        basis = jnp.eye(math.prod(one), dtype=out1.dtype).reshape((-1,) + one)

        def per_example(x_j, batched_j):  # (O, *out1)
            return transposed(lambda p: g(p, x_j, batched_j), basis)

        columns = jax.vmap(per_example, (x_axis, batched_axes))(x2, batched)
        columns = columns.reshape((shape2[out_axis],) + one + prob.shape1)
        columns = jnp.moveaxis(columns, 0, out_axis)  # (*out2, *out1)
    spec = full_spec(len(prob.shape1), prob.traced, prob.diag, x2_first=True)
    return jnp.einsum(spec, columns) / traced_size(prob.shape1, prob.traced)


def estimated_flops(prob: Problem, n_params: int) -> dict[str, float]:
    """The FLOP estimates of the module docstring, with F = 2P, for both methods."""
    ndim = len(prob.shape1)
    batch = 0 if prob.vmap is None else prob.vmap[1] % ndim
    n1, n2 = prob.shape1[batch], prob.shape2[batch]
    o = math.prod(prob.shape1) // n1
    u = math.prod(prob.shape1[a] for a in range(ndim) if a not in (batch, *prob.traced, *prob.diag))
    pairs = n1 if batch in prob.diag else n1 * n2
    fwd = 2.0 * n_params
    same = prob.x2 is None
    if prob.vmap is None:
        jac = 3 * fwd * o * (n1 * n1 + (0 if same else n2 * n2))
        vjp = 3 * fwd * o * n2 * n2
    else:
        jac = 3 * fwd * o * (n1 + (0 if same else n2))
        vjp = 3 * fwd * o * n2
    return {
        "jacobian_contraction": jac + 2.0 * n_params * o * u * pairs,
        "ntk_vector_products": vjp + 3 * fwd * o * n1 * n2,
    }


def choose(prob: Problem) -> str:
    """``'auto'``'s choice: Jacobian contraction unless NTK-vector products are cheaper."""
    n_params = sum(math.prod(jnp.shape(p)) for p in jax.tree_util.tree_leaves(prob.params))
    flops = estimated_flops(prob, n_params)
    if flops["ntk_vector_products"] < flops["jacobian_contraction"]:
        return "ntk_vector_products"
    return "jacobian_contraction"


METHODS = {"jacobian_contraction": jacobian_contraction, "ntk_vector_products": ntk_vector_products}
