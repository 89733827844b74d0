"""Architecture specs shared by the neural-tangents golden-data script and the widenets parity test.

This module must import in two environments -- the pinned neural-tangents 0.6.5 reference env and
the widenets env -- so at module level it imports only the standard library and numpy.  The jax
modules are passed in by the caller.

Spec format (JSON-able)
-----------------------
An *architecture* is a nested list:

* ``[LayerName, {kwargs}]`` -- a layer built as ``getattr(stax, LayerName)(**kwargs)``; e.g.
  ``["Dense", {"out_dim": 512, "W_std": 1.3, "b_std": 0.1, "parameterization": "standard"}]``,
  ``["Relu", {}]``, ``["FanOut", {"num": 2}]``, ``["FanInConcat", {"axis": -1}]``.
* ``["serial", [arch, arch, ...]]`` and ``["parallel", [arch, arch, ...]]`` -- the combinators,
  built as ``stax.serial(*children)`` / ``stax.parallel(*children)``.

Layers that take Python callables (``Elementwise``, ``ElementwiseNumerical``) name them by string;
``build`` looks the names up in tables built from the passed ``jnp`` module (``FN_NAMES``,
``NNGP_FN_NAMES``).  Kernels of ``Polynomial`` take the coefficient list as JSON.

A *case* is a dict ``{"name", "description", "input", "arch"}``; ``input`` is ``"flat"`` (x1 of
shape (7, 5), x2 of shape (4, 5)) or ``"image"`` (x1 of shape (7, 2, 3, 2), x2 of shape (4, 2, 3, 2)).

``build(stax_module, jnp_module, spec)`` is the single builder used on both sides: the golden
values come from ``build(neural_tangents.stax, jax.numpy, arch)`` and the test compares them with
``build(widenets.stax, jax.numpy, arch)``.
"""
from __future__ import annotations

import json

import numpy as np

COMBINATORS = ("serial", "parallel")

# Every layer the parity data must exercise (the coverage test checks this list).
REQUIRED_LAYERS = (
    "Dense", "Identity", "Flatten", "LayerNorm",
    "Relu", "LeakyRelu", "Abs", "ABRelu", "Erf", "Sigmoid_like", "Gelu", "Sin", "Cos", "Rbf",
    "Exp", "Gaussian", "Sign", "Monomial", "RectifiedMonomial", "Polynomial",
    "Elementwise", "ElementwiseNumerical",
    "serial", "parallel", "FanOut", "FanInSum", "FanInProd", "FanInConcat",
)

INPUT_SHAPES = {
    "flat": ((7, 5), (4, 5)),
    "image": ((7, 2, 3, 2), (4, 2, 3, 2)),
}
INPUT_SEEDS = {"x1": 1, "x2": 2}


