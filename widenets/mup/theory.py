"""Learning-rate transfer in a deep linear MLP: one GD step, exactly and at infinite width.

f(x) = Vᵀ W_L ⋯ W_1 W_0 x (W_0 ∈ R^{n×d}, W_ℓ ∈ R^{n×n}, V ∈ R^n), loss (1/2N) Σ (f(x_i) − y_i)²,
one full-batch GD step with per-layer learning rates η c_ℓ (the setup of Hayou 2025, arXiv:2511.01734).

- Scalings: `LinearMLPScalings`, `linear_mlp_scalings` (SP / μP / NTP in effective form relative
  to a base width n₀; TP V Table 3), `scalings_from_parametrization` (any object with the
  ``effective`` method of `widenets.mup.Parametrization`), `init_linear_mlp`.
- Exact at finite width: every gradient is rank one, so the updated network is a product of
  L + 2 affine-in-η factors; `one_step_predictor_polynomial` (f₁ = Σ_k η^k P[k]·x, degree
  L + 2) and `one_step_loss_polynomial` (degree 2(L + 2)); `optimal_learning_rate` (global
  minimiser on [0, η_max]); `sample_one_step_polynomials` (over seeds and widths);
  `gd_losses` (several steps, numerically, for a grid of η).
- Infinite width (derived here; sympy): `one_step_term_exponents` gives the width order of each
  term of the expansion — under μP a term updating k layers is O(n^{−(k−1)/2}) — so only the
  k = 1 terms survive and

      f₁(x) → −η κ gᵀx,  g = −XᵀY/N,  κ_μP = σ^{2(L+1)} (1 + (L + 1) n₀/d),
      L_∞(η) = (1/2N) ‖η κ X XᵀY/N − Y‖²,   η*_∞ = Yᵀu/(κ‖u‖²),  u = X XᵀY/N

  (`limit_one_step_scale[_expr]`, `limit_one_step_loss`, `limit_optimal_learning_rate`). The
  finite-width coefficients fluctuate at O(n^{−1/2}), so ``|η*_n − η*_∞| = O(n^{−1/2})``; under SP
  the loss converges as a function of η n/n₀, so η*_n ∝ n^{−1} → 0.

Derivation: `widenets.mup._linear_theory` module docstring (our own), checked against
Hayou 2025 (arXiv:2511.01734: ``η*_n → η*_∞ > 0`` at rate O(n^{−1/2}) under μP, ``η*_n → 0`` under SP).
Parametrizations: Yang & Hu 2021, Tensor Programs IV (arXiv:2011.14522); Yang et al. 2022,
Tensor Programs V (arXiv:2203.03466).
"""
from ._linear_theory import LinearMLPScalings as LinearMLPScalings
from ._linear_theory import gd_losses as gd_losses
from ._linear_theory import init_linear_mlp as init_linear_mlp
from ._linear_theory import limit_one_step_loss as limit_one_step_loss
from ._linear_theory import limit_one_step_scale as limit_one_step_scale
from ._linear_theory import limit_one_step_scale_expr as limit_one_step_scale_expr
from ._linear_theory import limit_optimal_learning_rate as limit_optimal_learning_rate
from ._linear_theory import linear_mlp_scalings as linear_mlp_scalings
from ._linear_theory import one_step_loss_polynomial as one_step_loss_polynomial
from ._linear_theory import one_step_predictor_polynomial as one_step_predictor_polynomial
from ._linear_theory import one_step_term_exponents as one_step_term_exponents
from ._linear_theory import optimal_learning_rate as optimal_learning_rate
from ._linear_theory import sample_one_step_polynomials as sample_one_step_polynomials
from ._linear_theory import scalings_from_parametrization as scalings_from_parametrization
