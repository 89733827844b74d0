"""One GD step of a deep linear MLP as an exact polynomial in η, and its infinite-width limit.

Network and training (Hayou 2025, arXiv:2511.01734, setup): f(x) = Vᵀ W_L ⋯ W_1 W_0 x with
W_0 ∈ R^{n×d}, W_ℓ ∈ R^{n×n} (ℓ = 1..L), V ∈ R^n; L(θ) = (1/2N) Σ_i (f(x_i) − y_i)²; one
full-batch GD step W_ℓ ← W_ℓ − η c_ℓ ∂L/∂W_ℓ with per-layer multipliers c_0..c_L, c_V.

**Exact finite width.** Write h_{−1}(x) = x, h_ℓ = W_ℓ h_{ℓ−1}, a_L = V, a_ℓ = W_{ℓ+1}ᵀ a_{ℓ+1},
r = f(X) − Y and g = Xᵀr/N. The output is scalar, so every gradient is rank one:
∂L/∂W_ℓ = a_ℓ h_{ℓ−1}(g)ᵀ and ∂L/∂V = h_L(g) (h_ℓ is linear, so h_ℓ(g) = h_ℓ(X)ᵀr/N). After
the step f₁(x) = u(η)ᵀx with

    u(η)ᵀ = (V − η c_V h_L(g))ᵀ (W_L − η c_L a_L h_{L−1}(g)ᵀ) ⋯ (W_0 − η c_0 a_0 gᵀ),

a vector polynomial of degree L + 2, built from the left at O(L · deg · n²) cost; the loss
(1/2N)‖X u(η) − Y‖² is a polynomial of degree 2(L + 2) (`one_step_loss_polynomial`).

**Infinite width (our derivation).** Expanding the product, the term in which exactly the
layers S = {s₁ > … > s_k} (index L + 1 = V) take their update is (−η)^k Π_{s∈S} c_s times

    F(s₁) · Π_{j<k} M(s_j, s_{j+1}) · E(s_k, x),
    F(s) = ‖a_s‖² (F(V) = 1),   E(s, x) = h_{s−1}(g)ᵀ h_{s−1}(x) (E(0, x) = gᵀx),
    M(s, s') = h_{s−1}(g)ᵀ W_{s−1}⋯W_{s'+1} a_{s'}  (for s' = s − 1 this is f₀(g) = Vᵀh_L(g)).

With init variances σ²/d (W_0), σ²/n (W_ℓ) and v_n (V), the law of large numbers gives

    E(s, x) = n σ^{2s} gᵀx/d · (1 + O(n^{−1/2}))  (s ≥ 1),   F(s) = n v_n σ^{2(L−s)} (1 + O(n^{−1/2})),

and M pairs a forward vector (norm ∝ √n) with a backward one (norm ∝ √(n v_n)) that is
independent of it given the layers in between: M = O(√(n v_n)), with mean O(n v_n) (from
the O(√(n v_n)) part of g that is linear in V). Effective μP (TP V Table 3, relative to a base
width n₀: v_n = σ² n₀/n², LRs c_0 = n/n₀, c_ℓ = 1, c_V = n₀/n) makes every singleton S of order
1 and a k-layer term O(n^{−(k−1)/2}) (`one_step_term_exponents`, with sympy). So as n → ∞

    f₁(x) → −η κ gᵀx,   g → −XᵀY/N  (f₀ = O(n^{−1/2}) → 0),
    κ_μP = σ^{2(L+1)} (1 + (L + 1) n₀/d)   (input layer 1; each hidden layer and V: n₀/d),

and with u = X XᵀY/N the limit one-step loss is the quadratic

    L_∞(η) = (1/2N) ‖η κ u − Y‖²,   η*_∞ = Yᵀu / (κ ‖u‖²).

Only the η¹ terms survive one step; the higher powers are finite-width effects. κ_μP equals
the SP tangent-kernel scale at width n₀ (where μP is SP). The coefficients' fluctuations are
O(n^{−1/2}) and their biases O(n₀/n), hence |η*_n − η*_∞| = O(n^{−1/2}), the rate Hayou 2025
proves. NTP (c_ℓ = c_V = n₀/n, v_n = σ²/n) has the same κ, but f₀ stays a random O(1) Gaussian
draw, so its limit depends on the init. Under SP (all c = 1, v_n = σ²/n), in the variable
c = η n/n₀ the singletons of the hidden layers and V are O(1), the input layer's O(1/n) and all
k ≥ 2 terms O(n^{1−k}) or smaller: the loss converges as a function of c, with
κ_SP = (L + 1) n₀ σ^{2(L+1)}/d, so η*_n ≈ (n₀/n) c*(f₀) ∝ n^{−1} → 0. A zero-initialised readout
(V = 0) makes f₁ exactly affine in η at every width, with κ = σ^{2(L+1)} n₀/d.

References: Yang & Hu 2021, TP IV, arXiv:2011.14522 (abc-parametrizations); Yang et al. 2022,
TP V, arXiv:2203.03466 (Table 3, effective μP); Hayou 2025, arXiv:2511.01734 (η*_n → η*_∞ > 0
at O(n^{−1/2}) under μP, η*_n → 0 under SP), against which the derivation above was checked.
"""
from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
import sympy

