"""Architectures read two ways: a finite network (init/apply) and its infinite-width kernel.

Names, arguments and kernel normalisation follow `neural_tangents.stax`, so code written for
those layers runs after changing the import::

    from widenets import stax
    init_fn, apply_fn, kernel_fn = stax.serial(
        stax.Conv(256, (3, 3), padding="SAME"), stax.Relu(),
        stax.Flatten(), stax.Dense(1))
    k = kernel_fn(x1, x2, get=("nngp", "ntk"))

Every layer is a `Layer` value (an immutable pytree carrying its hyperparameters); new
layers subclass it (see `Layer` and docs/howto/add-layer.md).
"""
from ._combinators import FanInConcat as FanInConcat
from ._combinators import FanInProd as FanInProd
from ._combinators import FanInSum as FanInSum
from ._combinators import FanOut as FanOut
from ._combinators import Parallel as Parallel
from ._combinators import Serial as Serial
from ._combinators import parallel as parallel
from ._combinators import serial as serial
from ._conv import Conv as Conv
from ._conv import ConvLocal as ConvLocal
from ._conv import ConvTranspose as ConvTranspose
from ._elementwise import ABRelu as ABRelu
from ._elementwise import Abs as Abs
from ._elementwise import Activation as Activation
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
from ._front import GET_FIELDS as GET_FIELDS
from ._front import evaluate as evaluate
from ._kernel import Kernel as Kernel
from ._layer import KernelFn as KernelFn
from ._layer import check_input_shape as check_input_shape
from ._layer import Layer as Layer
from ._layer import Triple as Triple
from ._linear import Dense as Dense
from ._linear import Identity as Identity
from ._linear import LayerNorm as LayerNorm
from ._plan import KernelPlan as KernelPlan
from ._pooling import AvgPool as AvgPool
from ._pooling import Flatten as Flatten
from ._pooling import GlobalAvgPool as GlobalAvgPool
from ._pooling import GlobalSumPool as GlobalSumPool
from ._pooling import SumPool as SumPool
from .._struct import from_spec as from_spec
from .._struct import to_spec as to_spec
