"""The `Kernel` record that layers transform, and the input kernel that starts it.

Conventions follow neural-tangents (THEORY.md §1) so that numbers compare directly:
for inputs x1 (N1, d) and x2 (N2, d),

    nngp⁰ = x1 x2ᵀ / d,   cov1⁰ = diag(x1 x1ᵀ) / d,   cov2⁰ = diag(x2 x2ᵀ) / d,   ntk⁰ = 0.

Every layer in widenets.stax maps (nngp[i, j], ntk[i, j], cov1[i], cov2[j]) to new values
entry by entry; that is what lets `kernel_fn` evaluate a symmetric Gram matrix tile by
tile (see `_evaluate.py`).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class Kernel:
    """Covariances of one layer's (infinitely wide) activations on two batches.

    Attributes:
      nngp: (N1, N2) covariance E[f(x1_i) f(x2_j)] per channel.
      ntk: (N1, N2) neural tangent kernel.
      cov1: (N1,) variances E[f(x1_i)²].
      cov2: (N2,) variances E[f(x2_j)²]; equal to ``cov1`` when ``x1_is_x2``.
      shape: feature shape of the finite network's activations at this point (without the
        batch axis); its last entry is the channel width used by the standard
        parameterization and by `FanInConcat`.
      is_gaussian: activations are a centred Gaussian process (an affine layer was last),
        so an activation may follow.
      x1_is_x2: the two batches are the same inputs (symmetric Gram).
    """

    nngp: Array
    ntk: Array
    cov1: Array
    cov2: Array
    shape: tuple[int, ...] = ()
    is_gaussian: bool = False
    x1_is_x2: bool = False

    def replace(self, **changes: Any) -> Kernel:
        return dataclasses.replace(self, **changes)

    @property
    def width(self) -> int:
        return self.shape[-1]

    @property
    def dtype(self):
        return self.nngp.dtype


jax.tree_util.register_dataclass(
    Kernel,
    data_fields=["nngp", "ntk", "cov1", "cov2"],
    meta_fields=["shape", "is_gaussian", "x1_is_x2"],
)


def input_kernel(x1: Array, x2: Array | None) -> Kernel:
    """The kernel of the raw inputs: ``nngp = x1 x2ᵀ / d``, ``ntk = 0`` (see module doc).

    ``x1`` has shape (N1, *feature_shape); the features are flattened for the inner product,
    as neural-tangents does when the network starts with `Flatten`.
    """
    feature_shape = tuple(x1.shape[1:])
    flat1 = x1.reshape(x1.shape[0], -1)
    d = flat1.shape[1]
    cov1 = jnp.sum(flat1 * flat1, axis=1) / d
    flat2 = flat1 if x2 is None else x2.reshape(x2.shape[0], -1)
    # HIGHEST precision: on GPUs the default float32 matmul may round through TF32.
    nngp = jnp.matmul(flat1, flat2.T, precision=jax.lax.Precision.HIGHEST) / d
    cov2 = cov1 if x2 is None else jnp.sum(flat2 * flat2, axis=1) / d
    return Kernel(
        nngp=nngp,
        ntk=jnp.zeros_like(nngp),
        cov1=cov1,
        cov2=cov2,
        shape=feature_shape,
        is_gaussian=False,
        x1_is_x2=x2 is None,
    )


def pair_variances(k: Kernel) -> tuple[jax.Array, jax.Array]:
    """(q11[:, None], q22[None, :]) for the entries of ``k.nngp``.

    For a symmetric Gram (``x1_is_x2``) the variances are read off the diagonal of ``nngp``
    itself rather than from ``cov1``: the two agree mathematically but may differ by an ulp
    (separately rounded, e.g. by fused multiply-adds), and near correlation one the duals
    amplify that ulp (the ReLU NTK factor is linear in θ ≈ √(2·ulp)). Reading the diagonal
    makes cos θ exactly 1 there, as it should be.
    """
    if k.x1_is_x2:
        q = jnp.diagonal(k.nngp)
        return q[:, None], q[None, :]
    return k.cov1[:, None], k.cov2[None, :]