from .._validation import check_choice, check_float, check_int, check_key

PARAMETRIZATIONS = ("mup", "sp", "ntp")
ROLES = ("input", "hidden", "output")


# ----------------------------------------------------------------------------- scalings
@dataclasses.dataclass(frozen=True)
class LinearMLPScalings:
    """Effective per-role init std and SGD learning-rate multiplier of a linear MLP.

    Attributes:
      name: a label.
      width, input_dim: n and d the numbers below were computed for.
      init_std: (input, hidden, output) standard deviations of W_0, W_ℓ and V entries.
      lr: (input, hidden, output) multipliers c of the base learning rate η.
    """

    name: str
    width: int
    input_dim: int
    init_std: tuple[float, float, float]
    lr: tuple[float, float, float]

    def init_stds(self, hidden_layers: int) -> tuple[float, ...]:
        """Per-layer std (W_0, W_1..W_L, V), length L + 2."""
        return _per_layer(self.init_std, check_int("hidden_layers", hidden_layers, minimum=0))

    def lr_multipliers(self, hidden_layers: int) -> tuple[float, ...]:
        """Per-layer LR multipliers (c_0, c_1..c_L, c_V), length L + 2."""
        return _per_layer(self.lr, check_int("hidden_layers", hidden_layers, minimum=0))


def _check_name(arg: str, value: Any) -> str:
    """'sp', 'mup' (also 'μP', 'muP') or 'ntp', lower-cased."""
    return check_choice(arg, value.replace("μ", "mu") if isinstance(value, str) else value, PARAMETRIZATIONS)


def _per_layer(triple: tuple[float, float, float], hidden_layers: int) -> tuple[float, ...]:
    return (triple[0],) + (triple[1],) * hidden_layers + (triple[2],)


def linear_mlp_scalings(
    name: str, width: int, base_width: int, sigma: float = 1.0, *, input_dim: int,
    zero_readout: bool = False,
) -> LinearMLPScalings:
    """SP / μP / NTP in effective form relative to ``base_width`` n₀ (TP V, arXiv:2203.03466, Table 3).

    With r = n/n₀ (all three coincide with SP at n = n₀):

    | name | std W_0 | std W_ℓ | std V        | LR W_0 | LR W_ℓ | LR V   |
    |------|---------|---------|--------------|--------|--------|--------|
    | sp   | σ/√d    | σ/√n    | σ/√n         | η      | η      | η      |
    | mup  | σ/√d    | σ/√n    | σ/√n₀ · 1/r  | η r    | η      | η / r  |
    | ntp  | σ/√d    | σ/√n    | σ/√n         | η      | η / r  | η / r  |

    (μP: Var V = σ²/n₀ · (n₀/n)²; with n₀ = 1 this is TP V's 1/n², LRs η n, η, η/n.)

    Args:
      name: 'sp', 'mup' (or 'μp') or 'ntp'.
      width, base_width: n and n₀ (positive integers).
      sigma: σ ≥ 0, the common weight-std scale.
      input_dim: d.
      zero_readout: initialise V = 0 (std 0) instead.
    """
    key = _check_name("name", name)
    n = check_int("width", width, minimum=1)
    n0 = check_int("base_width", base_width, minimum=1)
    d = check_int("input_dim", input_dim, minimum=1)
    sigma = check_float("sigma", sigma, nonnegative=True)
    r = n / n0
    out_std = sigma / math.sqrt(n0) / r if key == "mup" else sigma / math.sqrt(n)
    lr = {"sp": (1.0, 1.0, 1.0), "mup": (r, 1.0, 1.0 / r), "ntp": (1.0, 1.0 / r, 1.0 / r)}[key]
    stds = (sigma / math.sqrt(d), sigma / math.sqrt(n), 0.0 if zero_readout else out_std)
    return LinearMLPScalings(key, n, d, stds, lr)


