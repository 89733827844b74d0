"""Π-Nets (CCP polynomial networks): the finite network and its exact infinite-width kernels.

Model (Chrysos et al. 2020, "Π-nets: Deep Polynomial Neural Networks", arXiv:2003.03828,
the CCP decomposition; docs/theory/spectral.md). For an input z ∈ R^d and degree N ≥ 1,

    x₁ = φ(U₁ z),   x_n = φ(U_n z) ∘ x_{n−1} + x_{n−1}   (n = 2..N),   f(z) = C x_N,

with U_n ∈ R^{m×d}, C ∈ R^{out×m}. ``variant='ccp'`` is φ = identity, the plain CCP model,
whose output is a polynomial of degree N in z; ``variant='relu'`` is φ = ReLU applied to every
factor U_n z (see "The ReLU variant" below). NTK parameterisation (as `stax.Dense`, THEORY §1):

    U_n z = (σ_U/√d)·Ũ_n z + σ_b·β_n,   C x = (σ_C/√m)·C̃ x,   Ũ_n, β_n, C̃ ~ N(0, 1) i.i.d.

(β_n only when ``b_std`` is given). Unrolling the recursion, hidden coordinate i is

    x_N^i = φ(a₁^i) · Π_{n=2..N} (1 + φ(a_n^i)),   a_n^i = (U_n z)_i,

a product of N factors that are *independent* of each other (each uses its own U_n) and
i.i.d. across i, but that all see the same input z.

Infinite-width kernels (derived here; checked against Monte Carlo in
tests/spectral/test_pinet.py). For inputs z, z' with input-kernel entries q11, q22, q12
(= z·z'/d for raw inputs) and input NTK Θ_in (0 for raw inputs), every factor's pre-activation
pair (a_n(z), a_n(z')) is a centred Gaussian with covariances

    s_ab = σ_U² q_ab + σ_b²,

independent across n. With the dual maps of φ on (s11, s22, s12) (`widenets.duals`)

    T = E[φ(a)φ(a')],   Ṫ = E[φ'(a)φ'(a')],   μ_j = E[φ(a)] at variance s_jj,
    A = E[(1 + φ(a))(1 + φ(a'))] = 1 + μ₁ + μ₂ + T,

the expectation of the product factorises over n:

    NNGP = σ_C² · E[x_N x_N'] = σ_C² · T · A^{N−1}.

NTK: the gradient w.r.t. C̃ gives the NNGP; the gradient w.r.t. the factor U_n (and β_n, and
the parameters before the Π-Net, if any) is C̃_i · g_n^i · ∂a_n^i with
g_n = ∂x_N/∂a_n = φ'(a_n) · Π_{k≠n} (factor k), and the tangent kernel of a_n is
t = s12 + σ_U² Θ_in (cross terms n ≠ n' vanish at infinite width because U_n, U_n' are
independent). Hence, with E[C̃²] = 1 and E over the independent factors factorising,

    E[g₁ g₁'] = Ṫ A^{N−1},   E[g_n g_n'] = Ṫ · T · A^{N−2}  (n ≥ 2),
    NTK = NNGP + σ_C² · t · Ṫ · (A^{N−1} + (N−1) · T · A^{N−2}).

* ``variant='ccp'`` (φ = id: T = s12, Ṫ = 1, μ = 0):
    NNGP = σ_C² s (1+s)^{N−1},
    NTK  = σ_C² s (1+s)^{N−1} + σ_C² t ((1+s)^{N−1} + (N−1) s (1+s)^{N−2}),
  with s = s12; for raw inputs t = s, so NTK = σ_C² s (1+s)^{N−2} (2(1+s) + (N−1)s). Both are
  polynomials of degree N in s. N = 1 is the two-layer linear network
  (``serial(Dense(m, σ_U, σ_b), Dense(out, σ_C))``).
* ``variant='relu'`` (arc-cosine kernel of order 1, Cho & Saul 2009, `duals.relu`):
    T = (√(s11 s22 − s12²) + (π − θ) s12)/(2π),   Ṫ = (π − θ)/(2π),   cos θ = s12/√(s11 s22),
    μ_j = E[max(a, 0)] = √(s_jj/(2π)).
  N = 1 is the two-layer ReLU network ``serial(Dense(m, σ_U, σ_b), Relu(), Dense(out, σ_C))``.

For finite width m both kernels are unbiased: E[NNGP_m] = NNGP and E[Θ_m] = Θ exactly for raw
inputs (the hidden coordinates are i.i.d. and C̃ is independent of them), with fluctuations
of order m^{−1/2}.

The ReLU variant. Π-Nets are also used with activation functions between the polynomial
stages (Chrysos et al. 2020; "Deep Polynomial Neural Networks", TPAMI 2021, arXiv:2006.13026),
and where φ goes varies. We apply φ to each factor U_n z before the Hadamard product because that
placement keeps the N factors independent, so the kernel is exact in closed form from the dual
T, Ṫ of φ plus its mean μ. Placing φ after each Hadamard product (x_n = φ(a_n ∘ x_{n−1} +
x_{n−1})) or on x_N instead would require expectations of φ of a non-Gaussian product, which
have no closed form.

Why `stax.FanInProd` cannot express it. A Π-Net routes z to every level and reuses x_{n−1} in
both the product and the skip term, so the summands a_n ∘ x_{n−1} and x_{n−1} are *dependent*
branches, while stax's fan-in rules assume independent, centred branches. For the CCP model the
neglected cross terms happen to vanish (E[a_n] = 0), but with a ReLU factor they do not:
E[(φ(a)x + x)(φ(a')x' + x')] = (1 + μ₁ + μ₂ + T) E[xx'], whereas an independent-branch sum gives
(1 + T) E[xx']. The factorised form above accounts for the dependence exactly.

Spectral bias (Choraria et al. 2022, "The spectral bias of polynomial neural networks",
ICLR 2022, arXiv:2202.13473): the Π-Net NTK puts more of its Funk–Hecke mass on higher
spherical-harmonic degrees than a ReLU MLP does. For the CCP model the NTK is a polynomial of
degree N in z·z', so its mass above degree N is exactly zero: the shift is within degrees ≤ N,
and it depends on the input scale (the kernel is not homogeneous in z). The measured comparison
is in tests/spectral/test_pinet.py.

Scope: only ``parameterization='ntk'``. Any flat input kernel is accepted (the Π-Net starts
with linear maps U_n z, like `stax.Dense`), so a Π-Net may follow other layers in
`stax.serial`; the formulas above then use the incoming NNGP and NTK.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .. import duals, stax
from .._struct import static
from .._validation import check_choice, check_hyper, check_int

Array = jax.Array

VARIANTS = ("ccp", "relu")


def _factor_dual(variant: str) -> duals.Dual:
    """The dual of φ applied to each factor U_n z (identity for CCP, ReLU for 'relu')."""
    return duals.identity() if variant == "ccp" else duals.relu()


class PiNet(stax.Layer):
    """A CCP Π-Net of the given degree as a `widenets.stax` layer (see the module docstring).

    Args:
      degree: polynomial degree N ≥ 1 (number of factors U_n).
      width: hidden width m ≥ 1 (ignored by the kernel).
      out_dim: number of outputs (≥ 1).
      U_std: σ_U ≥ 0 of the factors U_n (may be traced).
      C_std: σ_C ≥ 0 of the output matrix C (may be traced).
      variant: ``'ccp'`` (x_n = (U_n z) ∘ x_{n−1} + x_{n−1}) or ``'relu'``
        (x_n = relu(U_n z) ∘ x_{n−1} + x_{n−1}, x₁ = relu(U₁ z)).
      parameterization: only ``'ntk'`` is supported.
      b_std: σ_b ≥ 0 of a bias added to every U_n z, or ``None`` (default) for none.

    Returns a layer: ``init_fn, apply_fn, kernel_fn = PiNet(...)``; params are
    ``{"U": (N, d, m), "b": (N, 1, m) or None, "C": (m, out_dim)}``; the kernel has NNGP
    σ_C² T A^{N−1} and NTK = NNGP + σ_C² t Ṫ (A^{N−1} + (N−1) T A^{N−2}).

    Example:
      >>> import jax.numpy as jnp
      >>> init_fn, apply_fn, kernel_fn = PiNet(3, 512, variant="relu")
      >>> kernel_fn(jnp.eye(2), get="nngp").shape
      (2, 2)
    """

    degree: int = static()
    width: int = static()
    out_dim: int = static(1)
    U_std: Any = 1.0
    C_std: Any = 1.0
    variant: str = static("ccp")
    parameterization: str = static("ntk")
    b_std: Any = None

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "degree", check_int("degree", self.degree, minimum=1))
        set_(self, "width", check_int("width", self.width, minimum=1))
        set_(self, "out_dim", check_int("out_dim", self.out_dim, minimum=1))
        set_(self, "U_std", check_hyper("U_std", self.U_std, nonnegative=True))
        set_(self, "C_std", check_hyper("C_std", self.C_std, nonnegative=True))
        set_(self, "b_std", check_hyper("b_std", self.b_std, nonnegative=True, optional=True))
        set_(self, "variant", check_choice("variant", self.variant, VARIANTS))
        if not isinstance(self.parameterization, str) or self.parameterization.lower() != "ntk":
            raise ValueError(
                f"PiNet: `parameterization` must be 'ntk' (the only one implemented), got "
                f"{self.parameterization!r}."
            )

    def output_shape(self, input_shape: Sequence[int]):
        shape = stax.check_input_shape("PiNet", input_shape)
        if len(shape) != 2:
            raise ValueError(
                f"PiNet: `input_shape` must be (batch, features), got {shape}; add stax.Flatten()."
            )
        return (shape[0], self.out_dim)

    def init(self, key: Array, input_shape: Sequence[int]):
        out_shape = self.output_shape(input_shape)
        d = tuple(input_shape)[1]
        k_u, k_b, k_c = jax.random.split(key, 3)
        params = {
            "U": jax.random.normal(k_u, (self.degree, d, self.width)),
            "b": None if self.b_std is None else jax.random.normal(k_b, (self.degree, 1, self.width)),
            "C": jax.random.normal(k_c, (self.width, self.out_dim)),
        }
        return out_shape, params

    def apply(self, params: dict, inputs: Array, **kwargs: Any) -> Array:
        U, b, C = params["U"], params["b"], params["C"]
        if inputs.ndim != 2 or inputs.shape[1] != U.shape[1]:
            raise ValueError(
                f"PiNet: `inputs` must have shape (batch, {U.shape[1]}) to match the parameters, "
                f"got {inputs.shape}."
            )
        pre = (self.U_std / math.sqrt(inputs.shape[1])) * jnp.einsum("bd,ndm->nbm", inputs, U)
        if b is not None:
            pre = pre + self.b_std * b
        h = _factor_dual(self.variant).fn(pre)
        x = h[0]
        for n in range(1, self.degree):
            x = h[n] * x + x
        return (self.C_std / math.sqrt(C.shape[0])) * (x @ C)

    def rule(self, k: stax.Kernel) -> stax.Kernel:
        if not isinstance(k, stax.Kernel):
            raise ValueError(f"PiNet takes a single input kernel, got {type(k).__name__}.")
        if k.spatial_ndim != 0:
            raise ValueError(
                f"PiNet acts on (batch, features) inputs, but its input has shape {k.shape1}; add "
                "stax.Flatten() before it."
            )
        dual, degree = _factor_dual(self.variant), self.degree
        c_var, u_var = self.C_std**2, self.U_std**2
        b_var = 0.0 if self.b_std is None else self.b_std**2
        q11, q22 = k.variances()
        s11, s22 = u_var * q11 + b_var, u_var * q22 + b_var
        s12 = u_var * k.nngp + b_var
        tangent = s12 + u_var * k.ntk
        t, tdot = dual.nngp(s11, s22, s12), dual.ntk(s11, s22, s12)
        a = 1 + dual.mean(s11) + dual.mean(s22) + t
        nngp = c_var * t * a ** (degree - 1)
        grads = a ** (degree - 1)
        if degree > 1:
            grads = grads + (degree - 1) * t * a ** (degree - 2)
        ntk = nngp + c_var * tangent * tdot * grads

        def variance(q: Array) -> Array:
            s = u_var * q + b_var
            tq = dual.nngp_diag(s)
            return c_var * tq * (1 + 2 * dual.mean(s) + tq) ** (degree - 1)

        return k.replace(nngp=nngp, ntk=ntk, cov1=variance(k.cov1), cov2=variance(k.cov2),
                         is_gaussian=True, is_input=False)


def pinet_kernel(
    x1: Any,
    x2: Any,
    degree: int,
    *,
    variant: str = "ccp",
    U_std: float = 1.0,
    C_std: float = 1.0,
    b_std: float | None = None,
    get: Any = ("nngp", "ntk"),
) -> Any:
    """Infinite-width kernels of the Π-Net `PiNet(degree, ..., variant)` on raw inputs.

    Args:
      x1: inputs (N1, d).
      x2: inputs (N2, d), or ``None`` for x2 = x1.
      degree, variant, U_std, C_std, b_std: as in `PiNet` (the width does not enter).
      get: ``'nngp'``, ``'ntk'``, a tuple of them (default both), or ``None`` for the `Kernel`.

    Returns:
      As `stax` ``kernel_fn(x1, x2, get)``: one (N1, N2) array for a string ``get``, else a
      named tuple of them.
    """
    return PiNet(degree, 1, 1, U_std, C_std, variant, "ntk", b_std).kernel_fn(x1, x2, get=get)
