"""abc-parametrizations as data (Yang & Hu 2021, Tensor Programs IV, arXiv:2011.14522).

A parametrization gives every parameter *role* three exponents (a, b, c) of the width ratio
r = n / n₀ (n the hidden width, n₀ the base width at which every parametrization coincides):

    W = r^{−a} · w,   w ~ N(0, σ² / fan_in₀ · r^{−2b}),   learning rate of w: η · r^{−c},

where fan_in₀ is the layer's fan-in at the base width (d for input weights, n₀ for hidden and
output weights, 1 for biases). The effective network at width n therefore has init variance
σ²/fan_in₀ · r^{−2(a+b)} and, for SGD, the effective learning rate η · r^{−2a−c} on W; for Adam
(whose update does not scale with the gradient) η · r^{−a−c}. The SGD and Adam exponents differ,
so each role carries both: ``c_sgd`` and ``c_adam``.

Roles (TP V, arXiv:2203.03466, Table 3):

* ``input``  — weights whose fan-in is fixed (the first layer) and, by default, all biases;
* ``hidden`` — weights with fan-in and fan-out ∝ n;
* ``output`` — the readout, fan-in ∝ n, fan-out fixed.

| preset | input a, b, c_sgd, c_adam | hidden          | output          |
|--------|---------------------------|-----------------|-----------------|
| SP     | 0, 0, 0, 0                | 0, ½, 0, 0      | 0, ½, 0, 0      |
| NTP    | 0, 0, 0, 0                | ½, 0, 0, 0      | ½, 0, 0, 0      |
| MUP    | −½, ½, 0, ½               | 0, ½, 0, 1      | ½, ½, 0, ½      |
| MF     | 0, 0, −1, 0               | ½, 0, −1, ½     | 1, 0, −1, 0     |

μP in effective form: init variance input 1/d, hidden 1/n, output 1/n²; SGD learning rate
input η·n, hidden η, output η/n; Adam input η, hidden η/n, output η/n (TP V Table 3). MF is
the mean-field parametrization of one hidden layer (input 0/0, output 1/0, c = −1; TP IV,
arXiv:2011.14522); for deeper networks
it is μP moved by the symmetry below with θ = ½, which fixes its hidden row.

Symmetry: (a, b, c_sgd, c_adam) → (a + θ, b − θ, c_sgd − 2θ, c_adam − θ) leaves the effective
network and its training dynamics unchanged (`Parametrization.shifted`); it is checked
numerically in the tests.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

ROLES = ("input", "hidden", "output")
OPTIMIZERS = ("sgd", "adam")


@dataclasses.dataclass(frozen=True)
class Exponents:
    """The width exponents of one role: multiplier r^{−a}, init std ∝ r^{−b}, LR ∝ r^{−c}."""

    a: float
    b: float
    c_sgd: float
    c_adam: float

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise TypeError(f"Exponents: `{field.name}` must be a finite real number, got {value!r}.")
            object.__setattr__(self, field.name, float(value))

    def c(self, optimizer: str) -> float:
        """The learning-rate exponent for ``optimizer`` ('sgd' or 'adam')."""
        return self.c_sgd if _check_optimizer(optimizer) == "sgd" else self.c_adam

    def shifted(self, theta: float) -> Exponents:
        """The equivalent exponents (a + θ, b − θ, c_sgd − 2θ, c_adam − θ)."""
        return Exponents(self.a + theta, self.b - theta, self.c_sgd - 2 * theta, self.c_adam - theta)


def _as_exponents(role: str, value: Any) -> Exponents:
    if isinstance(value, Exponents):
        return value
    if isinstance(value, (tuple, list)) and len(value) == 4:
        return Exponents(*value)
    raise TypeError(f"Parametrization: `{role}` must be an Exponents or an (a, b, c_sgd, c_adam) tuple, got {value!r}.")


def _check_optimizer(optimizer: Any) -> str:
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"`optimizer` must be one of {OPTIMIZERS}, got {optimizer!r}.")
    return optimizer


def check_role(role: Any) -> str:
    if role not in ROLES:
        raise ValueError(f"`role` must be one of {ROLES}, got {role!r}.")
    return role


def width_ratio(width: Any, base_width: Any) -> float:
    """r = width / base_width, after checking both are positive integers."""
    for name, value in (("width", width), ("base_width", base_width)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return width / base_width


@dataclasses.dataclass(frozen=True)
class Parametrization:
    """An abc-parametrization: `Exponents` for the input, hidden and output roles.

    Build a custom one with tuples, e.g. ``Parametrization("mine", input=(0, 0, 0, 0),
    hidden=(0, .5, 0, 0), output=(1, 0, 0, 0))``.
    """

    name: str
    input: Exponents
    hidden: Exponents
    output: Exponents

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Parametrization: `name` must be a string, got {self.name!r}.")
        for role in ROLES:
            object.__setattr__(self, role, _as_exponents(role, getattr(self, role)))

    def exponents(self, role: str) -> Exponents:
        return getattr(self, check_role(role))

    def multiplier(self, role: str, width: int, base_width: int) -> float:
        """Forward multiplier r^{−a}: the network uses W = multiplier · w."""
        return width_ratio(width, base_width) ** -self.exponents(role).a

    def init_std(self, role: str, width: int, base_width: int, fan_in_base: float, std: float = 1.0) -> float:
        """Standard deviation of the trainable w: std / √fan_in₀ · r^{−b}."""
        if not (isinstance(fan_in_base, numbers.Real) and fan_in_base > 0):
            raise ValueError(f"`fan_in_base` must be > 0, got {fan_in_base!r}.")
        return std / math.sqrt(fan_in_base) * width_ratio(width, base_width) ** -self.exponents(role).b

    def lr_multiplier(self, role: str, width: int, base_width: int, optimizer: str = "sgd") -> float:
        """Learning-rate multiplier r^{−c} of w for ``optimizer`` ('sgd' or 'adam')."""
        return width_ratio(width, base_width) ** -self.exponents(role).c(optimizer)

    def effective(self, role: str, width: int, base_width: int, fan_in_base: float,
                  std: float = 1.0, optimizer: str = "sgd") -> tuple[float, float]:
        """(init std of W, learning rate multiplier of W) of the effective network.

        SGD on w with LR η·r^{−c} moves W = r^{−a} w by η·r^{−2a−c}·∂L/∂W; Adam's update is
        invariant to the gradient's scale, so W moves by η·r^{−a−c}·(normalised step).
        """
        e, r = self.exponents(role), width_ratio(width, base_width)
        power = 2 * e.a + e.c_sgd if _check_optimizer(optimizer) == "sgd" else e.a + e.c_adam
        return self.init_std(role, width, base_width, fan_in_base, std) * r ** -e.a, r ** -power

    def shifted(self, theta: float, roles: tuple[str, ...] = ROLES) -> Parametrization:
        """Apply the abc symmetry with θ to ``roles``; the dynamics are unchanged."""
        if isinstance(theta, bool) or not isinstance(theta, numbers.Real) or not math.isfinite(theta):
            raise TypeError(f"`theta` must be a finite real number, got {theta!r}.")
        changes = {check_role(role): self.exponents(role).shifted(theta) for role in roles}
        return dataclasses.replace(self, name=f"{self.name}+θ={theta:g}", **changes)


HALF = 0.5
SP = Parametrization("SP", input=(0, 0, 0, 0), hidden=(0, HALF, 0, 0), output=(0, HALF, 0, 0))
NTP = Parametrization("NTP", input=(0, 0, 0, 0), hidden=(HALF, 0, 0, 0), output=(HALF, 0, 0, 0))
MUP = Parametrization("muP", input=(-HALF, HALF, 0, HALF), hidden=(0, HALF, 0, 1), output=(HALF, HALF, 0, HALF))
MF = dataclasses.replace(MUP.shifted(HALF), name="MF")
PRESETS = {"sp": SP, "ntp": NTP, "mup": MUP, "mf": MF}


def get_parametrization(value: Any) -> Parametrization:
    """A `Parametrization`, or the name of a preset ('sp', 'ntp', 'mup'/'μp', 'mf')."""
    if isinstance(value, Parametrization):
        return value
    if isinstance(value, str):
        key = value.lower().replace("μ", "mu")
        if key in PRESETS:
            return PRESETS[key]
    raise ValueError(f"`parametrization` must be a Parametrization or one of {sorted(PRESETS)}, got {value!r}.")