def scalings_from_parametrization(
    parametrization: Any, width: int, base_width: int, *, input_dim: int, sigma: float = 1.0
) -> LinearMLPScalings:
    """`LinearMLPScalings` from any object with ``effective(role, width, base_width, fan_in_base,
    std, optimizer) -> (init std, SGD LR multiplier)`` (e.g. `widenets.mup` presets); fan-in at
    base width is d for 'input' and n₀ for 'hidden'/'output'."""
    if not callable(getattr(parametrization, "effective", None)):
        raise TypeError(f"`parametrization` must have an `effective` method, got {type(parametrization).__name__}.")
    d = check_int("input_dim", input_dim, minimum=1)
    n0 = check_int("base_width", base_width, minimum=1)
    pairs = [parametrization.effective(role, width, n0, float(d if role == "input" else n0), sigma, "sgd")
             for role in ROLES]
    name = str(getattr(parametrization, "name", "custom"))
    return LinearMLPScalings(name, check_int("width", width, minimum=1), d,
                             tuple(float(p[0]) for p in pairs), tuple(float(p[1]) for p in pairs))


def init_linear_mlp(key: jax.Array, scalings: LinearMLPScalings, hidden_layers: int) -> list[np.ndarray]:
    """Gaussian weights [W_0 (n, d), W_1..W_L (n, n), V (n,)] with ``scalings.init_stds``, as
    float64 numpy arrays (`jax.random.normal` on ``jax.random.split(key, L + 2)``)."""
    key = check_key("key", key)
    stds = scalings.init_stds(hidden_layers)
    n, d = scalings.width, scalings.input_dim
    shapes = [(n, d)] + [(n, n)] * hidden_layers + [(n,)]
    keys = jax.random.split(key, len(shapes))
    return [np.asarray(_standard_normal(k, s), dtype=np.float64) * std for k, s, std in zip(keys, shapes, stds)]


