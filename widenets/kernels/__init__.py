"""Kernels of finite networks and their Monte Carlo estimates (the empirical readings of a
`widenets.stax` architecture), blocked evaluation and Taylor expansions in the parameters;
see `widenets.kernels.empirical`."""
from .empirical import IMPLEMENTATIONS as IMPLEMENTATIONS
from .empirical import MonteCarloKernel as MonteCarloKernel
from .empirical import NtkImplementation as NtkImplementation
from .empirical import batch as batch
from .empirical import empirical_kernel_fn as empirical_kernel_fn
from .empirical import empirical_nngp_fn as empirical_nngp_fn
from .empirical import empirical_ntk_fn as empirical_ntk_fn
from .empirical import empirical_ntk_vp_fn as empirical_ntk_vp_fn
from .empirical import linearize as linearize
from .empirical import monte_carlo_kernel_fn as monte_carlo_kernel_fn
from .empirical import taylor_expand as taylor_expand
