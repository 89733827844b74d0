"""μP and learning-rate transfer: abc-parametrizations as data, for JAX networks.

Under the standard parametrization the best learning rate drifts as networks get wider; under
μP (Yang & Hu 2021, arXiv:2011.14522; Yang et al. 2022, arXiv:2203.03466) it converges, so it
can be tuned on a narrow model and reused on a wide one (docs/theory/mup.md).

- Parametrizations: `Parametrization` (exponents a, b, c per role), presets `SP`, `NTP`, `MUP`,
  `MF`; `parametrize` reads one onto any pytree of weights with roles, `mlp` onto a
  `widenets.stax` MLP; `ParametrizedNetwork.optimizer` gives the per-parameter learning rates as
  an optax transformation (`scale_by_tree`).
- :mod:`widenets.mup.empirical` — coord checks, width × learning-rate × seed sweeps (vmapped,
  resumable), their metrics, and the digits demonstration.
- :mod:`widenets.mup.theory` — the one-step loss of a linear MLP as an exact polynomial in η
  and its infinite-width limit under μP.
"""
from ._network import ParametrizedNetwork as ParametrizedNetwork
from ._network import mlp as mlp
from ._network import parametrize as parametrize
from ._optim import scale_by_tree as scale_by_tree
from ._parametrization import MF as MF
from ._parametrization import MUP as MUP
from ._parametrization import NTP as NTP
from ._parametrization import PRESETS as PRESETS
from ._parametrization import SP as SP
from ._parametrization import Exponents as Exponents
from ._parametrization import Parametrization as Parametrization
from ._parametrization import get_parametrization as get_parametrization

from . import empirical as empirical  # noqa: E402