@functools.partial(jax.jit, static_argnums=1)
def _standard_normal(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    return jax.random.normal(key, shape)


# ----------------------------------------------------------------------------- exact finite width
def _as_array(name: str, value: Any) -> np.ndarray:
    """A finite real float64 numpy array (numpy-side twin of `as_float_array`: no jax compile)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"`{name}` must be an array, got {type(value).__name__}.")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"`{name}` must be an array, got {type(value).__name__}.") from err
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a real numeric array, got dtype {arr.dtype}.")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.isfinite(arr).sum())
        raise ValueError(f"`{name}` contains {bad} non-finite value(s) (NaN or inf).")
    return arr


def _check_data(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = _as_array("x", x), _as_array("y", y)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"`x` must have shape (N, d) with N >= 1, got {x.shape}.")
    if y.shape != (x.shape[0],):
        raise ValueError(f"`y` must have shape ({x.shape[0]},) to match `x` {x.shape}, got {y.shape}.")
    return x, y


def _check_problem(x: Any, y: Any, weights: Any, lr_multipliers: Any):
    x, y = _check_data(x, y)
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence) or len(weights) < 2:
        raise TypeError("`weights` must be a sequence [W_0, W_1, ..., W_L, V] of at least two arrays.")
    ws = [_as_array(f"weights[{i}]", w) for i, w in enumerate(weights)]
    fan_in = x.shape[1]
    for i, w in enumerate(ws[:-1]):
        if w.ndim != 2 or w.shape[1] != fan_in:
            raise ValueError(f"`weights[{i}]` must have shape (width, {fan_in}), got {w.shape}.")
        fan_in = w.shape[0]
    if ws[-1].shape != (fan_in,):
        raise ValueError(f"`weights[{len(ws) - 1}]` (readout V) must have shape ({fan_in},), got {ws[-1].shape}.")
    if isinstance(lr_multipliers, (str, bytes)) or not isinstance(lr_multipliers, Sequence | np.ndarray):
        raise TypeError(
            f"`lr_multipliers` must be a sequence of {len(ws)} numbers, got {type(lr_multipliers).__name__}.")
    if len(lr_multipliers) != len(ws):
        raise ValueError(f"`lr_multipliers` must have one entry per weight ({len(ws)}), got {len(lr_multipliers)}.")
    cs = [check_float(f"lr_multipliers[{i}]", c) for i, c in enumerate(lr_multipliers)]
    return x, y, ws, cs


def one_step_predictor_polynomial(
    x: Any, y: Any, weights: Sequence[Any], lr_multipliers: Sequence[float]
) -> np.ndarray:
    """Coefficients P (L + 3, d) of the effective linear predictor after one GD step:
    f₁(x) = Σ_k η^k P[k]·x exactly (module docstring); P[0] = (W_L⋯W_0)ᵀV, the init predictor.

    Args: as `one_step_loss_polynomial`.
    """
    return _predictor(*_check_problem(x, y, weights, lr_multipliers))


def _predictor(x: np.ndarray, y: np.ndarray, ws: list[np.ndarray], cs: list[float]) -> np.ndarray:
    mats, v = ws[:-1], ws[-1]
    q, backs = _rank_one_gradients(x, y, ws)
    poly = np.stack([v, -cs[-1] * q[-1]])  # rows: coefficients of η^0, η^1, ...
    for layer in range(len(mats) - 1, -1, -1):
        new = np.zeros((poly.shape[0] + 1, mats[layer].shape[1]))
        new[:-1] = poly @ mats[layer]
        new[1:] -= cs[layer] * np.outer(poly @ backs[layer], q[layer])
        poly = new
    return poly


def _rank_one_gradients(
    x: np.ndarray, y: np.ndarray, ws: list[np.ndarray]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(q_0..q_{L+1}, a_0..a_L): ∂L/∂W_ℓ = a_ℓ q_ℓᵀ, ∂L/∂V = q_{L+1} (module docstring)."""
    mats, v = ws[:-1], ws[-1]
    feats = [x]  # h_{ℓ−1}(X), inputs as rows
    for w in mats:
        feats.append(feats[-1] @ w.T)
    r = feats[-1] @ v - y
    q = [h.T @ r / x.shape[0] for h in feats]
    backs = [v]  # a_L, a_{L−1}, ..., a_0
    for w in mats[:0:-1]:
        backs.append(w.T @ backs[-1])
    return q, backs[::-1]


def gd_losses(
    x: Any, y: Any, weights: Sequence[Any], lr_multipliers: Sequence[float], etas: Any, steps: int
) -> np.ndarray:
    """Losses (len(etas), steps + 1) along ``steps`` full-batch GD steps, one run per η (t = 0
    first). Numerical, O(steps · L · n²) per η; for ``steps = 1`` it equals
    `one_step_loss_polynomial` evaluated at ``etas`` (a test checks this)."""
    x, y, ws, cs = _check_problem(x, y, weights, lr_multipliers)
    etas = _as_array("etas", etas)
    if etas.ndim != 1:
        raise ValueError(f"`etas` must be one-dimensional, got shape {etas.shape}.")
    steps = check_int("steps", steps, minimum=0)
    out = np.zeros((etas.size, steps + 1))
    for i, eta in enumerate(etas):
        cur = [w.copy() for w in ws]
        for t in range(steps + 1):
            out[i, t] = _loss(x, y, cur)
            if t < steps:
                q, backs = _rank_one_gradients(x, y, cur)
                for layer, (a, c) in enumerate(zip(backs, cs[:-1])):
                    cur[layer] -= eta * c * np.outer(a, q[layer])
                cur[-1] = cur[-1] - eta * cs[-1] * q[-1]
    return out


def _loss(x: np.ndarray, y: np.ndarray, ws: list[np.ndarray]) -> float:
    h = x
    for w in ws[:-1]:
        h = h @ w.T
    return float(0.5 * np.mean((h @ ws[-1] - y) ** 2))


def one_step_loss_polynomial(x: Any, y: Any, weights: Sequence[Any], lr_multipliers: Sequence[float]) -> np.ndarray:
    """Exact coefficients (increasing powers, length 2L + 5) of η ↦ loss after one GD step.

    L(η) = (1/2N) Σ_i (f₁(x_i; η) − y_i)², f₁ from `one_step_predictor_polynomial`; evaluate
    with ``numpy.polynomial.polynomial.polyval(eta, coeffs)``.

    Args:
      x: inputs (N, d). y: targets (N,).
      weights: [W_0 (n₀', d), W_1 (n₁, n₀'), ..., W_L, V (n_L,)] (any widths).
      lr_multipliers: c_0..c_L, c_V: layer ℓ moves by −η c_ℓ ∂L/∂W_ℓ.
    """
    return _loss_polynomial(*_check_problem(x, y, weights, lr_multipliers))


def _loss_polynomial(x: np.ndarray, y: np.ndarray, ws: list[np.ndarray], cs: list[float]) -> np.ndarray:
    resid = _predictor(x, y, ws, cs) @ x.T  # (deg + 1, N)
    resid[0] -= y
    return _half_mean_square(resid)


def _half_mean_square(resid: np.ndarray) -> np.ndarray:
    """Coefficients of (1/2N) Σ_i R_i(η)² for R given as (deg + 1, N) coefficients."""
    deg = resid.shape[0] - 1
    out = np.zeros(2 * deg + 1)
    for j, k in itertools.product(range(deg + 1), repeat=2):
        out[j + k] += resid[j] @ resid[k]
    return out / (2 * resid.shape[1])


def optimal_learning_rate(coeffs: Any, eta_max: float) -> float | np.ndarray:
    """Global minimiser of the polynomial Σ_k coeffs[k] η^k (increasing powers) on [0, eta_max].

    Candidates: the real roots of the derivative inside (0, eta_max) (found on t = η/eta_max
    and polished by Newton steps) and both endpoints; returns 0.0 when no step lowers the loss.
    ``coeffs`` of shape (..., degree + 1) (e.g. `sample_one_step_polynomials`' (seeds, widths,
    degree + 1)) gives an array of minimisers of shape (...).
    """
    c = _as_array("coeffs", coeffs)
    if c.ndim == 0 or c.shape[-1] == 0:
        raise ValueError(f"`coeffs` must have shape (..., degree + 1), got shape {c.shape}.")
    eta_max = check_float("eta_max", eta_max, positive=True)
    if c.ndim > 1:
        flat = [_optimal_learning_rate(row, eta_max) for row in c.reshape(-1, c.shape[-1])]
        return np.asarray(flat).reshape(c.shape[:-1])
    return _optimal_learning_rate(c, eta_max)


def _optimal_learning_rate(c: np.ndarray, eta_max: float) -> float:
    ct = c * eta_max ** np.arange(c.size)  # polynomial in t = η / eta_max
    der = np.polynomial.polynomial.polyder(ct)
    cand = [0.0, 1.0]
    if der.size > 1 and np.any(der[1:] != 0):
        der = np.trim_zeros(der, "b")
        for root in np.polynomial.polynomial.polyroots(der):
            if abs(root.imag) <= 1e-6 * max(1.0, abs(root)) and 0.0 < root.real < 1.0:
                cand.append(_newton(der, float(root.real)))
    cand = np.clip(np.array(cand), 0.0, 1.0)
    values = np.polynomial.polynomial.polyval(cand, ct)
    return float(cand[int(np.argmin(values))] * eta_max)


def _newton(der: np.ndarray, t: float, steps: int = 3) -> float:
    d2 = np.polynomial.polynomial.polyder(der)
    for _ in range(steps):
        slope = np.polynomial.polynomial.polyval(t, d2)
        if slope == 0:
            break
        t -= np.polynomial.polynomial.polyval(t, der) / slope
    return t


def sample_one_step_polynomials(
    key: jax.Array, x: Any, y: Any, hidden_layers: int, widths: Sequence[int], *,
    parametrizations: Sequence[str] = ("mup", "sp"), base_width: int = 1, sigma: float = 1.0,
    n_seeds: int = 8, zero_readout: bool = False,
) -> dict[str, np.ndarray]:
    """Exact one-step loss polynomials over random inits: {name: (n_seeds, len(widths), 2L + 5)}.

    Seed s draws standard normals once at the largest width from ``jax.random.fold_in(key, s)``;
    every width and parametrization uses their leading blocks, rescaled by
    `linear_mlp_scalings` (common random numbers: each width's init has exactly its Gaussian
    law, and widths are compared on shared draws). Coefficients as `one_step_loss_polynomial`.
    """
    key = check_key("key", key)
    x, y = _check_data(x, y)
    hidden_layers = check_int("hidden_layers", hidden_layers, minimum=0)
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence | np.ndarray) or len(widths) == 0:
        raise TypeError(f"`widths` must be a non-empty sequence of integers, got {widths!r}.")
    widths = [check_int(f"widths[{i}]", w, minimum=1) for i, w in enumerate(widths)]
    names = [_check_name("parametrizations", p) for p in parametrizations]
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_max, d = max(widths), x.shape[1]
    out = {name: np.zeros((n_seeds, len(widths), 2 * hidden_layers + 5)) for name in names}
    for seed in range(n_seeds):
        unit = init_linear_mlp(jax.random.fold_in(key, seed),
                               LinearMLPScalings("unit", n_max, d, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)), hidden_layers)
        for j, n in enumerate(widths):
            blocks = [unit[0][:n]] + [w[:n, :n] for w in unit[1:-1]] + [unit[-1][:n]]
            for name in names:
                sc = linear_mlp_scalings(name, n, base_width, sigma, input_dim=d, zero_readout=zero_readout)
                ws = [b * std for b, std in zip(blocks, sc.init_stds(hidden_layers))]
                out[name][seed, j] = _loss_polynomial(x, y, ws, list(sc.lr_multipliers(hidden_layers)))
    return out


