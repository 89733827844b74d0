"""The empirical side of `widenets.kernels`: kernels of finite networks.

* `empirical_nngp_fn`, `empirical_ntk_fn`, `empirical_kernel_fn`: the kernels of one network
  with given parameters (`_empirical_ntk.py`; NTK methods and the ``'auto'`` rule in
  `_ntk_methods.py`, selected by `NtkImplementation`; output layout in `_axes.py`);
* `empirical_ntk_vp_fn`: NTK-vector products without forming the NTK (`_ntk_vp.py`);
* `batch`: any kernel function in blocks of inputs, memory bounded by the block size
  (`_batching.py`);
* `linearize`, `taylor_expand`: Taylor expansions of a network in its parameters
  (`_taylor.py`);
* `monte_carlo_kernel_fn`: means (and, opted in, standard errors) over an ensemble of random
  networks (`_monte_carlo.py`), to be compared with the infinite-width kernels of
  `widenets.stax`.
"""
from ._axes import IMPLEMENTATIONS as IMPLEMENTATIONS
from ._axes import NtkImplementation as NtkImplementation
from ._batching import batch as batch
from ._empirical_ntk import empirical_kernel_fn as empirical_kernel_fn
from ._empirical_ntk import empirical_nngp_fn as empirical_nngp_fn
from ._empirical_ntk import empirical_ntk_fn as empirical_ntk_fn
from ._monte_carlo import MonteCarloKernel as MonteCarloKernel
from ._ntk_vp import empirical_ntk_vp_fn as empirical_ntk_vp_fn
from ._monte_carlo import monte_carlo_kernel_fn as monte_carlo_kernel_fn
from ._taylor import linearize as linearize
from ._taylor import taylor_expand as taylor_expand
