"""A network under an abc-parametrization: init scales, forward multipliers, per-parameter LRs.

One mechanism serves every network: the trainable parameters ``w`` are a pytree whose leaves
each carry a role and the network's ``apply_fn`` is called on the *effective* weights
``W = multiplier ⊙ w``. Nothing else about the network is assumed, so this works for
`widenets.stax` networks built from ``Dense(..., parameterization='standard')`` (whose apply is
``x W + b``, weights used as given; `mlp` builds one) and for any hand-written pytree model.

Leaf roles (TP V, arXiv:2203.03466, Table 3 groups parameters by which of their dimensions grow
with the width):

* 'input'  — weights (fan_in, fan_out) with fixed fan-in, fan-out ∝ n;
* 'hidden' — weights with fan-in and fan-out ∝ n;
* 'output' — weights with fan-in ∝ n, fixed fan-out;
* 'bias'   — a bias of a layer of width ∝ n: the input exponents, fan-in 1;
* 'fixed'  — no dimension grows with n (e.g. the readout's bias): no width scaling at all,
  init std = bias_std, learning rate η.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from widenets import stax
from widenets._validation import check_float, check_int, check_key

from ._optim import scale_by_tree
from ._parametrization import Parametrization, get_parametrization, width_ratio

LEAF_ROLES = ("input", "hidden", "output", "bias", "fixed")
Params = Any


def _exponent_role(leaf_role: str) -> str:
    return "input" if leaf_role == "bias" else leaf_role


def _fan_in_base(leaf_role: str, shape: tuple[int, ...], ratio: float) -> float:
    """fan_in at the base width: the leading axes of a (fan_in, fan_out) weight; 1 for biases."""
    if leaf_role in ("bias", "fixed"):
        return 1.0
    if len(shape) < 2:
        raise ValueError(f"a '{leaf_role}' weight must have shape (fan_in, ...), got {shape}; give biases the role 'bias'.")
    fan_in = math.prod(shape[:-1])
    return fan_in if leaf_role == "input" else fan_in / ratio


@dataclasses.dataclass(frozen=True)
class ParametrizedNetwork:
    """A network at width ``width`` under ``parametrization`` (relative to ``base_width``).

    Attributes:
      apply_fn: ``apply_fn(W, x)`` on the effective weights.
      shapes: pytree of parameter shapes; roles: pytree of leaf roles (same structure).
      multipliers, init_stds: pytrees of floats, r^{−a} and std/√fan_in₀·r^{−b} per leaf.
      lr_multipliers: {'sgd': pytree, 'adam': pytree} of r^{−c} per leaf.
      zero_output: output weights start at zero (recommended by TP V for μP; off by default).
      activations_fn: optional ``activations_fn(W, x) -> dict`` of named intermediate
        activations (for coord checks); `mlp` provides it.
    """

    apply_fn: Callable[[Params, jax.Array], jax.Array]
    shapes: Params
    roles: Params
    parametrization: Parametrization
    width: int
    base_width: int
    multipliers: Params
    init_stds: Params
    lr_multipliers: dict[str, Params]
    zero_output: bool = False
    activations_fn: Callable[[Params, jax.Array], dict[str, jax.Array]] | None = None

    def init(self, key: jax.Array, dtype: Any = jnp.float32) -> Params:
        """Sample the trainable parameters w ~ N(0, init_std²) (output zero if zero_output)."""
        key = check_key("key", key)
        leaves, treedef = jax.tree.flatten(self.shapes, is_leaf=_is_shape)
        stds = treedef.flatten_up_to(self.init_stds)
        roles = treedef.flatten_up_to(self.roles)
        keys = jax.random.split(key, len(leaves))
        out = [
            jnp.zeros(shape, dtype) if (self.zero_output and role == "output")
            else std * jax.random.normal(k, shape, dtype)
            for shape, std, role, k in zip(leaves, stds, roles, keys)
        ]
        return jax.tree.unflatten(treedef, out)

    def effective(self, w: Params) -> Params:
        """The weights the network uses: W = multiplier ⊙ w."""
        return jax.tree.map(lambda m, p: (m * p).astype(p.dtype), self.multipliers, w)

    def apply(self, w: Params, x: jax.Array) -> jax.Array:
        return self.apply_fn(self.effective(w), x)

    def activations(self, w: Params, x: jax.Array) -> dict[str, jax.Array]:
        if self.activations_fn is None:
            raise ValueError("this network has no `activations_fn`; pass one to `parametrize` for coord checks.")
        return self.activations_fn(self.effective(w), x)

    def optimizer(self, learning_rate: Any, optimizer: str = "sgd", **optax_kwargs: Any) -> optax.GradientTransformation:
        """``optax.sgd``/``optax.adam`` at ``learning_rate``, then the per-parameter r^{−c}."""
        factories = {"sgd": optax.sgd, "adam": optax.adam}
        if optimizer not in factories:
            raise ValueError(f"`optimizer` must be one of {tuple(factories)}, got {optimizer!r}.")
        return optax.chain(factories[optimizer](learning_rate, **optax_kwargs),
                           scale_by_tree(self.lr_multipliers[optimizer]))


def _is_shape(x: Any) -> bool:
    return isinstance(x, tuple) and all(isinstance(s, (int, np.integer)) for s in x)


def parametrize(
    apply_fn: Callable[[Params, jax.Array], jax.Array],
    shapes: Params,
    roles: Params,
    parametrization: Any,
    width: int,
    base_width: int,
    std: float = 1.0,
    bias_std: float = 0.0,
    zero_output: bool = False,
    activations_fn: Callable | None = None,
) -> ParametrizedNetwork:
    """Read a parametrization onto a pytree of weights with given roles.

    Args:
      apply_fn: ``apply_fn(W, x)``, the network on its effective weights (used as given).
      shapes: pytree of parameter shapes (tuples of ints); weights are (fan_in, fan_out).
      roles: the same pytree structure with a role per leaf: 'input', 'hidden', 'output',
        'bias' or 'fixed' (see the module docstring).
      parametrization: a `Parametrization` or a preset name ('sp', 'ntp', 'mup', 'mf').
      width, base_width: n and n₀ (the ratio r = n/n₀ enters every scale).
      std: σ of the weights (init std σ/√fan_in₀·r^{−b}); bias_std: σ_b of the biases.
      zero_output: initialise the output weights at zero.
    """
    p = get_parametrization(parametrization)
    ratio = width_ratio(width, base_width)
    std = check_float("std", std, nonnegative=True)
    bias_std = check_float("bias_std", bias_std, nonnegative=True)
    shape_leaves, treedef = jax.tree.flatten(shapes, is_leaf=_is_shape)
    if not all(map(_is_shape, shape_leaves)):
        raise TypeError("`shapes` must be a pytree whose leaves are tuples of ints.")
    try:
        role_leaves = treedef.flatten_up_to(roles)
    except (ValueError, TypeError) as err:
        raise ValueError(f"`roles` must have the structure of `shapes`: {err}") from None
    for role in role_leaves:
        if role not in LEAF_ROLES:
            raise ValueError(f"`roles` leaves must be among {LEAF_ROLES}, got {role!r}.")

    def per_leaf(fn):
        return jax.tree.unflatten(treedef, [fn(r, tuple(s)) for r, s in zip(role_leaves, shape_leaves)])

    def init_std(role, shape):
        if role == "fixed":
            return bias_std
        sigma = bias_std if role == "bias" else std
        return p.init_std(_exponent_role(role), width, base_width, _fan_in_base(role, shape, ratio), sigma)

    def multiplier(role, shape):
        return 1.0 if role == "fixed" else p.multiplier(_exponent_role(role), width, base_width)

    def lr_multiplier(role, optimizer):
        return 1.0 if role == "fixed" else p.lr_multiplier(_exponent_role(role), width, base_width, optimizer)

    return ParametrizedNetwork(
        apply_fn=apply_fn,
        shapes=shapes,
        roles=roles,
        parametrization=p,
        width=width,
        base_width=base_width,
        multipliers=per_leaf(multiplier),
        init_stds=per_leaf(init_std),
        lr_multipliers={opt: per_leaf(lambda r, s, opt=opt: lr_multiplier(r, opt)) for opt in ("sgd", "adam")},
        zero_output=bool(zero_output),
        activations_fn=activations_fn,
    )


def mlp(
    input_dim: int,
    width: int,
    out_dim: int,
    parametrization: Any,
    base_width: int,
    hidden_layers: int = 2,
    activation: stax.Layer | None = None,
    bias: bool = True,
    std: float = 1.0,
    bias_std: float = 0.0,
    zero_output: bool = False,
) -> ParametrizedNetwork:
    """An MLP input_dim → width (×hidden_layers) → out_dim of `widenets.stax` layers, parametrized.

    The network is ``stax.serial(Dense(width, parameterization='standard'), activation, ...,
    Dense(out_dim, parameterization='standard'))``: its apply uses the weights as given, and
    this function supplies the scales. Roles: first weight 'input', last 'output', the others
    'hidden'; the hidden layers' biases 'bias', the readout's bias 'fixed'. With ``bias_std = 0`` biases start at zero but still train.
    """
    input_dim = check_int("input_dim", input_dim, minimum=1)
    width = check_int("width", width, minimum=1)
    out_dim = check_int("out_dim", out_dim, minimum=1)
    hidden_layers = check_int("hidden_layers", hidden_layers, minimum=1)
    activation = stax.Relu() if activation is None else activation
    if not isinstance(activation, stax.Layer):
        raise TypeError(f"`activation` must be a widenets.stax layer, got {activation!r}.")
    dims = [input_dim] + [width] * hidden_layers + [out_dim]
    layers = []
    for i in range(len(dims) - 1):
        layers.append(stax.Dense(dims[i + 1], b_std=1.0 if bias else None, parameterization="standard"))
        if i < len(dims) - 2:
            layers.append(activation)
    network = stax.serial(*layers)
    n_dense = len(dims) - 1
    shapes, roles = [], []
    for i in range(n_dense):
        role = "input" if i == 0 else ("output" if i == n_dense - 1 else "hidden")
        shapes.append(((dims[i], dims[i + 1]), (1, dims[i + 1]) if bias else None))
        roles.append((role, ("fixed" if role == "output" else "bias") if bias else None))
        if i < n_dense - 1:  # the activation layer has no parameters
            shapes.append(None)
            roles.append(None)
    shapes, roles = tuple(shapes), tuple(roles)

    def activations_fn(W: Params, x: jax.Array) -> dict[str, jax.Array]:
        """Outputs of every Dense layer (pre-activations) and the network output."""
        out, h = {}, x
        dense = 0
        for layer, w in zip(network.layers, W):
            h = layer.apply(w, h)
            if w is not None:
                dense += 1
                out["output" if dense == n_dense else f"layer{dense}"] = h
        return out

    return parametrize(network.apply_fn, shapes, roles, parametrization, width, base_width,
                       std=std, bias_std=bias_std, zero_output=zero_output, activations_fn=activations_fn)