# ----------------------------------------------------------------------------- infinite width (sympy)
_N, _N0, _D, _SIGMA = sympy.symbols("n n_0 d sigma", positive=True)


def _symbolic_layers(name: str, hidden_layers: int, zero_readout: bool):
    """Per-layer (LR multiplier, F(s), E(s)/gᵀx) as sympy expressions in n, n₀, d, σ (LLN
    equivalents, module docstring). SP's LRs are written in the variable c = η n/n₀."""
    L = hidden_layers
    var_v = sympy.Integer(0) if zero_readout else (_SIGMA**2 * _N0 / _N**2 if name == "mup" else _SIGMA**2 / _N)
    r = _N / _N0
    lr = {"mup": (r, 1, 1 / r), "ntp": (1, 1 / r, 1 / r), "sp": (1 / r, 1 / r, 1 / r)}[name]
    layers = []
    for s in range(L + 2):  # s = L + 1 is the readout V
        c = lr[0] if s == 0 else (lr[2] if s == L + 1 else lr[1])
        first = sympy.Integer(1) if s == L + 1 else _N * var_v * _SIGMA ** (2 * (L - s))
        last = sympy.Integer(1) if s == 0 else _N * _SIGMA ** (2 * s) / _D
        layers.append((sympy.sympify(c), first, last))
    return layers, sympy.sqrt(_N * var_v)  # the typical size of a middle factor M


