"""Architectures read two ways: a finite network (init/apply) and its infinite-width kernel.

Names, arguments and kernel normalisation follow `neural_tangents.stax`, so code written for
those layers runs after changing the import::

    from widenets import stax
    init_fn, apply_fn, kernel_fn = stax.serial(
        stax.Dense(512, W_std=1.5, b_std=0.05), stax.Relu(), stax.Dense(1))
    k = kernel_fn(x1, x2, get=("nngp", "ntk"))
"""
from ._combinators import FanInConcat as FanInConcat
from ._combinators import FanInProd as FanInProd
from ._combinators import FanInSum as FanInSum
from ._combinators import FanOut as FanOut
from ._combinators import parallel as parallel
from ._combinators import serial as serial
from ._elementwise import ABRelu as ABRelu
from ._elementwise import Abs as Abs
from ._elementwise import Cos as Cos
from ._elementwise import Elementwise as Elementwise
from ._elementwise import ElementwiseNumerical as ElementwiseNumerical
from ._elementwise import Erf as Erf
from ._elementwise import Exp as Exp
from ._elementwise import Gaussian as Gaussian
from ._elementwise import Gelu as Gelu
from ._elementwise import LeakyRelu as LeakyRelu
from ._elementwise import Monomial as Monomial
from ._elementwise import Polynomial as Polynomial
from ._elementwise import Rbf as Rbf
from ._elementwise import RectifiedMonomial as RectifiedMonomial
from ._elementwise import Relu as Relu
from ._elementwise import Sigmoid_like as Sigmoid_like
from ._elementwise import Sign as Sign
from ._elementwise import Sin as Sin
from ._elementwise import Snake as Snake
from ._elementwise import activation as activation
from ._kernel import Kernel as Kernel
from ._layer import Layer as Layer
from ._linear import Dense as Dense
from ._linear import Flatten as Flatten
from ._linear import Identity as Identity
from ._linear import LayerNorm as LayerNorm