def make_inputs(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The fixed float64 inputs (x1, x2) for an input kind; standard normal entries."""
    s1, s2 = INPUT_SHAPES[kind]
    x1 = np.random.default_rng([INPUT_SEEDS["x1"], len(s1)]).standard_normal(s1)
    x2 = np.random.default_rng([INPUT_SEEDS["x2"], len(s2)]).standard_normal(s2)
    return x1, x2


# --------------------------------------------------------------------------------------------
# Named functions for Elementwise / ElementwiseNumerical.
# Duals are E[f(u) f(v)] for (u, v) ~ N(0, [[var1, cov12], [cov12, var2]]), written out by hand.
# --------------------------------------------------------------------------------------------

def fn_table(jnp) -> dict:
    """Scalar activations by name (jnp-based, so they run under either library)."""

    def sin(x):
        return jnp.sin(x)

    def cos(x):
        return jnp.cos(x)

    def exp_half(x):
        return jnp.exp(0.5 * x)

    def square(x):
        return x * x

    def tanh(x):
        return jnp.tanh(x)

    def sin_plus_linear(x):
        return jnp.sin(x) + 0.3 * x

    def softplus(x):
        return jnp.logaddexp(x, 0.0)

    return {
        "sin": sin, "cos": cos, "exp_half": exp_half, "square": square,
        "tanh": tanh, "sin_plus_linear": sin_plus_linear, "softplus": softplus,
    }


def nngp_fn_table(jnp) -> dict:
    """Closed-form duals, signature ``nngp_fn(cov12, var1, var2)`` (neural-tangents' order)."""

    def sin_nngp(c, v1, v2):  # E[sin u sin v] = e^{-(v1+v2)/2} sinh(c)
        return jnp.exp(-0.5 * (v1 + v2)) * jnp.sinh(c)

    def sin_d_nngp(c, v1, v2):  # E[cos u cos v] = e^{-(v1+v2)/2} cosh(c)
        return jnp.exp(-0.5 * (v1 + v2)) * jnp.cosh(c)

    def cos_nngp(c, v1, v2):  # E[cos u cos v]
        return jnp.exp(-0.5 * (v1 + v2)) * jnp.cosh(c)

    def exp_half_nngp(c, v1, v2):  # E[e^{u/2} e^{v/2}] = exp((v1 + v2 + 2c)/8)
        return jnp.exp((v1 + v2 + 2.0 * c) / 8.0)

    def square_nngp(c, v1, v2):  # E[u^2 v^2] = v1 v2 + 2 c^2 (Isserlis)
        return v1 * v2 + 2.0 * c * c

    return {
        "sin": sin_nngp, "sin_d": sin_d_nngp, "cos": cos_nngp,
        "exp_half": exp_half_nngp, "square": square_nngp,
    }


FN_NAMES = ("sin", "cos", "exp_half", "square", "tanh", "sin_plus_linear", "softplus")
NNGP_FN_NAMES = ("sin", "sin_d", "cos", "exp_half", "square")
_FN_KWARGS = ("fn", "df")
_NNGP_KWARGS = ("nngp_fn", "d_nngp_fn")


# --------------------------------------------------------------------------------------------
# Builder
# --------------------------------------------------------------------------------------------

def build(stax_module, jnp_module, spec):
    """Build ``(init_fn, apply_fn, kernel_fn)`` from a spec with the given ``stax`` module.

    ``spec`` is an architecture (nested list) or a case dict holding one under ``"arch"``.
    """
    if isinstance(spec, dict):
        spec = spec["arch"]
    name, arg = spec
    if name in COMBINATORS:
        children = [build(stax_module, jnp_module, child) for child in arg]
        return getattr(stax_module, name)(*children)
    kwargs = dict(arg)
    fns = nngps = None
    for key in _FN_KWARGS + _NNGP_KWARGS:
        if isinstance(kwargs.get(key), str):
            if key in _FN_KWARGS:
                fns = fns or fn_table(jnp_module)
                kwargs[key] = fns[kwargs[key]]
            else:
                nngps = nngps or nngp_fn_table(jnp_module)
                kwargs[key] = nngps[kwargs[key]]
    if "coef" in kwargs:
        kwargs["coef"] = list(kwargs["coef"])
    return getattr(stax_module, name)(**kwargs)


def layer_names(spec) -> set:
    """Every layer / combinator name used in an architecture or case."""
    if isinstance(spec, dict):
        spec = spec["arch"]
    name, arg = spec
    out = {name}
    if name in COMBINATORS:
        for child in arg:
            out |= layer_names(child)
    return out


def _fmt(v):
    if v is None:
        return "None"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, str) and v in ("standard", "ntk"):
        return {"standard": "std", "ntk": "ntk"}[v]
    return json.dumps(v) if not isinstance(v, str) else v


def describe(spec) -> str:
    """A compact one-line rendering, e.g. ``Dense(64,W=1.3,b=0.1,std) > Relu > Dense(1)``."""
    if isinstance(spec, dict):
        spec = spec["arch"]
    name, arg = spec
    if name == "serial":
        return " > ".join(describe(c) for c in arg)
    if name == "parallel":
        return "parallel[" + " | ".join(describe(c) for c in arg) + "]"
    if name == "Dense":
        parts = [str(arg["out_dim"])]
        if "W_std" in arg:
            parts.append(f"W={_fmt(arg['W_std'])}")
        if "b_std" in arg:
            parts.append(f"b={_fmt(arg['b_std'])}")
        if "parameterization" in arg:
            parts.append(_fmt(arg["parameterization"]))
        return f"Dense({','.join(parts)})"
    if not arg:
        return name
    return f"{name}(" + ",".join(f"{k}={_fmt(v)}" for k, v in arg.items()) + ")"


# --------------------------------------------------------------------------------------------
# Hand-written cases
# --------------------------------------------------------------------------------------------

def L(name, **kwargs):
    return [name, kwargs]


def S(*layers):
    return ["serial", list(layers)]


def P(*layers):
    return ["parallel", list(layers)]


def D(out_dim, W_std=1.0, b_std=None, param="ntk"):
    return L("Dense", out_dim=out_dim, W_std=W_std, b_std=b_std, parameterization=param)


def _act_case(act, param="ntk", widths=(64, 3), W=(1.4, 0.9), b=(0.2, 0.1)):
    """Dense -> act -> Dense."""
    return S(D(widths[0], W[0], b[0], param), act, D(widths[1], W[1], b[1], param))


def hand_written_cases() -> list[dict]:
    """Hand-written cases covering every layer of ``REQUIRED_LAYERS`` with non-default arguments."""
    c = []

    def add(name, description, arch, input="flat"):
        c.append({"name": f"h_{name}", "description": description, "input": input, "arch": arch})

    # --- Dense, both parameterizations, with/without bias, differing widths ---
    add("dense_ntk", "single Dense, NTK parameterization with bias",
        S(D(512, 1.3, 0.1, "ntk")))
    add("dense_ntk_nobias", "single Dense, NTK parameterization, b_std=None",
        S(D(64, 1.7, None, "ntk")))
    add("dense_std", "single Dense, standard parameterization with bias (fan_in = 5)",
        S(D(512, 1.3, 0.1, "standard")))
    add("dense_std_widths", "standard Dense chain with differing widths 8 -> 300 -> 3 (fan-in matters)",
        S(D(8, 1.2, 0.3, "standard"), D(300, 0.9, 0.2, "standard"), D(3, 1.1, None, "standard")))
    add("dense_std_relu_widths", "standard MLP with widths 17 -> 123 -> 2, ReLU, mixed biases",
        S(D(17, 1.5, None, "standard"), L("Relu"), D(123, 1.1, 0.4, "standard"), L("Relu"),
          D(2, 0.7, 0.05, "standard")))
    add("dense_mixed_param", "NTK Dense followed by standard Dense (fan_in 40) and NTK readout",
        S(D(40, 1.2, 0.1, "ntk"), L("Erf"), D(25, 1.3, 0.2, "standard"), L("Relu"), D(1, 1.0, None, "ntk")))
    add("dense_zero_bias", "Dense with b_std=0.0 (bias present but zero), standard",
        S(D(32, 1.1, 0.0, "standard"), L("Relu"), D(4, 1.2, 0.0, "standard")))

    # --- Identity / Flatten ---
    add("identity", "Identity at the input, after Dense and after an activation",
        S(L("Identity"), D(16, 1.5, 0.2, "ntk"), L("Identity"), L("Relu"), L("Identity"), D(1, 0.8, 0.1, "ntk")))
    add("flatten_image_ntk", "image input (N,2,3,2): Flatten first, NTK MLP",
        S(L("Flatten"), D(32, 1.4, 0.1, "ntk"), L("Relu"), D(1, 0.8, 0.05, "ntk")), input="image")
    add("flatten_image_std", "image input (N,2,3,2): Flatten first, standard MLP (fan_in 12 then 20)",
        S(L("Flatten"), D(20, 1.1, 0.2, "standard"), L("Erf", a=1.2, b=0.8, c=0.1),
          D(4, 1.3, None, "standard")), input="image")
    add("flatten_image_args", "image input: Flatten(batch_axis=0, batch_axis_out=0), standard, no bias",
        S(L("Flatten", batch_axis=0, batch_axis_out=0), D(9, 1.6, None, "standard"), L("Gelu"),
          D(2, 0.9, None, "standard")), input="image")
    add("flatten_flat", "Flatten on flat inputs and after an activation (no-ops)",
        S(L("Flatten"), D(30, 1.3, 0.2, "standard"), L("Abs"), L("Flatten"), D(3, 1.0, 0.1, "standard")))

    # --- LayerNorm ---
    add("layernorm_ntk", "Dense -> LayerNorm -> ReLU -> Dense (NTK)",
        S(D(32, 1.5, 0.3, "ntk"), L("LayerNorm"), L("Relu"), D(1, 1.0, 0.1, "ntk")))
    add("layernorm_std_eps", "standard Dense -> LayerNorm(eps=0.1) -> Gelu -> Dense",
        S(D(24, 1.8, 0.2, "standard"), L("LayerNorm", axis=-1, eps=0.1), L("Gelu"), D(5, 1.1, 0.3, "standard")))
    add("layernorm_twice", "LayerNorm after two Dense layers with Erf in between",
        S(D(16, 0.7, None, "ntk"), L("LayerNorm", eps=1e-6), L("Erf"), D(16, 2.0, 0.5, "ntk"),
          L("LayerNorm"), L("Sin"), D(1, 1.0, None, "ntk")))

    # --- activations, one case each (several per parameterization) ---
    acts = [
        ("relu", L("Relu"), "ntk"),
        ("relu_std", L("Relu"), "standard"),
        ("relu_stabilize", L("Relu", do_stabilize=True), "ntk"),
        ("leaky_relu", L("LeakyRelu", alpha=0.2), "ntk"),
        ("leaky_relu_neg_std", L("LeakyRelu", alpha=-0.3), "standard"),
        ("abs", L("Abs"), "ntk"),
        ("abs_std_stabilize", L("Abs", do_stabilize=True), "standard"),
        ("abrelu", L("ABRelu", a=-0.4, b=1.3), "ntk"),
        ("abrelu_std", L("ABRelu", a=0.5, b=-0.7), "standard"),
        ("erf", L("Erf", a=1.3, b=0.7, c=0.2), "ntk"),
        ("erf_default_std", L("Erf"), "standard"),
        ("sigmoid_like", L("Sigmoid_like"), "ntk"),
        ("gelu", L("Gelu"), "ntk"),
        ("gelu_approx_std", L("Gelu", approximate=True), "standard"),
        ("sin", L("Sin", a=1.2, b=0.8, c=0.3), "ntk"),
        ("sin_default_std", L("Sin"), "standard"),
        ("cos", L("Cos", a=0.9, b=1.1, c=-0.4), "ntk"),
        ("cos_default", L("Cos"), "standard"),
        ("rbf", L("Rbf", gamma=0.6), "ntk"),
        ("rbf_std", L("Rbf", gamma=1.7), "standard"),
        ("exp", L("Exp", a=0.8, b=0.3), "ntk"),
        ("exp_default_std", L("Exp"), "standard"),
        ("gaussian", L("Gaussian", a=1.2, b=-0.6), "ntk"),
        ("gaussian_default_std", L("Gaussian"), "standard"),
        ("sign", L("Sign"), "ntk"),
        ("sign_std", L("Sign"), "standard"),
        ("polynomial", L("Polynomial", coef=[0.1, -0.5, 0.3, 0.2]), "ntk"),
        ("polynomial_const_std", L("Polynomial", coef=[0.7]), "standard"),
        ("polynomial_quintic", L("Polynomial", coef=[0.0, 1.0, 0.0, -0.2, 0.0, 0.05]), "standard"),
    ]
    acts += [(f"monomial{d}", L("Monomial", degree=d), "ntk" if d % 2 else "standard") for d in range(6)]
    acts += [(f"rect_monomial{d}", L("RectifiedMonomial", degree=d), "standard" if d % 2 else "ntk")
             for d in range(4)]
    for name, act, param in acts:
        add(name, f"Dense -> {describe(act)} -> Dense ({param})",
            _act_case(act, param=param, widths=(48, 3) if param == "standard" else (64, 3),
                      W=(1.0, 1.1) if name.startswith("exp_default") else (1.4, 0.9),
                      b=(0.2, None) if param == "standard" else (0.2, 0.1)))

    # --- Elementwise / ElementwiseNumerical ---
    add("elementwise_sin", "Elementwise(sin, nngp_fn written out), NTK by autodiff",
        _act_case(L("Elementwise", fn="sin", nngp_fn="sin")))
    add("elementwise_sin_dnngp", "Elementwise(sin) with d_nngp_fn given, standard",
        _act_case(L("Elementwise", fn="sin", nngp_fn="sin", d_nngp_fn="sin_d"), param="standard"))
    add("elementwise_cos", "Elementwise(cos), two layers",
        S(D(32, 1.2, 0.3), L("Elementwise", fn="cos", nngp_fn="cos"), D(32, 1.5, 0.1),
          L("Elementwise", fn="cos", nngp_fn="cos"), D(1)))
    add("elementwise_exp_half", "Elementwise(exp(x/2)), standard",
        _act_case(L("Elementwise", fn="exp_half", nngp_fn="exp_half"), param="standard"))
    add("elementwise_square_kernel_only", "Elementwise(nngp_fn=x^2 dual) without fn",
        _act_case(L("Elementwise", nngp_fn="square")))
    add("numerical_sin_plus_linear", "ElementwiseNumerical(sin(x)+0.3x, deg=25)",
        _act_case(L("ElementwiseNumerical", fn="sin_plus_linear", deg=25)))
    add("numerical_tanh", "ElementwiseNumerical(tanh, deg=25), standard",
        _act_case(L("ElementwiseNumerical", fn="tanh", deg=25), param="standard"))
    add("numerical_tanh_deg150", "ElementwiseNumerical(tanh, deg=150): quadrature converged, standard",
        _act_case(L("ElementwiseNumerical", fn="tanh", deg=150), param="standard"))
    add("numerical_softplus_df", "ElementwiseNumerical(softplus, deg=30) then ElementwiseNumerical(sin(x)+0.3x, deg=25)",
        S(D(32, 1.1, 0.1), L("ElementwiseNumerical", fn="softplus", deg=30), D(16, 1.3, None),
          L("ElementwiseNumerical", fn="sin_plus_linear", deg=25), D(1)))

    # --- branching ---
    add("resnet_block", "Dense -> FanOut(2) -> parallel(Relu > Dense, Identity) -> FanInSum -> Relu -> Dense",
        S(D(32, 1.3, 0.1), L("FanOut", num=2), P(S(L("Relu"), D(32, 1.2, 0.2)), L("Identity")),
          L("FanInSum"), L("Relu"), D(1, 1.0, 0.1)))
    add("resnet_block_std", "standard ResNet block, two blocks, LayerNorm inside a branch",
        S(D(24, 1.1, 0.2, "standard"),
          L("FanOut", num=2), P(S(L("Erf"), D(24, 1.4, None, "standard"), L("LayerNorm")), L("Identity")),
          L("FanInSum"), L("Gelu"), D(24, 1.3, 0.1, "standard"),
          L("FanOut", num=2), P(L("Identity"), S(L("Sin", a=1.1, b=0.9, c=0.2), D(24, 0.8, 0.3, "standard"))),
          L("FanInSum"), L("Relu"), D(2, 1.0, None, "standard")))
    add("fanout3_sum_input", "FanOut(3) at the input, three Gaussian branches summed, then Sin",
        S(L("FanOut", num=3), P(D(16, 1.2, 0.1), D(16, 0.6, None), S(D(16, 1.1, 0.2), L("Erf"), D(16, 1.3, 0.3))),
          L("FanInSum"), L("Sin", a=1.0, b=1.2, c=0.1), D(2, 1.0, 0.2)))
    add("faninsum_std", "FanInSum of standard Dense branches with different input widths upstream",
        S(D(10, 1.3, 0.1, "standard"), L("Relu"), L("FanOut", num=2),
          P(D(50, 1.2, 0.2, "standard"), S(D(7, 1.5, None, "standard"), L("Abs"), D(50, 0.9, 0.1, "standard"))),
          L("FanInSum"), L("Erf"), D(1, 1.0, None, "standard")))
    add("faninprod_acts", "FanOut(2) -> parallel(Dense>Relu, Dense>Erf) -> FanInProd -> Dense",
        S(L("FanOut", num=2), P(S(D(32, 1.3, 0.1), L("Relu")), S(D(32, 1.1, 0.2), L("Erf", a=1.5))),
          L("FanInProd"), D(16, 1.2, 0.1), L("Relu"), D(1)))
    add("faninprod_gaussian_std", "FanInProd of two Gaussian (Dense) branches, standard readout",
        S(D(20, 1.0, 0.2, "standard"), L("Gelu"), L("FanOut", num=2),
          P(D(20, 1.2, 0.1, "standard"), D(20, 0.8, None, "standard")),
          L("FanInProd"), D(3, 1.1, 0.1, "standard")))
    add("faninprod_three", "FanOut(3) -> FanInProd of three branches (one Identity of a non-Gaussian)",
        S(D(12, 1.2, 0.3), L("Sin", c=0.5), L("FanOut", num=3),
          P(L("Identity"), S(D(12, 1.1, 0.1), L("Cos")), S(D(12, 0.9, None), L("Relu"))),
          L("FanInProd"), D(1, 1.0, 0.1)))
    add("faninconcat_equal", "FanInConcat of equal-width branches (16+16), standard readout fan_in 32",
        S(L("FanOut", num=2), P(S(D(16, 1.3, 0.1, "standard"), L("Relu")), S(D(16, 1.2, 0.2, "standard"), L("Sin"))),
          L("FanInConcat"), D(4, 1.1, 0.1, "standard")))
    add("faninconcat_unequal_std", "FanInConcat(axis=-1) of unequal widths 8/40/3, standard (fan_in 51)",
        S(D(20, 1.2, 0.1, "standard"), L("Relu"), L("FanOut", num=3),
          P(S(D(8, 1.4, None, "standard"), L("Erf")), S(D(40, 1.1, 0.2, "standard"), L("Abs")),
            D(3, 0.8, 0.4, "standard")),
          L("FanInConcat", axis=-1), D(2, 1.2, 0.1, "standard"), L("Gelu"), D(1, 1.0, None, "standard")))
    add("faninconcat_unequal_ntk", "FanInConcat of unequal widths 5/50, NTK parameterization",
        S(L("FanOut", num=2), P(S(D(5, 1.4, 0.1), L("Relu")), S(D(50, 1.0, None), L("Gaussian", a=1.1, b=-0.4))),
          L("FanInConcat", axis=-1), D(8, 1.3, 0.2), L("Erf"), D(1)))
    add("faninconcat_axis1", "FanInConcat(axis=1) on 2-D activations (= channel axis)",
        S(L("FanOut", num=2), P(S(D(6, 1.2, 0.2, "standard"), L("Relu")), S(D(9, 1.1, None, "standard"), L("Abs"))),
          L("FanInConcat", axis=1), D(3, 1.0, 0.1, "standard")))
    add("nested_parallel", "nested serial/parallel: branch containing its own FanOut/FanInSum",
        S(D(16, 1.2, 0.1), L("FanOut", num=2),
          P(S(L("Relu"), D(16, 1.1, 0.2), L("FanOut", num=2), P(L("Identity"), S(L("Erf"), D(16, 1.3, None))),
              L("FanInSum")),
            S(L("Identity"))),
          L("FanInSum"), L("Sin", a=0.9), D(1, 1.0, 0.1)))
    add("deep_mixed", "six hidden layers with mixed activations and parameterizations",
        S(D(64, 1.4, 0.1, "ntk"), L("Relu"), D(32, 1.2, None, "standard"), L("Erf", a=1.1, b=0.9),
          D(48, 1.6, 0.3, "ntk"), L("Gelu"), D(16, 1.3, 0.2, "standard"), L("Gaussian", a=1.0, b=-0.3),
          D(64, 1.1, 0.05, "ntk"), L("LeakyRelu", alpha=0.1), D(8, 0.9, None, "standard"),
          L("Sin", a=1.0, b=0.7, c=-0.2), D(1, 1.0, 0.1, "standard")))
    return c


# --------------------------------------------------------------------------------------------
# Random architectures
# --------------------------------------------------------------------------------------------

def _rand_activation(rng) -> list:
    """A random activation with arguments in ranges where kernels stay O(1)."""
    u = lambda lo, hi: round(float(rng.uniform(lo, hi)), 4)  # noqa: E731
    choices = [
        lambda: L("Relu"),
        lambda: L("LeakyRelu", alpha=u(-0.5, 0.5)),
        lambda: L("Abs"),
        lambda: L("ABRelu", a=u(-1.0, 1.0), b=u(-1.0, 1.5)),
        lambda: L("Erf", a=u(0.5, 1.5), b=u(0.5, 1.5), c=u(-0.5, 0.5)),
        lambda: L("Sigmoid_like"),
        lambda: L("Gelu"),
        lambda: L("Sin", a=u(0.5, 1.5), b=u(0.5, 1.5), c=u(-1.0, 1.0)),
        lambda: L("Cos", a=u(0.5, 1.5), b=u(0.5, 1.5), c=u(-1.0, 1.0)),
        lambda: L("Rbf", gamma=u(0.2, 1.0)),
        lambda: L("Exp", a=u(0.5, 1.0), b=u(0.1, 0.4)),
        lambda: L("Gaussian", a=u(0.5, 1.5), b=u(-1.0, -0.1)),
        lambda: L("Sign"),
        lambda: L("Monomial", degree=int(rng.integers(0, 4))),
        lambda: L("RectifiedMonomial", degree=int(rng.integers(0, 3))),
        lambda: L("Polynomial", coef=[u(-0.5, 0.5) for _ in range(int(rng.integers(1, 4)))]),
        lambda: L("Elementwise", fn="sin", nngp_fn="sin"),
        lambda: L("Elementwise", fn="cos", nngp_fn="cos"),
        lambda: L("ElementwiseNumerical", fn="sin_plus_linear", deg=25),
    ]
    return choices[int(rng.integers(len(choices)))]()


def _rand_dense(rng, width=None) -> list:
    widths = (4, 8, 16, 33, 64, 256, 1024)
    out = int(widths[int(rng.integers(len(widths)))]) if width is None else int(width)
    W = round(float(rng.uniform(0.5, 2.0)), 4)
    b = None if rng.random() < 0.3 else round(float(rng.uniform(0.0, 0.5)), 4)
    param = "standard" if rng.random() < 0.5 else "ntk"
    return D(out, W, b, param)


def random_architectures(n: int = 60, seed: int = 0) -> list[dict]:
    """``n`` randomly composed architectures that respect neural-tangents' validity rules.

    Rules kept: an activation directly follows a Gaussian (affine) layer -- Dense, LayerNorm after
    Dense, Identity of a Gaussian, or FanInSum of Gaussian branches; FanInSum branches all end
    Gaussian and have equal widths; FanInProd branches have equal widths; LayerNorm only on a
    Gaussian input.  Every hidden block is followed by a final Dense readout.
    """
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        layers = []
        if rng.random() < 0.1:
            layers.append(L("Flatten"))
        if rng.random() < 0.1:
            layers.append(L("Identity"))
        gaussian = False  # the input kernel is not Gaussian
        depth = int(rng.integers(1, 7))
        for _ in range(depth):
            r = rng.random()
            if r < 0.7:  # plain block: Dense [-> LayerNorm] -> activation
                layers.append(_rand_dense(rng))
                if rng.random() < 0.15:
                    layers.append(L("LayerNorm", eps=float(rng.choice([1e-12, 1e-3, 0.1]))))
                if rng.random() < 0.1:
                    layers.append(L("Identity"))
                layers.append(_rand_activation(rng))
                gaussian = False
            else:  # branch block: [Dense ->] FanOut(k) -> parallel(...) -> FanIn*
                kind = ["sum", "prod", "concat"][int(rng.integers(3))]
                k = 2 if rng.random() < 0.8 else 3
                pre = _rand_dense(rng)
                width = pre[1]["out_dim"]
                layers.append(pre)
                gaussian = True
                branches = []
                for _b in range(k):
                    bw = width if kind in ("sum", "prod") else int(rng.choice([3, 8, 20, 64]))
                    opts = ["dense", "act_dense", "dense_act_dense"]
                    if kind == "sum" and bw == width:
                        opts.append("identity")
                    if kind != "sum":
                        opts += ["act", "dense_act"]
                    o = opts[int(rng.integers(len(opts)))]
                    if o == "act" and bw != width:
                        o = "dense_act"
                    if o == "identity":
                        br = L("Identity")
                    elif o == "dense":
                        br = S(_rand_dense(rng, bw))
                    elif o == "act_dense":
                        br = S(_rand_activation(rng), _rand_dense(rng, bw))
                    elif o == "dense_act_dense":
                        br = S(_rand_dense(rng), _rand_activation(rng), _rand_dense(rng, bw))
                    elif o == "act":
                        br = S(_rand_activation(rng))
                    else:  # dense_act
                        br = S(_rand_dense(rng, bw), _rand_activation(rng))
                    branches.append(br)
                layers += [L("FanOut", num=k), P(*branches)]
                if kind == "sum":
                    layers.append(L("FanInSum"))
                    gaussian = True
                    if rng.random() < 0.2:
                        layers.append(L("LayerNorm"))
                    if rng.random() < 0.8:
                        layers.append(_rand_activation(rng))
                        gaussian = False
                elif kind == "prod":
                    layers.append(L("FanInProd"))
                    gaussian = False
                else:
                    layers.append(L("FanInConcat", axis=-1))
                    gaussian = False
        del gaussian
        layers.append(_rand_dense(rng, int(rng.choice([1, 2, 3]))))
        arch = S(*layers)
        cases.append({"name": f"r{seed}_{i:03d}", "description": describe(arch), "input": "flat", "arch": arch})
    return cases


def all_cases(n_random: int = 80, seed: int = 2024) -> list[dict]:
    """The hand-written cases followed by the random ones (what the golden data holds)."""
    return hand_written_cases() + random_architectures(n_random, seed)


def with_quadrature_degree(spec, deg: int):
    """A copy of an architecture with every ``ElementwiseNumerical`` set to ``deg`` points."""
    if isinstance(spec, dict):
        return {**spec, "arch": with_quadrature_degree(spec["arch"], deg)}
    name, arg = spec
    if name in COMBINATORS:
        return [name, [with_quadrature_degree(child, deg) for child in arg]]
    if name == "ElementwiseNumerical":
        return [name, {**arg, "deg": int(deg)}]
    return [name, dict(arg)]