@functools.cache
def one_step_term_exponents(
    hidden_layers: int, parametrization: str = "mup", zero_readout: bool = False
) -> dict[tuple[int, ...], sympy.Rational | None]:
    """Width exponent p of each term of the one-step expansion: term(S) = Θ(n^p) (sympy).

    Keys are the updated layers S (ascending; L + 1 is V); the term is the η^{|S|} part of
    f₁(x) − f₀(x) in which exactly those layers take their update (module docstring): Π_{s∈S} c_s
    · F(max S) · M^{|S|−1} · E(min S, x), each factor at its typical size. ``None`` marks terms that vanish exactly
    (zero readout). SP is measured in c = η n/n₀. μP: 0 for singletons, −(|S|−1)/2 otherwise.
    """
    name = _check_name("parametrization", parametrization)
    layers, middle = _symbolic_layers(name, check_int("hidden_layers", hidden_layers, minimum=0), zero_readout)
    out = {}
    for k in range(1, len(layers) + 1):
        for subset in itertools.combinations(range(len(layers)), k):
            term = layers[subset[-1]][1] * middle ** (k - 1) * layers[subset[0]][2]
            for s in subset:
                term = term * layers[s][0]
            term = sympy.powsimp(sympy.expand_power_base(sympy.simplify(term), force=True))
            out[subset] = None if term == 0 else sympy.Rational(term.as_coeff_exponent(_N)[1])
    return out


