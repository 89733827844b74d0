"""widenets: infinite-width neural-network theory in JAX.

An architecture is described once and read two ways: as a finite network
(``init_fn``, ``apply_fn``) and as its infinite-width NNGP/NTK kernel (``kernel_fn``).

- :mod:`widenets.stax` — neural-tangents-compatible layers and combinators.
- :mod:`widenets.duals` — dual activations (Gaussian expectations) shared by every topic.
- :mod:`widenets.kernels` — empirical NNGP/NTK of finite networks, Monte-Carlo kernels,
  input batching, `linearize` and `taylor_expand`.
- :mod:`widenets.predict` — infinite-width predictions (gradient-flow dynamics, GP
  posteriors) and the training of the matching finite networks.
- :mod:`widenets.edgeworth` — finite-width (1/n) corrections: cumulants, the 4-point vertex
  recursion, Edgeworth densities, and the matching ensembles of finite networks.
- :mod:`widenets.signature` — signature kernels (Goursat PDE) and the neural signature kernels
  of controlled ResNets, with the finite networks they describe.
- :mod:`widenets.reproduce` — the paper-figure registry behind ``widenets reproduce``.
"""
__version__ = "0.1.0"

from . import duals as duals
from . import edgeworth as edgeworth
from . import kernels as kernels
from . import predict as predict
from . import signature as signature
from . import stax as stax

# neural-tangents' top-level names, so that `import widenets as nt` ports NT code unchanged.
from .kernels import NtkImplementation as NtkImplementation
from .kernels import batch as batch
from .kernels import empirical_kernel_fn as empirical_kernel_fn
from .kernels import empirical_nngp_fn as empirical_nngp_fn
from .kernels import empirical_ntk_fn as empirical_ntk_fn
from .kernels import empirical_ntk_vp_fn as empirical_ntk_vp_fn
from .kernels import linearize as linearize
from .kernels import monte_carlo_kernel_fn as monte_carlo_kernel_fn
from .kernels import taylor_expand as taylor_expand
from .stax import Kernel as Kernel
