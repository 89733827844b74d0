"""The empirical side of `widenets.kernels`: kernels of finite networks.

* `empirical_nngp_fn`, `empirical_ntk_fn`, `empirical_kernel_fn`: the kernels of one network
  with given parameters (`_empirical_ntk.py`);
* `monte_carlo_kernel_fn`: means and standard errors over an ensemble of random networks
  (`_monte_carlo.py`), to be compared with the infinite-width kernels of `widenets.stax`.
"""
from ._empirical_ntk import empirical_kernel_fn as empirical_kernel_fn
from ._empirical_ntk import empirical_nngp_fn as empirical_nngp_fn
from ._empirical_ntk import empirical_ntk_fn as empirical_ntk_fn
from ._monte_carlo import MonteCarloKernel as MonteCarloKernel
from ._monte_carlo import monte_carlo_kernel_fn as monte_carlo_kernel_fn
