"""The `Kernel` record that layers transform, the input kernel that starts it, and the
variance helpers that layer rules use.

Layout (neural-tangents' convention, so that numbers and shapes compare directly). For
inputs x1 with N1 examples and x2 with N2 examples whose finite activations have spatial
axes S₁ … S_m (none for fully connected networks) and C channels,

* ``nngp``, ``ntk``: (N1, N2, S₁, S₁', S₂, S₂', …), the covariance between position
  (s₁, s₂, …) of x1_i and (s₁', s₂', …) of x2_j (the **full** spatial covariance), or
  (N1, N2, S₁, S₂, …) when ``diagonal_spatial`` (only positions s = s');
* ``cov1``: (N1, S₁, S₁', …) (or (N1, S₁, …)), the covariances of each x1_i with itself;
  ``cov2`` likewise for x2 (``cov1`` again when ``x1_is_x2``). widenets evaluates every
  layer with these per-example covariances (``diagonal_batch=True``); ``kernel_fn(...,
  diagonal_batch=False)`` returns (N1, N1, …) Gram matrices there instead.

Channels are i.i.d. in the infinite-width limit, so no channel axis is stored. The input
kernel averages over channels (Novak et al. 2019, arXiv:1810.05148, §2.2):

    nngp⁰[i, j, s, s'] = Σ_c x1[i, s, c] x2[j, s', c] / C,   ntk⁰ = 0.

When the network first flattens its input, the input kernel is computed on the flattened
features directly (one channel axis of size d = Π S · C): nngp⁰ = x1 x2ᵀ / d.

A layer rule maps the kernel entries of each pair of examples (i, j) independently of every
other pair; that is what lets `kernel_fn` evaluate a Gram matrix tile by tile.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._struct import Struct, static

Array = jax.Array

#: the spatial forms an input kernel can be built in, from least to most information
FORMS = ("flat", "diagonal", "full")


class Kernel(Struct):
    """Covariances of one layer's (infinitely wide) activations on two batches of inputs.

    Attributes:
      nngp: E[f(x1_i)_s f(x2_j)_s'] per channel; layout in the module docstring.
      ntk: the neural tangent kernel, same layout.
      cov1: per-example covariances of the x1 batch, (N1, spatial...).
      cov2: per-example covariances of the x2 batch, (N2, spatial...).
      shape1, shape2: shapes of the finite network's activations at this point, batch axis
        included (their channel entry is the width used by the standard parameterization).
      batch_axis, channel_axis: where the batch and channel axes of those activations are.
      is_gaussian: the activations are a centred Gaussian process (an affine layer was last),
        so an activation may follow.
      x1_is_x2: the two batches are the same inputs (a symmetric Gram matrix).
      diagonal_spatial: only the spatial diagonal is stored (see the module docstring).
      diagonal_batch: ``cov1``/``cov2`` hold per-example covariances (always True inside
        the engine).
      is_input: this is the kernel of the raw inputs.
      is_reversed: always False (neural-tangents' field, kept for compatibility).
      mask1, mask2: always None (masking is not implemented).
    """

    nngp: Any
    ntk: Any
    cov1: Any
    cov2: Any
    shape1: tuple = static(())
    shape2: tuple = static(())
    batch_axis: int = static(0)
    channel_axis: int = static(-1)
    is_gaussian: bool = static(False)
    x1_is_x2: bool = static(False)
    diagonal_spatial: bool = static(False)
    diagonal_batch: bool = static(True)
    is_input: bool = static(False)
    is_reversed: bool = static(False)
    mask1: Any = static(None)
    mask2: Any = static(None)

    @property
    def spatial_ndim(self) -> int:
        """Number of spatial axes stored in the kernel arrays (0 for fully connected)."""
        extra = jnp.ndim(self.nngp) - 2
        return extra if self.diagonal_spatial else extra // 2

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        """Sizes of the stored spatial axes (each once)."""
        tail = jnp.shape(self.nngp)[2:]
        return tuple(tail) if self.diagonal_spatial else tuple(tail[::2])

    @property
    def width(self) -> int:
        """Channel count of the finite activations (of x1)."""
        return self.shape1[self.channel_axis]

    @property
    def dtype(self) -> Any:
        return jnp.result_type(self.nngp)

    def variances(self) -> tuple[Array, Array]:
        """(q1, q2): the variances of the two positions of every entry of ``nngp``, shaped to
        broadcast against it (read off the diagonal of ``nngp`` for a symmetric Gram, so that
        correlations there are exactly one; see `nngp_variances`)."""
        return nngp_variances(self)

    def self_variances(self, cov: Array) -> tuple[Array, Array]:
        """(qa, qb) for the entries of a per-example covariance (``cov1`` or ``cov2``)."""
        return cov_variances(cov, self.diagonal_spatial or self.spatial_ndim == 0)


def _channels_last(x: Array, batch_axis: int, channel_axis: int) -> Array:
    return jnp.moveaxis(x, (batch_axis, channel_axis), (0, -1))


def _pair_einsum(a: Array, b: Array, full: bool) -> Array:
    """Σ_c a[i, s..., c] b[j, s'..., c] / C in the kernel layout (full or diagonal)."""
    n_sp = a.ndim - 2
    letters = "abcdefghklmnopqrstuvw"
    s1, s2 = letters[:n_sp], letters[n_sp: 2 * n_sp]
    if full:
        out = "".join(x + y for x, y in zip(s1, s2))
        spec = f"i{s1}z,j{s2}z->ij{out}"
    else:
        spec = f"i{s1}z,j{s1}z->ij{s1}"
    prod = jnp.einsum(spec, a, b, precision=jax.lax.Precision.HIGHEST)
    return prod / a.shape[-1]


def _self_covariance(a: Array, full: bool) -> Array:
    """Σ_c a[i, s, c] a[i, s', c] / C per example (full) or its diagonal."""
    if not full:
        return jnp.sum(a * a, axis=-1) / a.shape[-1]
    n_sp = a.ndim - 2
    letters = "abcdefghklmnopqrstuvw"
    s1, s2 = letters[:n_sp], letters[n_sp: 2 * n_sp]
    out = "".join(x + y for x, y in zip(s1, s2))
    prod = jnp.einsum(f"i{s1}z,i{s2}z->i{out}", a, a, precision=jax.lax.Precision.HIGHEST)
    return prod / a.shape[-1]


def input_kernel(
    x1: Array, x2: Array | None, form: str = "flat", batch_axis: int = 0, channel_axis: int = -1
) -> Kernel:
    """The kernel of the raw inputs (module docstring), in ``form`` 'flat', 'diagonal' or 'full'.

    ``batch_axis`` and ``channel_axis`` say where those axes of x1/x2 are; every other axis is
    spatial. With ``form='flat'`` all non-batch axes are one feature axis.
    """
    ndim = x1.ndim
    batch_axis = batch_axis % ndim
    if channel_axis is None:  # only the batch axis matters (the features are flattened)
        channel_axis = ndim - 1 if batch_axis != ndim - 1 else 0
    channel_axis = channel_axis % ndim
    if form == "flat" or ndim == 2:
        def prep(x):
            return jnp.moveaxis(x, batch_axis, 0).reshape(x.shape[batch_axis], -1)

        a = prep(x1)
        b = a if x2 is None else prep(x2)
        nngp = jnp.matmul(a, b.T, precision=jax.lax.Precision.HIGHEST) / a.shape[1]
        cov1 = jnp.sum(a * a, axis=1) / a.shape[1]
        cov2 = cov1 if x2 is None else jnp.sum(b * b, axis=1) / b.shape[1]
        if ndim > 2:  # flattened: one feature axis
            shape1, shape2, axes = (a.shape[0], a.shape[1]), (b.shape[0], b.shape[1]), (0, 1)
        else:
            shape1, axes = tuple(x1.shape), (batch_axis, channel_axis)
            shape2 = shape1 if x2 is None else tuple(x2.shape)
        return Kernel(nngp, jnp.zeros_like(nngp), cov1, cov2, shape1=shape1, shape2=shape2,
                      batch_axis=axes[0], channel_axis=axes[1], is_gaussian=False,
                      x1_is_x2=x2 is None, diagonal_spatial=False, is_input=True)
    full = form == "full"
    a = _channels_last(x1, batch_axis, channel_axis)
    b = a if x2 is None else _channels_last(x2, batch_axis, channel_axis)
    nngp = _pair_einsum(a, b, full)
    cov1 = _self_covariance(a, full)
    cov2 = cov1 if x2 is None else _self_covariance(b, full)
    return Kernel(nngp, jnp.zeros_like(nngp), cov1, cov2, shape1=tuple(x1.shape),
                  shape2=tuple(x1.shape if x2 is None else x2.shape), batch_axis=batch_axis,
                  channel_axis=channel_axis, is_gaussian=False, x1_is_x2=x2 is None,
                  diagonal_spatial=not full, is_input=True)


# ---------------------------------------------------------------------------------------
# Spatial bookkeeping shared by layer rules
# ---------------------------------------------------------------------------------------

def spatial_diagonal(cov: Array, batch_ndim: int, diagonal_spatial: bool) -> Array:
    """The per-position variances of a covariance with ``batch_ndim`` leading batch axes:
    (…, S₁, S₁', S₂, S₂', …) → (…, S₁, S₂, …); unchanged when already diagonal."""
    if diagonal_spatial:
        return cov
    n_sp = (cov.ndim - batch_ndim) // 2
    out = cov
    for p in range(n_sp):
        # pair p sits at axes (batch_ndim + p, batch_ndim + p + 1) after earlier pairs collapsed
        out = jnp.diagonal(out, axis1=batch_ndim + p, axis2=batch_ndim + p + 1)
        out = jnp.moveaxis(out, -1, batch_ndim + p)
    return out


def batch_diagonal(k: Kernel) -> Array:
    """nngp[i, i, …] of a symmetric Gram (``x1_is_x2``): the covariances of x1_i with itself."""
    return jnp.moveaxis(jnp.diagonal(k.nngp, axis1=0, axis2=1), -1, 0)


def position_variances(k: Kernel) -> tuple[Array, Array]:
    """(v1, v2): the variance of every position of every example, (N1, S…) and (N2, S…).

    For a symmetric Gram (``x1_is_x2``) both are read off the diagonal of ``nngp`` itself
    rather than from ``cov1``: the two agree mathematically but may differ by an ulp
    (separately rounded), and near correlation one the duals amplify that ulp (the ReLU NTK
    factor is linear in θ ≈ √(2·ulp)). Reading the diagonal makes cos θ exactly 1 there.
    """
    if k.x1_is_x2:
        var = spatial_diagonal(batch_diagonal(k), 1, k.diagonal_spatial)
        return var, var
    return (spatial_diagonal(k.cov1, 1, k.diagonal_spatial),
            spatial_diagonal(k.cov2, 1, k.diagonal_spatial))


def expand_pair(v1: Array, v2: Array, diagonal_spatial: bool) -> tuple[Array, Array]:
    """Per-position variances v1 (N1, S…) and v2 (N2, S…) reshaped to broadcast against a
    (N1, N2, spatial…) kernel: the x1 position for the first axis of each spatial pair, the
    x2 position for the second."""
    n1, n2 = v1.shape[0], v2.shape[0]
    if diagonal_spatial:
        return v1.reshape((n1, 1) + v1.shape[1:]), v2.reshape((1, n2) + v2.shape[1:])
    shape1, shape2 = (n1, 1), (1, n2)
    for s1, s2 in zip(v1.shape[1:], v2.shape[1:]):
        shape1 += (s1, 1)
        shape2 += (1, s2)
    return v1.reshape(shape1), v2.reshape(shape2)


def expand_self(v: Array, diagonal_spatial: bool) -> tuple[Array, Array]:
    """Per-position variances v (N, S…) reshaped to broadcast against a per-example
    covariance (N, spatial…): the first and the second position of each entry."""
    if diagonal_spatial:
        return v, v
    shape_a, shape_b = (v.shape[0],), (v.shape[0],)
    for s in v.shape[1:]:
        shape_a += (s, 1)
        shape_b += (1, s)
    return v.reshape(shape_a), v.reshape(shape_b)


def nngp_variances(k: Kernel) -> tuple[Array, Array]:
    """(q1, q2): the variances of the two positions of every entry of ``k.nngp``, shaped to
    broadcast against it (see `position_variances`)."""
    return expand_pair(*position_variances(k), k.diagonal_spatial)


def cov_variances(cov: Array, diagonal_spatial: bool) -> tuple[Array, Array]:
    """(qa, qb) for the entries of a per-example covariance ``cov`` (N, spatial…): the
    variances of the two positions of each entry, shaped to broadcast against it."""
    return expand_self(spatial_diagonal(cov, 1, diagonal_spatial), diagonal_spatial)


def swap_pairs(arr: Array, diagonal_spatial: bool) -> Array:
    """K[i, j, s, s'] → K[j, i, s', s]: the kernel of (x2, x1) from that of (x1, x2)."""
    n = arr.ndim
    if diagonal_spatial or n == 2:
        return jnp.swapaxes(arr, 0, 1)
    perm = [1, 0]
    for a in range(2, n, 2):
        perm += [a + 1, a]
    return jnp.transpose(arr, perm)


def take_spatial_diagonal(k: Kernel) -> Kernel:
    """The same kernel with only its spatial diagonal stored (no-op if already diagonal)."""
    if k.diagonal_spatial or k.spatial_ndim == 0:
        return k.replace(diagonal_spatial=True) if k.spatial_ndim == 0 else k
    return k.replace(
        nngp=spatial_diagonal(k.nngp, 2, False),
        ntk=spatial_diagonal(k.ntk, 2, False),
        cov1=spatial_diagonal(k.cov1, 1, False),
        cov2=spatial_diagonal(k.cov2, 1, False),
        diagonal_spatial=True,
    )


def is_kernel_tree(obj: Any) -> bool:
    """A `Kernel`, or a (nested) list/tuple of them, as flows between branching layers."""
    if isinstance(obj, Kernel):
        return True
    return isinstance(obj, (list, tuple)) and len(obj) > 0 and all(map(is_kernel_tree, obj))
