"""Kernels of finite networks and their Monte Carlo estimates (the empirical readings of a
`widenets.stax` architecture); see `widenets.kernels.empirical`."""
from .empirical import MonteCarloKernel as MonteCarloKernel
from .empirical import empirical_kernel_fn as empirical_kernel_fn
from .empirical import empirical_nngp_fn as empirical_nngp_fn
from .empirical import empirical_ntk_fn as empirical_ntk_fn
from .empirical import monte_carlo_kernel_fn as monte_carlo_kernel_fn
