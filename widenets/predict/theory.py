r"""Infinite-width predictions: closed-form training dynamics and Gaussian-process posteriors.

Names, arguments, defaults, return conventions and shapes follow neural-tangents 0.6.5
(``nt.predict``), so NT code ports by changing the import. The finite networks these
formulas describe are trained in `widenets.predict.empirical`.

Formulas (K the training kernel, 𝒦 the NNGP, Θ the NTK, |y| = ``y_train.size``, s = η t/|y|):

* **Gradient flow on MSE** (`gradient_descent_mse`). For the loss ½‖f(X) − y‖²/|y| a wide
  network evolves as its linearisation, df/dt = −(η/|y|) Θ (f − y) (Jacot et al. 2018,
  arXiv:1806.07572; Lee et al. 2019, arXiv:1902.06720), so

      f_train(t) = y + e^{−sK}(f0 − y),   f_test(t) = f0_test + K_td K⁻¹(I − e^{−sK})(y − f0).

* **Infinite ensemble** (`gradient_descent_mse_ensemble`). Over initialisations f0 ~ GP(0, 𝒦)
  the outputs are Gaussian with (Lee et al. 2019, §2.3), for A_s = K⁻¹(I − e^{−sK}),

      μ_t(x) = K(x, X) A_s y,
      Σ_t(x, x') = 𝒦(x, x') + K(x, X) A_s 𝒦 A_s K(X, x') − [K(x, X) A_s 𝒦(X, x') + h.c.],

  K = Θ for full training, K = 𝒦 for readout-only training, where Σ_t reduces to
  𝒦(x, x') − 𝒦(x, X) A_{2s} 𝒦(X, x').
* **GP posterior** (`gp_inference`, the t → ∞ limit): μ = K_td K⁻¹ y and, for the NNGP,
  Σ = 𝒦_tt − 𝒦_td 𝒦⁻¹ 𝒦_dt (Rasmussen & Williams 2006, *Gaussian Processes for Machine
  Learning*, eqs. 2.23–2.24); the NTK ensemble limit as above with A_∞ = Θ⁻¹; 'ntkgp' is the
  GP posterior with the NTK as covariance (He, Lakshminarayanan & Teh 2020, arXiv:2007.05864).
* **Stable step** (`max_learning_rate`): η_max = 2(1 + β)|y|/λ_max(Θ) for momentum β.

Numerics: one symmetric eigendecomposition K = V diag(λ) Vᵀ per kernel; K⁻¹(I − e^{−sK}) has
eigenvalues ``-expm1(-s λ)/λ`` with the limit s at λ = 0, so singular or ill-conditioned
kernels give finite outputs at every finite t; at t = ∞ K⁻¹ is the pseudo-inverse (eigenvalues
≤ M·eps·λ_max dropped: the minimum-norm interpolant, the t → ∞ limit of gradient flow).
Kernels must be symmetric (rounding-level asymmetry is averaged) and PSD (an eigenvalue below
−√eps·max|λ| raises ``ValueError``; ``diag_reg`` adds a ridge).
"""
from ._ensemble import gradient_descent_mse_ensemble as gradient_descent_mse_ensemble
from ._gp_inference import Gaussian as Gaussian
from ._gp_inference import gp_inference as gp_inference
from ._gradient_descent import gradient_descent_mse as gradient_descent_mse
from ._learning_rate import max_learning_rate as max_learning_rate

__all__ = [
    "Gaussian",
    "gp_inference",
    "gradient_descent_mse",
    "gradient_descent_mse_ensemble",
    "max_learning_rate",
]
