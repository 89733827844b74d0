"""Independent references for the dual-activation tests (numpy/scipy only, no widenets maths).

* `REGISTRY`: every public `Dual` constructor with representative arguments, its activation
  φ and derivative φ' written again in numpy/scipy, and facts the tests need.
* `gh_reference`: a 2-D Gauss–Hermite rule in numpy, factorising the covariance by its
  eigen-decomposition (a different factorisation from widenets' Cholesky-like one).
* `mc_moments`: Monte Carlo mean and standard error from one fixed-seed sample.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
import scipy.special as sp

from widenets import duals

SQRT2 = math.sqrt(2.0)
SIGMOID_SCALE = 2.4020563531719796  # neural-tangents' Sigmoid_like constant


@dataclasses.dataclass(frozen=True)
class Entry:
    id: str  # "<public constructor name>" or "<name>(<args>)"
    make: Callable[[], duals.Dual]
    phi: Callable[[np.ndarray], np.ndarray]
    dphi: Callable[[np.ndarray], np.ndarray]
    # φ absolutely continuous, so Tdot = ∂T/∂q12 (Price's theorem)
    abs_continuous: bool = True
    # φ analytic (entire): high-degree Gauss–Hermite is a 1e-13-accurate reference
    entire: bool = False
    # closed form (False: quadrature-based; compared with looser, derived tolerances)
    closed_form: bool = True
    # largest variance at which T stays representable in float32 (the true value is finite)
    max_q: float = 1e12

    @property
    def constructor(self) -> str:
        return self.id.split("(")[0]


def _step(x):
    return np.where(x > 0, 1.0, np.where(x < 0, 0.0, 0.5))


def _relu_like(a, b):
    return (lambda x: np.where(x > 0, b * x, a * x)), (lambda x: np.where(x > 0, b, a) + 0 * x)


def _rect(d):
    if d == 0:
        return _step, (lambda x: 0 * x)
    def phi(x):
        return np.where(x > 0, x, 0.0) ** d

    def dphi(x):
        return d * np.where(x > 0, np.abs(x) ** (d - 1), 0.0)

    return phi, dphi


_RELU = _relu_like(0.0, 1.0)
_ABRELU = _relu_like(-0.3, 1.7)
_LEAKY = _relu_like(0.2, 1.0)
_ABS = _relu_like(-1.0, 1.0)
_GAUSS_CDF = sp.ndtr


def _snake(a):
    return (lambda x: x + np.sin(a * x) ** 2 / a), (lambda x: 1 + np.sin(2 * a * x))


REGISTRY: tuple[Entry, ...] = (
    Entry("relu", duals.relu, *_RELU),
    Entry("abrelu", lambda: duals.abrelu(-0.3, 1.7), *_ABRELU),
    Entry("leaky_relu", lambda: duals.leaky_relu(0.2), *_LEAKY),
    Entry("abs_", duals.abs_, *_ABS),
    Entry("identity", duals.identity, lambda x: x, lambda x: 1 + 0 * x, entire=True),
    Entry("sign", duals.sign, np.sign, lambda x: 0 * x, abs_continuous=False),
    Entry(
        "erf",
        lambda: duals.erf(1.3, 0.8, 0.2),
        lambda x: 1.3 * sp.erf(0.8 * x) + 0.2,
        lambda x: 1.3 * 0.8 * 2 / math.sqrt(math.pi) * np.exp(-0.64 * x * x),
        entire=True,
    ),
    Entry(
        "sigmoid_like",
        duals.sigmoid_like,
        lambda x: 0.5 * sp.erf(x / SIGMOID_SCALE) + 0.5,
        lambda x: 0.5 / SIGMOID_SCALE * 2 / math.sqrt(math.pi) * np.exp(-((x / SIGMOID_SCALE) ** 2)),
        entire=True,
    ),
    Entry(
        "gelu",
        duals.gelu,
        lambda x: x * _GAUSS_CDF(x),
        lambda x: _GAUSS_CDF(x) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi),
        entire=True,
    ),
    Entry(
        "sin",
        lambda: duals.sin(1.2, 0.9, 0.4),
        lambda x: 1.2 * np.sin(0.9 * x + 0.4),
        lambda x: 1.2 * 0.9 * np.cos(0.9 * x + 0.4),
        entire=True,
    ),
    Entry(
        "cos",
        lambda: duals.cos(0.7, 1.1, -0.3),
        lambda x: 0.7 * np.cos(1.1 * x - 0.3),
        lambda x: -0.7 * 1.1 * np.sin(1.1 * x - 0.3),
        entire=True,
    ),
    Entry(
        "rbf",
        lambda: duals.rbf(0.6),
        lambda x: SQRT2 * np.sin(math.sqrt(1.2) * x + math.pi / 4),
        lambda x: SQRT2 * math.sqrt(1.2) * np.cos(math.sqrt(1.2) * x + math.pi / 4),
        entire=True,
    ),
    Entry(
        "exp",
        lambda: duals.exp(0.8, 0.6),
        lambda x: 0.8 * np.exp(0.6 * x),
        lambda x: 0.48 * np.exp(0.6 * x),
        entire=True,
        max_q=30.0,
    ),
    Entry(
        "gaussian",
        lambda: duals.gaussian(1.1, -0.7),
        lambda x: 1.1 * np.exp(-0.7 * x * x),
        lambda x: 1.1 * 2 * -0.7 * x * np.exp(-0.7 * x * x),
        entire=True,
    ),
    Entry("monomial", lambda: duals.monomial(3), lambda x: x**3, lambda x: 3 * x**2, entire=True),
    Entry(
        "polynomial",
        lambda: duals.polynomial([0.5, -1.0, 0.25, 0.3]),
        lambda x: 0.5 - x + 0.25 * x**2 + 0.3 * x**3,
        lambda x: -1.0 + 0.5 * x + 0.9 * x**2,
        entire=True,
    ),
    Entry("rectified_monomial(0)", lambda: duals.rectified_monomial(0), *_rect(0), abs_continuous=False),
    Entry("rectified_monomial(1)", lambda: duals.rectified_monomial(1), *_rect(1)),
    Entry("rectified_monomial(2)", lambda: duals.rectified_monomial(2), *_rect(2)),
    Entry("rectified_monomial(3)", lambda: duals.rectified_monomial(3), *_rect(3)),
    Entry("snake", lambda: duals.snake(0.7), *_snake(0.7), entire=True),
    Entry(
        "tanh",
        duals.tanh,
        np.tanh,
        lambda x: 1 - np.tanh(x) ** 2,
        closed_form=False,
    ),
    Entry(
        "numerical",
        lambda: duals.numerical(lambda x: x * x * x - x, deg=4),
        lambda x: x**3 - x,
        lambda x: 3 * x**2 - 1,
        entire=True,
        closed_form=False,
        max_q=1e11,  # the quadrature's largest node value, (√q·2.3)⁶, must fit float32
    ),
    Entry(
        "from_nngp_fn",
        # Exp(1, 1)'s T written by hand: Tdot must come out of autodiff
        lambda: duals.from_nngp_fn(jnp.exp, lambda q11, q22, q12: jnp.exp((q11 + q22) / 2 + q12)),
        np.exp,
        np.exp,
        entire=True,
        closed_form=False,
        max_q=30.0,
    ),
)

BY_ID = {e.id: e for e in REGISTRY}

# public names of `widenets.duals` that are not Dual constructors
NON_CONSTRUCTORS = {"Dual", "correlation", "gaussian_expectation", "gaussian_expectation_2d",
                    "gaussian_expectation_nd"}


@functools.lru_cache(maxsize=None)
def hermgauss(deg: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal Gauss–Hermite nodes and weights from numpy (Golub–Welsch), cached."""
    x, w = np.polynomial.hermite.hermgauss(deg)
    return SQRT2 * x, w / math.sqrt(math.pi)


