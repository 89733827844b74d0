"""widenets: infinite-width neural-network theory in JAX.

An architecture is described once and read two ways: as a finite network
(``init_fn``, ``apply_fn``) and as its infinite-width NNGP/NTK kernel (``kernel_fn``).

- :mod:`widenets.stax` — neural-tangents-compatible layers and combinators.
- :mod:`widenets.duals` — dual activations (Gaussian expectations) shared by every topic.
- :mod:`widenets.reproduce` — the paper-figure registry behind ``widenets reproduce``.
"""
__version__ = "0.1.0"

from . import duals as duals
from . import stax as stax
