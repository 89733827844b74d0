"""Predictions of infinitely wide networks, neural-tangents-compatible (``nt.predict``).

- `theory`: closed-form gradient-flow dynamics and GP posteriors from NNGP/NTK kernels
  (`gradient_descent_mse`, `gradient_descent_mse_ensemble`, `gp_inference`,
  `max_learning_rate`, `Gaussian`); formulas and citations in its module docstring.
- `empirical`: training the corresponding finite networks.
"""
from . import theory as theory
from .theory import Gaussian as Gaussian
from .theory import gp_inference as gp_inference
from .theory import gradient_descent_mse as gradient_descent_mse
from .theory import gradient_descent_mse_ensemble as gradient_descent_mse_ensemble
from .theory import max_learning_rate as max_learning_rate

from . import empirical as empirical