@functools.cache
def _symbolic_scale(name: str, hidden_layers: int, zero_readout: bool) -> sympy.Expr:
    layers, _ = _symbolic_layers(name, hidden_layers, zero_readout)
    total = sum(c * first * last for c, first, last in layers)
    return sympy.simplify(sympy.limit(total, _N, sympy.oo))


def limit_one_step_scale(
    hidden_layers: int, *, input_dim: int, base_width: int = 1, sigma: float = 1.0,
    parametrization: str = "mup", zero_readout: bool = False,
) -> float:
    """κ in f₁(x) → f₀(x) − η κ gᵀx as n → ∞ (sympy limit of Σ_s c_s F(s) E(s)/gᵀx).

    μP, NTP: κ = σ^{2(L+1)}(1 + (L+1) n₀/d); SP in c = η n/n₀: κ = (L+1) n₀ σ^{2(L+1)}/d;
    μP with V = 0: κ = σ^{2(L+1)} n₀/d. `limit_one_step_scale_expr` gives the expression.
    """
    expr = limit_one_step_scale_expr(hidden_layers, parametrization, zero_readout)
    values = {_D: check_int("input_dim", input_dim, minimum=1), _N0: check_int("base_width", base_width, minimum=1),
              _SIGMA: check_float("sigma", sigma, nonnegative=True)}
    return float(expr.subs(values))


def limit_one_step_scale_expr(
    hidden_layers: int, parametrization: str = "mup", zero_readout: bool = False
) -> sympy.Expr:
    """The sympy expression of κ in the symbols d, n_0, sigma (see `limit_one_step_scale`)."""
    name = _check_name("parametrization", parametrization)
    return _symbolic_scale(name, check_int("hidden_layers", hidden_layers, minimum=0), bool(zero_readout))


def limit_one_step_loss(
    x: Any, y: Any, hidden_layers: int, *, base_width: int = 1, sigma: float = 1.0,
    parametrization: str = "mup", zero_readout: bool = False, f0: Any = None,
) -> np.ndarray:
    """Coefficients (increasing powers, length 3) of the n → ∞ one-step loss polynomial.

    L_∞(η) = (1/2N) ‖r₀ − η κ X g‖²,  r₀ = f₀(X) − Y,  g = Xᵀr₀/N,  κ = `limit_one_step_scale`,

    i.e. (1/2N)[‖r₀‖², −2κ r₀ᵀXXᵀr₀/N, κ² ‖XXᵀr₀‖²/N²]. Under μP f₀ → 0 (``f0`` default);
    under NTP and SP f₀ is the init's O(1) output on X (pass ``f0``), and for SP the
    variable is c = η n/n₀ rather than η.
    """
    x, y = _check_data(x, y)
    f0 = np.zeros_like(y) if f0 is None else _as_array("f0", f0)
    if f0.shape != y.shape:
        raise ValueError(f"`f0` must have shape {y.shape}, got {f0.shape}.")
    kappa = limit_one_step_scale(hidden_layers, input_dim=x.shape[1], base_width=base_width, sigma=sigma,
                                 parametrization=parametrization, zero_readout=zero_readout)
    n_data = x.shape[0]
    r0 = f0 - y
    step = kappa * (x @ (x.T @ r0)) / n_data  # X g κ
    return np.array([r0 @ r0, -2.0 * (r0 @ step), step @ step]) / (2 * n_data)


def limit_optimal_learning_rate(x: Any, y: Any, hidden_layers: int, **kwargs: Any) -> float:
    """η*_∞ = r₀ᵀXg / (κ‖Xg‖²) (= Yᵀu/(κ‖u‖²), u = XXᵀY/N, under μP): the minimiser of
    `limit_one_step_loss` (same keyword arguments; for SP the optimal c = η n/n₀)."""
    c = limit_one_step_loss(x, y, hidden_layers, **kwargs)
    if c[2] <= 0:
        raise ValueError("the limit loss is flat in η (X g = 0): no optimal learning rate.")
    return float(-c[1] / (2 * c[2]))
