"""The empirical side of `widenets.spectral`: spectral bias of trained finite networks.

Theory (`widenets.spectral.theory`): on the sphere S^{d−1} an architecture's NTK is a
dot-product kernel κ(⟨x, x'⟩) with Funk–Hecke eigenvalues μ_k on the degree-k spherical
harmonics, and GD on ½·mean((f − y)²) shrinks the degree-k part of the residual as
(1 − η μ_k)^t (Jacot et al. 2018, arXiv:1806.07572; Basri et al. 2019, arXiv:1906.00425;
Rahaman et al. 2019, arXiv:1806.08734). This module measures the same things on finite networks:

* points and targets (`_targets.py`): `circle_points`, `sphere_points`, `harmonic_target`;
* splitting sampled functions into degrees (`_projection.py`): `degree_projection` (exact FFT on
  an equispaced circle, the empirical reproducing-kernel projectors
  Π_k = (N(d, k)/n) P_k^{(d)}(XXᵀ) elsewhere, exact only as n → ∞: `projector_defect`),
  `degree_rayleigh_quotients` (mean eigenvalue of a Gram matrix on degree k, e.g. of the
  empirical NTK), `circle_gram_eigenvalues` (the exact eigenvalues of K/n on an equispaced
  circle: the DFT of κ(cos θ_j)/n = Σ_m μ_{|k+mn|}), `unit_degree_contributions` (the per-unit
  terms of the empirical-NTK quotients, whose spread gives their finite-width standard error);
* training (`_training.py`): `train_and_project` (GD by `widenets.predict.empirical.train_mse`,
  then r_k(t)), `linear_residuals` (the lazy prediction with a fixed kernel),
  `fit_decay_rates` (ρ_k from log r_k(t) = log r_k(0) + t log(1 − ρ_k) over the early window
  r_k ≥ 1e−2 r_k(0)), `convergence_steps`;
* extrapolation with periodic activations (Snake, φ(x) = x + sin²(ax)/a; Ziyin et al. 2020,
  arXiv:2006.08195): `train_adam_mse`, `train_adam_mse_ensemble`, `extrapolation_error`.
"""
from ._projection import circle_gram_eigenvalues as circle_gram_eigenvalues
from ._projection import degree_projection as degree_projection
from ._projection import degree_projectors as degree_projectors
from ._projection import degree_rayleigh_quotients as degree_rayleigh_quotients
from ._projection import is_equispaced_circle as is_equispaced_circle
from ._projection import projector_defect as projector_defect
from ._projection import unit_degree_contributions as unit_degree_contributions
from ._targets import angles as angles
from ._targets import circle_points as circle_points
from ._targets import harmonic_target as harmonic_target
from ._targets import sphere_points as sphere_points
from ._training import ExtrapolationError as ExtrapolationError
from ._training import SpectralTrajectory as SpectralTrajectory
from ._training import convergence_steps as convergence_steps
from ._training import extrapolation_error as extrapolation_error
from ._training import fit_decay_rates as fit_decay_rates
from ._training import linear_residuals as linear_residuals
from ._training import train_adam_mse as train_adam_mse
from ._training import train_adam_mse_ensemble as train_adam_mse_ensemble
from ._training import train_and_project as train_and_project

__all__ = [
    "ExtrapolationError",
    "SpectralTrajectory",
    "angles",
    "circle_gram_eigenvalues",
    "circle_points",
    "convergence_steps",
    "degree_projection",
    "degree_projectors",
    "degree_rayleigh_quotients",
    "extrapolation_error",
    "fit_decay_rates",
    "harmonic_target",
    "is_equispaced_circle",
    "linear_residuals",
    "projector_defect",
    "sphere_points",
    "train_adam_mse",
    "train_adam_mse_ensemble",
    "train_and_project",
    "unit_degree_contributions",
]
