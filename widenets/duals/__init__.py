"""Dual activations: Gaussian expectations E[φ(u)φ(v)] and E[φ'(u)φ'(v)] in one place.

Each activation is an immutable pytree value, a subclass of `Dual` (float parameters are
traceable leaves); the lower-case factories (`relu`, `abrelu`, `erf`, ...) build them.
"""
from ._arccos import RectifiedMonomial as RectifiedMonomial
from ._arccos import rectified_monomial as rectified_monomial
from ._custom import FromNNGP as FromNNGP
from ._custom import Numerical as Numerical
from ._custom import Tanh as Tanh
from ._custom import from_nngp_fn as from_nngp_fn
from ._custom import numerical as numerical
from ._custom import tanh as tanh
from ._dual import Dual as Dual
from ._dual import correlation as correlation
from ._exponential import Exp as Exp
from ._exponential import Gaussian as Gaussian
from ._exponential import exp as exp
from ._exponential import gaussian as gaussian
from ._polynomial import Monomial as Monomial
from ._polynomial import Polynomial as Polynomial
from ._polynomial import monomial as monomial
from ._polynomial import polynomial as polynomial
from ._quadrature import gaussian_expectation as gaussian_expectation
from ._quadrature import gaussian_expectation_2d as gaussian_expectation_2d
from ._quadrature import gaussian_expectation_nd as gaussian_expectation_nd
from ._rectifiers import Abs as Abs
from ._rectifiers import ABRelu as ABRelu
from ._rectifiers import Identity as Identity
from ._rectifiers import LeakyRelu as LeakyRelu
from ._rectifiers import Relu as Relu
from ._rectifiers import Sign as Sign
from ._rectifiers import abrelu as abrelu
from ._rectifiers import abs_ as abs_
from ._rectifiers import identity as identity
from ._rectifiers import leaky_relu as leaky_relu
from ._rectifiers import relu as relu
from ._rectifiers import sign as sign
from ._smooth import Erf as Erf
from ._smooth import Gelu as Gelu
from ._smooth import SigmoidLike as SigmoidLike
from ._smooth import erf as erf
from ._smooth import gelu as gelu
from ._smooth import sigmoid_like as sigmoid_like
from ._trig import Cos as Cos
from ._trig import Rbf as Rbf
from ._trig import Sin as Sin
from ._trig import Snake as Snake
from ._trig import cos as cos
from ._trig import rbf as rbf
from ._trig import sin as sin
from ._trig import snake as snake

__all__ = [
    # the value type and its families
    "Dual", "ABRelu", "Relu", "LeakyRelu", "Abs", "Identity", "Sign", "Erf", "SigmoidLike",
    "Gelu", "Sin", "Cos", "Rbf", "Snake", "Exp", "Gaussian", "Monomial", "Polynomial",
    "RectifiedMonomial", "Numerical", "Tanh", "FromNNGP",
    # factories
    "abrelu", "relu", "leaky_relu", "abs_", "identity", "sign", "erf", "sigmoid_like", "gelu",
    "sin", "cos", "rbf", "snake", "exp", "gaussian", "monomial", "polynomial",
    "rectified_monomial", "numerical", "tanh", "from_nngp_fn",
    # Gaussian-expectation helpers
    "correlation", "gaussian_expectation", "gaussian_expectation_2d", "gaussian_expectation_nd",
]  # fmt: skip
