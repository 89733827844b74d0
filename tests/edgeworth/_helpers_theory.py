"""Independent references for the theory tests: scalar recursions by scipy quadrature.

These re-derive the single-input recursions of PDLT (arXiv:2106.10165, ch. 4) with `scipy.integrate.quad` and plain
numpy, sharing no code with `widenets.edgeworth` (only the activation functions themselves).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.integrate
import scipy.special

ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "tanh": math.tanh,
    "erf": math.erf,
    "relu": lambda z: max(z, 0.0),
    "identity": lambda z: z,
}


def gauss_avg(g: Callable[[float], float], var: float) -> float:
    """⟨g(z)⟩ for z ~ N(0, var) by adaptive quadrature (kink at 0 handled by splitting)."""
    sd = math.sqrt(var)

    def integrand(t):  # t = z / sd
        return g(sd * t) * math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)

    left, _ = scipy.integrate.quad(integrand, -40.0, 0.0, epsabs=1e-14, epsrel=1e-13, limit=200)
    right, _ = scipy.integrate.quad(integrand, 0.0, 40.0, epsabs=1e-14, epsrel=1e-13, limit=200)
    return left + right


def scalar_recursion(act: str, q0: float, widths, C_W: float, C_b: float) -> dict[str, np.ndarray]:
    """Single-input leading-1/n statistics per layer (index 0 ↔ z¹), PDLT ch. 4 with fan-ins:

    K' = C_b + C_W⟨σ²⟩,  χ = C_W⟨σ²(z²−K)⟩/(2K²),
    c' = (C_W²/n_ℓ)(⟨σ⁴⟩ − ⟨σ²⟩²) + χ² c          (c = Var Ĝ = V/n),
    δ' = χ δ + (C_W/8) c ⟨σ²(z⁴ − 6Kz² + 3K²)⟩/K⁴  (δ = E z² − K),
    with c = δ = 0 at z¹ = b + Wx, K¹ = C_b + C_W q0 (q0 = |x|²/d).
    """
    s = ACTIVATIONS[act]
    K, c, d = C_b + C_W * q0, 0.0, 0.0
    out = {"K": [K], "cov": [c], "delta": [d], "chi": []}
    for n in widths:
        s2 = gauss_avg(lambda z: s(z) ** 2, K)
        s4 = gauss_avg(lambda z: s(z) ** 4, K)
        chi = C_W * gauss_avg(lambda z: s(z) ** 2 * (z * z - K), K) / (2 * K * K)
        h4 = gauss_avg(lambda z: s(z) ** 2 * (z**4 - 6 * K * z * z + 3 * K * K), K) / K**4
        c, d = C_W**2 * (s4 - s2 * s2) / n + chi**2 * c, chi * d + C_W / 8 * c * h4
        K = C_b + C_W * s2
        out["chi"].append(chi)
        out["K"].append(K)
        out["cov"].append(c)
        out["delta"].append(d)
    out["chi"].append(C_W * gauss_avg(lambda z: s(z) ** 2 * (z * z - K), K) / (2 * K * K))
    return {k: np.asarray(v) for k, v in out.items()}
