"""Symmetric laws of output weights, described by their normalised moments m4 and m6.

A one-hidden-layer output y = b + Σ_i v_i σ(h_i) is a sum of i.i.d. terms; its cumulants
depend on the readout law only through m4 = E v⁴/(E v²)² and m6 = E v⁶/(E v²)³ (Antognini
2019, arXiv:1908.10030). Each law samples unit-variance draws; scale by √(C_W/n).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .._validation import check_key

Array = jax.Array
Sampler = Callable[[Array, tuple[int, ...], Any], Array]


def _normal(key: Array, shape: tuple[int, ...], dtype: Any) -> Array:
    return jax.random.normal(key, shape, dtype)


def _uniform(key: Array, shape: tuple[int, ...], dtype: Any) -> Array:
    root3 = math.sqrt(3.0)
    return jax.random.uniform(key, shape, dtype, minval=-root3, maxval=root3)


def _rademacher(key: Array, shape: tuple[int, ...], dtype: Any) -> Array:
    return jax.random.rademacher(key, shape, dtype)


@dataclasses.dataclass(frozen=True)
class WeightLaw:
    """A symmetric output-weight law, in units of its variance.

    Attributes:
      name: display name.
      m4: E v⁴ / (E v²)².
      m6: E v⁶ / (E v²)³.
      sampler: ``sampler(key, shape, dtype)`` → unit-variance draws (not compared or printed).
    """

    name: str
    m4: float
    m6: float
    sampler: Sampler = dataclasses.field(default=_normal, repr=False, compare=False)

    def sample(self, key: Array, shape: tuple[int, ...], dtype: Any = jnp.float64) -> Array:
        """Unit-variance i.i.d. draws of this law, of the given shape and dtype."""
        key = check_key("key", key)
        return self.sampler(key, tuple(shape), dtype)


def gaussian_weights() -> WeightLaw:
    """v ~ N(0, 1): m4 = 3, m6 = 15."""
    return WeightLaw("gaussian", 3.0, 15.0, _normal)


def uniform_weights() -> WeightLaw:
    """v ~ U(−√3, √3): m4 = 9/5, m6 = 27/7 (E v^{2k} = 3^k/(2k+1))."""
    return WeightLaw("uniform", 9.0 / 5.0, 27.0 / 7.0, _uniform)


def rademacher_weights() -> WeightLaw:
    """v = ±1 with probability ½: m4 = m6 = 1."""
    return WeightLaw("rademacher", 1.0, 1.0, _rademacher)
