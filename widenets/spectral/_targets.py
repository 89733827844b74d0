"""Sample points on spheres and targets made of spherical harmonics of chosen degrees.

* `circle_points(n)`: θ_j = θ₀ + 2πj/n, x_j = (cos θ_j, sin θ_j) ∈ S¹. On these points every
  rotation-invariant Gram matrix is circulant, so its eigenvectors are exactly the Fourier
  modes (see `widenets.spectral._projection`).
* `sphere_points(key, n, d)`: i.i.d. uniform on S^{d−1}, x = g/‖g‖ with g ~ N(0, I_d).
* `harmonic_target(x, degrees, coefficients)`: y(x) = Σ_k a_k h_k(x) with h_k a degree-k
  spherical harmonic: sin kθ or cos kθ on the circle; on S^{d−1} the zonal harmonic
  P_k^{(d)}(⟨x, e_k⟩) of a unit direction e_k (normalised Gegenbauer polynomial, P_k(1) = 1;
  Funk–Hecke: every dot-product kernel maps it to μ_k times itself, Basri et al. 2019,
  arXiv:1906.00425). Its mean square over the sphere is 1/N(d, k) (addition theorem), ½ for
  sin kθ and cos kθ.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import as_float_array, check_choice, check_float, check_int, check_key
from ._sphere import zonal_table

Array = jax.Array
BASES = ("auto", "sin", "cos", "zonal")


def circle_points(n: int, offset: float = 0.0) -> np.ndarray:
    """n equispaced points on the unit circle: x_j = (cos θ_j, sin θ_j), θ_j = offset + 2πj/n.

    Args:
      n: number of points ≥ 1.
      offset: θ₀ (radians).

    Returns:
      float64 array ``(n, 2)``, rows of norm 1.
    """
    n = check_int("n", n, minimum=1)
    offset = check_float("offset", offset)
    theta = offset + 2.0 * math.pi * np.arange(n) / n
    return np.stack([np.cos(theta), np.sin(theta)], axis=1)


def sphere_points(key: Array, n: int, d: int, dtype: Any = jnp.float64) -> Array:
    """n i.i.d. uniform points on S^{d−1} ⊂ R^d: x = g/‖g‖, g ~ N(0, I_d).

    Args:
      key: a `jax.random` key.
      n: number of points ≥ 1.
      d: ambient dimension ≥ 2.
      dtype: floating dtype of the result (float64 needs x64 enabled).

    Returns:
      ``(n, d)`` array of unit-norm rows.
    """
    key = check_key("key", key)
    n = check_int("n", n, minimum=1)
    d = check_int("d", d, minimum=2)
    g = jax.random.normal(key, (n, d), dtype=dtype)
    return g / jnp.linalg.norm(g, axis=1, keepdims=True)


def angles(x: Any) -> np.ndarray:
    """θ = atan2(x₂, x₁) of points ``(n, 2)`` on the circle (float64, in (−π, π])."""
    x = np.asarray(as_float_array("x", x, min_ndim=2), dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"`x` must be points on the circle, shape (n, 2), got {x.shape}.")
    return np.arctan2(x[:, 1], x[:, 0])


def _check_degrees(degrees: Any, coefficients: Any) -> tuple[np.ndarray, np.ndarray]:
    ks = np.atleast_1d(np.asarray(degrees))
    if ks.ndim != 1 or ks.size == 0 or not np.issubdtype(ks.dtype, np.integer) or ks.min() < 0:
        raise ValueError(f"`degrees` must be a non-empty 1-d sequence of integers >= 0, got {degrees!r}.")
    a = np.atleast_1d(np.asarray(coefficients, dtype=np.float64))
    if a.shape != ks.shape:
        raise ValueError(
            f"`coefficients` must have one entry per degree: got {a.shape[0] if a.ndim else 1} "
            f"coefficients for {ks.size} degrees."
        )
    if not np.all(np.isfinite(a)):
        raise ValueError("`coefficients` contains non-finite values.")
    return ks.astype(np.int64), a


def harmonic_target(
    x: Any,
    degrees: Sequence[int],
    coefficients: Sequence[float],
    *,
    basis: str = "auto",
    directions: Any = None,
    key: Array | None = None,
) -> np.ndarray:
    """y(x) = Σ_i a_i h_{k_i}(x), a sum of spherical harmonics of degrees k_i.

    Bases (``basis``):
      * ``"sin"`` / ``"cos"`` (circle, d = 2): h_k = sin kθ / cos kθ, θ = atan2(x₂, x₁);
        ``"auto"`` means ``"sin"`` for d = 2.
      * ``"zonal"`` (any d; ``"auto"`` for d ≥ 3): h_k(x) = P_k^{(d)}(⟨x, e_i⟩) with unit
        directions e_i, given as ``directions`` (one row per degree) or drawn uniformly on
        S^{d−1} from ``key``. P_k^{(d)} is a degree-k harmonic in x (d = 2: cos k(θ − θ_e)).

    Args:
      x: ``(n, d)`` points on the unit sphere (the harmonic property needs ‖x‖ = 1).
      degrees: degrees k_i ≥ 0.
      coefficients: amplitudes a_i, one per degree.
      basis: ``"auto"``, ``"sin"``, ``"cos"`` or ``"zonal"``.
      directions: ``(len(degrees), d)`` unit vectors for ``"zonal"`` (normalised here).
      key: `jax.random` key drawing the directions when ``directions`` is None.

    Returns:
      float64 array ``(n, 1)`` (one output channel, the shape `train_mse` expects).
    """
    x = np.asarray(as_float_array("x", x, min_ndim=2), dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"`x` must be (n, d) points with d >= 2, got shape {x.shape}.")
    n, d = x.shape
    ks, a = _check_degrees(degrees, coefficients)
    basis = check_choice("basis", basis, BASES)
    if basis == "auto":
        basis = "sin" if d == 2 else "zonal"
    if basis in ("sin", "cos"):
        if d != 2:
            raise ValueError(f"`basis={basis!r}` needs points on the circle (d = 2), got d = {d}.")
        theta = angles(x)
        trig = np.sin if basis == "sin" else np.cos
        return (trig(np.outer(theta, ks)) @ a)[:, None]
    if directions is None:
        if key is None:
            raise ValueError("`basis='zonal'` needs `directions` ((len(degrees), d) unit vectors) or a `key`.")
        e = np.asarray(sphere_points(key, ks.size, d, dtype=jnp.float64 if jax.config.jax_enable_x64
                                     else jnp.float32), dtype=np.float64)
    else:
        e = np.asarray(as_float_array("directions", directions, min_ndim=2), dtype=np.float64)
        if e.shape != (ks.size, d):
            raise ValueError(f"`directions` must have shape ({ks.size}, {d}), one per degree; got {e.shape}.")
        norms = np.linalg.norm(e, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise ValueError("`directions` must be non-zero vectors.")
        e = e / norms
    t = np.clip(x @ e.T, -1.0, 1.0)  # (n, len(ks))
    table = zonal_table(int(ks.max()), d, t)  # (k_max + 1, n, len(ks))
    h = table[ks, :, np.arange(ks.size)]  # (len(ks), n)
    return (a @ h)[:, None]