def gh_reference(f: Callable[[np.ndarray, np.ndarray], np.ndarray], q11, q22, q12, deg=120):
    """E[f(u, v)] by a deg×deg Gauss–Hermite rule, covariance factorised by eigh (numpy)."""
    z, w = hermgauss(deg)
    lam, vecs = np.linalg.eigh(np.array([[q11, q12], [q12, q22]], dtype=np.float64))
    a = vecs * np.sqrt(np.maximum(lam, 0))
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    u = a[0, 0] * z1 + a[0, 1] * z2
    v = a[1, 0] * z1 + a[1, 1] * z2
    return float(np.sum(np.outer(w, w) * f(u, v)))


def close(actual, desired, **kwargs) -> None:
    """`np.testing.assert_allclose` on jax or numpy arrays."""
    np.testing.assert_allclose(np.asarray(actual), np.asarray(desired), **kwargs)


def mc_moments(f: Callable[[np.ndarray, np.ndarray], np.ndarray], q11, q22, q12, z1, z2):
    """Monte Carlo estimate of E[f(u, v)] and its standard error (sample std / √M).

    (u, v) = (√q11 z1, q12/√q11 z1 + √(q22 − q12²/q11) z2) from given standard normals.
    """
    s1 = math.sqrt(q11)
    u = s1 * z1
    v = (q12 / s1) * z1 + math.sqrt(max(q22 - q12 * q12 / q11, 0.0)) * z2
    vals = f(u, v)
    return float(np.mean(vals)), float(np.std(vals) / math.sqrt(vals.size))
