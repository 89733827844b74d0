"""Convolutional / pooling architecture specs for the neural-tangents golden data.

Shared by ``make_nt_conv_golden.py`` (neural-tangents env) and ``tests/stax/test_nt_parity_conv.py``
(widenets env), so at module level it imports only the standard library, numpy and
``arch_specs`` (whose spec format and ``build`` it reuses unchanged: a layer is
``[LayerName, {kwargs}]``, a combinator ``["serial", [...]]`` / ``["parallel", [...]]``).
Tuple arguments (``filter_shape``, ``strides``, ``window_shape``, ``dimension_numbers``, ``s``,
``axis``) are JSON lists; both libraries receive them as lists.

A *case* is a dict ``{"name", "description", "input", "arch", "kernel_kwargs", "get"}``:

* ``input`` names one of ``INPUT_SHAPES`` (x1 has 4 examples, x2 has 3);
* ``kernel_kwargs`` are the keyword arguments of both calls ``kernel_fn(x1, None, get=get, **kw)``
  and ``kernel_fn(x1, x2, get=get, **kw)`` (``diagonal_spatial`` / ``diagonal_batch``; empty for
  most cases);
* ``get`` is ``["nngp", "ntk"]``, or ``["nngp", "ntk", "cov1"]`` for ``diagonal_batch=False``.

Hand-written cases are named ``c_*``; ``random_conv_architectures(n, seed)`` composes ``rc<seed>_*``
cases from the same building blocks while keeping neural-tangents' rules (an activation follows a
Gaussian layer, ``VALID`` windows no larger than the input, residual branches of equal shapes).
"""
from __future__ import annotations

import math

import numpy as np

import arch_specs
from arch_specs import COMBINATORS, REQUIRED_LAYERS, L, P, S, describe, layer_names  # noqa: F401
from arch_specs import _rand_activation

ACTIVATIONS = tuple(n for n in REQUIRED_LAYERS if n not in (
    "Dense", "Identity", "Flatten", "LayerNorm",
    "serial", "parallel", "FanOut", "FanInSum", "FanInProd", "FanInConcat"))

# Every name the conv parity data must exercise (the coverage test checks this list).
REQUIRED_CONV_LAYERS = (
    "Conv", "ConvTranspose", "ConvLocal",
    "AvgPool", "SumPool", "GlobalAvgPool", "GlobalSumPool",
    "Flatten", "Dense", "LayerNorm", "Identity",
) + ACTIVATIONS + ("serial", "parallel", "FanOut", "FanInSum", "FanInProd", "FanInConcat")

N1, N2 = 4, 3
# name -> per-example shape (x1 is (N1, *shape), x2 is (N2, *shape)); channels last unless *_nchw.
EXAMPLE_SHAPES = {
    "flat": (5,),
    "seq": (7, 3),
    "img": (6, 5, 3),
    "img_nchw": (3, 6, 5),       # = "img" transposed to NCHW (the same numbers)
    "seq_nch": (3, 7),           # = "seq" transposed to NCH
    "vol": (4, 3, 3, 2),
    "myrtle": (8, 8, 3),
    "tiny1d": (4, 2),            # cases that end spatially keep (N1, N2, H, H, ...) kernels: tiny
    "tiny2d": (3, 2, 2),
    "tiny2d_nchw": (2, 3, 2),    # = "tiny2d" transposed to NCHW
    "tiny3d": (2, 3, 2, 2),
}
INPUT_SHAPES = {k: ((N1,) + s, (N2,) + s) for k, s in EXAMPLE_SHAPES.items()}
INPUT_SEEDS = {"x1": 1, "x2": 2}
_TRANSPOSED = {"img_nchw": ("img", (0, 3, 1, 2)), "seq_nch": ("seq", (0, 2, 1)),
               "tiny2d_nchw": ("tiny2d", (0, 3, 1, 2))}

DEFAULT_GET = ("nngp", "ntk")


def make_inputs(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The fixed float64 inputs (x1, x2) of an input kind: standard normal entries drawn with
    ``numpy.random.default_rng([seed, *shape])``; channels-first kinds are transposes."""
    if kind in _TRANSPOSED:
        base, perm = _TRANSPOSED[kind]
        return tuple(np.ascontiguousarray(np.transpose(a, perm)) for a in make_inputs(base))
    s1, s2 = INPUT_SHAPES[kind]
    x1 = np.random.default_rng([INPUT_SEEDS["x1"], *s1]).standard_normal(s1)
    x2 = np.random.default_rng([INPUT_SEEDS["x2"], *s2]).standard_normal(s2)
    return x1, x2


# --------------------------------------------------------------------------------------------
# Layer shorthands
# --------------------------------------------------------------------------------------------

def _conv(kind, out_chan, filter_shape, strides=None, padding="VALID", W_std=1.0, b_std=None,
          param="ntk", dn=None, s=None):
    kw = {"out_chan": out_chan, "filter_shape": list(filter_shape)}
    if strides is not None:
        kw["strides"] = list(strides)
    kw.update(padding=padding, W_std=W_std, b_std=b_std, parameterization=param)
    if dn is not None:
        kw["dimension_numbers"] = list(dn)
    if s is not None:
        kw["s"] = list(s)
    return [kind, kw]


def C(*a, **k):
    return _conv("Conv", *a, **k)


def CT(*a, **k):
    return _conv("ConvTranspose", *a, **k)


def CL(*a, **k):
    return _conv("ConvLocal", *a, **k)


def D(out_dim, W_std=1.0, b_std=None, param="ntk", **kw):
    return L("Dense", out_dim=out_dim, W_std=W_std, b_std=b_std, parameterization=param, **kw)


def avg(window, strides=None, padding="VALID", normalize_edges=False, **kw):
    a = {"window_shape": list(window)}
    if strides is not None:
        a["strides"] = list(strides)
    a.update(padding=padding, normalize_edges=normalize_edges, **kw)
    return ["AvgPool", a]


def sump(window, strides=None, padding="VALID", **kw):
    a = {"window_shape": list(window)}
    if strides is not None:
        a["strides"] = list(strides)
    a.update(padding=padding, **kw)
    return ["SumPool", a]


NCHW = ("NCHW", "OIHW", "NCHW")
NCH = ("NCH", "OIH", "NCH")


# --------------------------------------------------------------------------------------------
# Hand-written cases
# --------------------------------------------------------------------------------------------

def hand_written_cases() -> list[dict]:
    """``c_*`` cases: every layer of ``REQUIRED_CONV_LAYERS`` with non-default arguments."""
    c = []

    def add(name, description, arch, input, kernel_kwargs=None, get=DEFAULT_GET):
        c.append({"name": f"c_{name}", "description": description, "input": input, "arch": arch,
                  "kernel_kwargs": dict(kernel_kwargs or {}), "get": list(get)})

    # --- Conv 1-D / 2-D / 3-D, paddings, strides, filters, parameterizations -------------------
    add("conv1d_same_valid_pool", "1-D: Conv SAME k3 > Relu > Conv VALID k2 stride 2 (no bias) > Erf > "
        "GAP > Dense",
        S(C(8, (3,), padding="SAME", W_std=1.4, b_std=0.1), L("Relu"),
          C(8, (2,), (2,), "VALID", 1.2, None), L("Erf", a=1.1, b=0.9, c=0.1),
          L("GlobalAvgPool"), D(2, 1.1, 0.05)), "seq")
    add("conv1d_circular_std", "1-D standard: Conv CIRCULAR k3 (fan-in 9) > Gelu > Conv 1x1 (fan-in 12) "
        "> Relu > Flatten > Dense",
        S(C(12, (3,), padding="CIRCULAR", W_std=1.3, b_std=0.2, param="standard"), L("Gelu"),
          C(5, (1,), W_std=1.1, b_std=0.3, param="standard"), L("Relu"),
          L("Flatten"), D(3, 0.9, 0.1, "standard")), "seq")
    add("conv1d_circular_stride2", "1-D: Conv CIRCULAR k3 stride 2 > Abs > SumPool k2 > Dense on "
        "channels > Flatten > Dense",
        S(C(6, (3,), (2,), "CIRCULAR", 1.5, 0.2), L("Abs"), sump((2,)), D(4, 1.2, 0.1),
          L("Flatten"), D(1)), "seq")
    add("conv2d_valid_same_pool", "2-D: Conv VALID (3,2) > Relu > Conv SAME (2,3) strides (1,2) > Abs > "
        "GAP > Dense",
        S(C(16, (3, 2), W_std=1.3, b_std=0.2), L("Relu"),
          C(16, (2, 3), (1, 2), "SAME", 1.1, 0.1), L("Abs"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")
    add("conv2d_same_stride2_flatten", "2-D: Conv SAME 3x3 strides (2,2) > Relu > Conv VALID 2x1 > Sin "
        "> Flatten > Dense",
        S(C(8, (3, 3), (2, 2), "SAME", 1.6, 0.1), L("Relu"), C(8, (2, 1), W_std=1.2, b_std=0.2),
          L("Sin", a=1.1, b=0.8, c=0.2), L("Flatten"), D(2, 1.0, 0.1)), "img")
    add("conv2d_circular_unequal", "2-D: Conv CIRCULAR (3,1) strides (2,1) > Erf > Conv CIRCULAR (1,3) "
        "strides (1,2) > Relu > GlobalSumPool > Dense",
        S(C(8, (3, 1), (2, 1), "CIRCULAR", 1.2, 0.3), L("Erf"),
          C(8, (1, 3), (1, 2), "CIRCULAR", 1.4, None), L("Relu"), L("GlobalSumPool"), D(1, 0.5, 0.1)), "img")
    add("conv2d_std_widths_s", "2-D standard, widths 7 -> 19, s=(1,2) -> (2,3) -> (3,1), VALID/SAME, GAP",
        S(C(7, (3, 3), padding="SAME", W_std=1.3, b_std=0.1, param="standard", s=(1, 2)), L("Relu"),
          C(19, (2, 2), W_std=1.1, b_std=0.2, param="standard", s=(2, 3)), L("LeakyRelu", alpha=0.1),
          L("GlobalAvgPool"), D(2, 1.2, 0.05, "standard", s=(3, 1))), "img")
    add("conv2d_std_nobias", "2-D standard, b_std=None everywhere, widths 4 -> 10, Flatten readout",
        S(C(4, (2, 2), padding="SAME", W_std=1.5, param="standard"), L("Relu"),
          C(10, (3, 2), (1, 2), "VALID", 1.2, None, "standard"), L("Gelu"),
          L("Flatten"), D(3, 1.0, None, "standard")), "img")
    add("conv2d_std_zero_bias", "2-D standard with b_std=0.0 and mixed NTK layers",
        S(C(6, (2, 3), padding="SAME", W_std=1.2, b_std=0.0, param="standard"), L("Relu"),
          C(9, (3, 3), padding="SAME", W_std=1.4, b_std=0.1, param="ntk"), L("Erf"),
          C(5, (1, 1), W_std=0.9, b_std=0.0, param="standard"), L("Relu"),
          L("GlobalAvgPool"), D(1, 1.0, 0.0, "standard")), "img")
    add("conv3d_same_valid", "3-D: Conv SAME (3,2,1) > Relu > Conv VALID (2,2,2) strides (2,1,1) > Erf "
        "> GAP > Dense",
        S(C(8, (3, 2, 1), padding="SAME", W_std=1.3, b_std=0.1), L("Relu"),
          C(8, (2, 2, 2), (2, 1, 1), "VALID", 1.1, 0.2), L("Erf", a=0.9),
          L("GlobalAvgPool"), D(1, 1.0, 0.1)), "vol")
    add("conv3d_circular_std_flatten", "3-D standard: Conv CIRCULAR (2,3,1) strides (1,2,1) > Gelu > "
        "Flatten > Dense",
        S(C(6, (2, 3, 1), (1, 2, 1), "CIRCULAR", 1.4, 0.2, "standard"), L("Gelu"),
          L("Flatten"), D(2, 1.1, 0.1, "standard")), "vol")

    # --- dimension_numbers ----------------------------------------------------------------------
    add("conv2d_nchw", "channels-first NCHW/OIHW/NCHW: Conv SAME (3,2) > Relu > Conv VALID (2,2) > Erf "
        "> GAP(channel_axis=1) > Dense",
        S(C(8, (3, 2), padding="SAME", W_std=1.3, b_std=0.1, dn=NCHW), L("Relu"),
          C(8, (2, 2), W_std=1.2, b_std=0.2, dn=NCHW), L("Erf"),
          L("GlobalAvgPool", channel_axis=1), D(1, 1.0, 0.1)), "img_nchw")
    add("conv2d_nchw_same_as_nhwc", "the NHWC twin of c_conv2d_nchw (same numbers, channels last)",
        S(C(8, (3, 2), padding="SAME", W_std=1.3, b_std=0.1), L("Relu"),
          C(8, (2, 2), W_std=1.2, b_std=0.2), L("Erf"),
          L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")
    add("conv2d_nchw_ln_pool_flatten", "NCHW standard: Conv > LayerNorm(axis=1, channel_axis=1) > Relu "
        "> AvgPool(channel_axis=1) > Flatten > Dense",
        S(C(6, (2, 3), (1, 2), "SAME", 1.4, 0.2, "standard", dn=NCHW),
          L("LayerNorm", axis=1, channel_axis=1), L("Relu"),
          avg((2, 2), (1, 1), "VALID", False, channel_axis=1), L("Flatten"), D(2, 1.0, 0.1, "standard")),
        "img_nchw")
    add("conv2d_nchw_sumpool_gsp", "NCHW: Conv CIRCULAR strides (2,1) > Gaussian > SumPool SAME "
        "(channel_axis=1) > Conv > Relu > GlobalSumPool(channel_axis=1) > Dense",
        S(C(8, (3, 3), (2, 1), "CIRCULAR", 1.2, 0.1, dn=NCHW), L("Gaussian", a=1.1, b=-0.5),
          sump((2, 2), (1, 1), "SAME", channel_axis=1), C(8, (1, 2), W_std=1.1, b_std=0.2, dn=NCHW),
          L("Relu"), L("GlobalSumPool", channel_axis=1), D(1, 0.3, 0.1)), "img_nchw")
    add("conv1d_nch", "1-D channels-first NCH/OIH/NCH: Conv SAME k3 stride 2 > Relu > "
        "Dense(channel_axis=1) > Erf > GlobalAvgPool(channel_axis=1) > Dense",
        S(C(8, (3,), (2,), "SAME", 1.3, 0.2, dn=NCH), L("Relu"),
          D(6, 1.2, 0.1, channel_axis=1), L("Erf"), L("GlobalAvgPool", channel_axis=1), D(1)), "seq_nch")
    add("conv2d_rhs_whio", "rhs spec WHIO (filter_shape / strides given in rhs order W, H): Conv (2,3) "
        "strides (1,2) SAME > Relu > Conv VALID > GAP",
        S(C(8, (2, 3), (1, 2), "SAME", 1.3, 0.1, dn=("NHWC", "WHIO", "NHWC")), L("Relu"),
          C(8, (1, 2), W_std=1.2, b_std=0.2, dn=("NHWC", "WHIO", "NHWC")), L("Erf"),
          L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")
    add("conv2d_rhs_ohwi_std", "rhs spec OHWI, standard: Conv VALID (3,2) > Relu > Flatten > Dense",
        S(C(7, (3, 2), (2, 1), "VALID", 1.4, 0.2, "standard", dn=("NHWC", "OHWI", "NHWC")), L("Relu"),
          L("Flatten"), D(2, 1.0, 0.1, "standard")), "img")
    add("conv2d_out_nchw", "out_spec differs from lhs_spec: NHWC -> (HWIO) -> NCHW, then channel_axis=1 "
        "layers",
        S(C(8, (3, 2), padding="SAME", W_std=1.3, b_std=0.1, dn=("NHWC", "HWIO", "NCHW")), L("Relu"),
          C(8, (2, 2), W_std=1.2, b_std=0.2, dn=NCHW), L("Erf"),
          L("GlobalAvgPool", channel_axis=1), D(1, 1.0, 0.1)), "img")
    add("conv2d_out_nwhc", "out_spec permutes the spatial axes: NHWC -> NWHC, then a default Conv, GAP",
        S(C(8, (3, 2), (2, 1), "SAME", 1.3, 0.1, dn=("NHWC", "HWIO", "NWHC")), L("Relu"),
          C(8, (2, 2), W_std=1.2, b_std=0.2), L("Erf"),
          L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")

    # --- ConvTranspose ----------------------------------------------------------------------------
    add("convT1d_same_s2", "1-D ConvTranspose SAME k3 stride 2 > Relu > GAP > Dense",
        S(CT(6, (3,), (2,), "SAME", 1.3, 0.1), L("Relu"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "seq")
    add("convT1d_valid_std", "1-D standard ConvTranspose VALID k2 > Erf > ConvTranspose VALID k3 stride "
        "2 > Relu > Flatten > Dense",
        S(CT(5, (2,), None, "VALID", 1.2, 0.2, "standard"), L("Erf"),
          CT(9, (3,), (2,), "VALID", 1.4, None, "standard"), L("Relu"), L("Flatten"), D(2, 1.0, 0.1, "standard")),
        "seq")
    add("convT1d_circular", "1-D ConvTranspose CIRCULAR k3 stride 1 > Relu > GAP > Dense",
        S(CT(6, (3,), None, "CIRCULAR", 1.3, 0.1), L("Relu"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "seq")
    add("convT2d_valid_s21", "2-D ConvTranspose VALID (2,3) strides (2,1) > Erf > Flatten > Dense",
        S(CT(8, (2, 3), (2, 1), "VALID", 1.2, 0.1), L("Erf", a=1.2, b=0.9, c=0.1), L("Flatten"), D(1)), "img")
    add("convT2d_same_std", "2-D standard ConvTranspose SAME (3,2) > Relu > Conv VALID 2x2 > Relu > GAP "
        "> Dense",
        S(CT(6, (3, 2), (1, 1), "SAME", 1.4, 0.2, "standard"), L("Relu"),
          C(7, (2, 2), W_std=1.1, b_std=0.1, param="standard"), L("Relu"),
          L("GlobalAvgPool"), D(1, 1.0, 0.1, "standard")), "img")
    add("convT2d_circular_s2", "2-D ConvTranspose CIRCULAR (2,2) strides (2,2) > Gelu > GAP > Dense",
        S(CT(6, (2, 2), (2, 2), "CIRCULAR", 1.3, 0.1), L("Gelu"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")

    # --- ConvLocal --------------------------------------------------------------------------------
    add("local1d_valid_same", "1-D ConvLocal VALID k3 > Relu > ConvLocal SAME k2 stride 2 > Erf > "
        "Flatten > Dense",
        S(CL(8, (3,), None, "VALID", 1.3, 0.2), L("Relu"), CL(8, (2,), (2,), "SAME", 1.1, 0.1),
          L("Erf"), L("Flatten"), D(1, 1.0, 0.1)), "seq")
    add("local2d_same_std", "2-D standard ConvLocal SAME (3,2) > Relu > ConvLocal VALID (2,2) strides "
        "(1,2) > Sin > Flatten > Dense",
        S(CL(6, (3, 2), None, "SAME", 1.4, 0.1, "standard"), L("Relu"),
          CL(9, (2, 2), (1, 2), "VALID", 1.2, None, "standard"), L("Sin"),
          L("Flatten"), D(2, 1.0, 0.1, "standard")), "img")
    add("local2d_circular_gap", "2-D ConvLocal CIRCULAR (3,3) strides (2,1) > Relu > GAP (needs the "
        "full spatial covariance) > Dense",
        S(CL(8, (3, 3), (2, 1), "CIRCULAR", 1.3, 0.2), L("Relu"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")
    add("local_then_conv_pool", "2-D ConvLocal SAME > Relu > Conv SAME > Relu > AvgPool > GAP > Dense",
        S(CL(6, (2, 2), None, "SAME", 1.3, 0.1), L("Relu"), C(6, (3, 2), padding="SAME", W_std=1.2, b_std=0.1),
          L("Relu"), avg((2, 2), (2, 2), "SAME", True), L("GlobalAvgPool"), D(1)), "img")

    # --- pooling --------------------------------------------------------------------------------
    for pad in ("SAME", "VALID", "CIRCULAR"):
        for ne in (True, False):
            add(f"avgpool_{pad.lower()}_{'norm' if ne else 'nonorm'}",
                f"2-D AvgPool {pad} window (3,2) strides (2,1), normalize_edges={ne}, between Convs",
                S(C(6, (2, 2), padding="SAME", W_std=1.3, b_std=0.1), L("Relu"),
                  avg((3, 2), (2, 1), pad, ne), C(6, (2, 1), padding="SAME", W_std=1.2, b_std=0.2),
                  L("Erf"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")
    add("avgpool1d_same_window_ne_stride", "1-D AvgPool SAME window 3 stride 2 (normalize_edges=True) "
        "then Flatten",
        S(C(6, (2,), padding="SAME", W_std=1.4, b_std=0.1), L("Relu"), avg((3,), (2,), "SAME", True),
          L("Flatten"), D(1)), "seq")
    add("avgpool3d_valid", "3-D AvgPool VALID window (2,2,1) default strides, then GAP",
        S(C(6, (2, 1, 2), padding="SAME", W_std=1.3, b_std=0.1), L("Abs"), avg((2, 2, 1)),
          L("GlobalAvgPool"), D(1)), "vol")
    add("sumpool1d_valid", "1-D SumPool VALID window 3 stride 2, then Flatten",
        S(C(6, (2,), padding="SAME", W_std=1.2, b_std=0.1), L("Relu"), sump((3,), (2,), "VALID"),
          L("Flatten"), D(1)), "seq")
    add("sumpool2d_same_circular", "2-D SumPool SAME (2,3) then SumPool CIRCULAR (2,2) strides (2,2), "
        "GlobalSumPool",
        S(C(6, (2, 2), padding="SAME", W_std=1.1, b_std=0.1), L("Relu"), sump((2, 3), (1, 1), "SAME"),
          C(6, (1, 1), W_std=0.8), L("Erf"), sump((2, 2), (2, 2), "CIRCULAR"),
          L("GlobalSumPool"), D(1, 0.5)), "img")
    add("globalsumpool3d", "3-D GlobalSumPool readout",
        S(C(6, (2, 2, 2), padding="CIRCULAR", W_std=1.2, b_std=0.1), L("Relu"),
          L("GlobalSumPool"), D(1, 0.4, 0.1)), "vol")

    # --- Dense on spatial channels, LayerNorm, Identity ------------------------------------------
    add("dense_spatial", "Dense on the channel axis of 2-D inputs, standard Dense inside, GAP",
        S(D(16, 1.5, 0.2), L("Relu"), C(8, (2, 2), padding="SAME", W_std=1.2, b_std=0.1), L("Relu"),
          D(12, 1.1, 0.3, "standard"), L("Gelu"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")
    add("dense_spatial_flatten_3d", "Dense on the channel axis of 3-D inputs with Flatten readout (standard)",
        S(D(8, 1.3, 0.1, "standard"), L("Erf"), C(6, (2, 2, 1), W_std=1.2, b_std=0.2, param="standard"),
          L("Relu"), L("Flatten"), D(2, 1.0, None, "standard")), "vol")
    add("layernorm_channel", "Conv > LayerNorm(axis=-1) > Relu > Conv > LayerNorm(axis=3, eps=0.1) > "
        "Erf > GAP",
        S(C(8, (3, 2), padding="SAME", W_std=1.5, b_std=0.3), L("LayerNorm", axis=-1), L("Relu"),
          C(8, (2, 2), W_std=1.1, b_std=0.1), L("LayerNorm", axis=3, eps=0.1), L("Erf"),
          L("GlobalAvgPool"), D(1)), "img")
    add("layernorm_spatial_channel", "Conv > LayerNorm(axis=(1,2,3)) > Relu > Conv > "
        "LayerNorm(axis=(2,3)) > Gelu > Flatten",
        S(C(8, (3, 2), padding="SAME", W_std=1.5, b_std=0.3), L("LayerNorm", axis=[1, 2, 3]), L("Relu"),
          C(8, (2, 2), W_std=1.1, b_std=0.1), L("LayerNorm", axis=[2, 3]), L("Gelu"),
          L("Flatten"), D(1)), "img")
    add("layernorm_1d_spatial_std", "1-D standard: Conv > LayerNorm(axis=(1,2), eps=1e-3) > Sin > GAP",
        S(C(6, (3,), padding="CIRCULAR", W_std=1.2, b_std=0.2, param="standard"),
          L("LayerNorm", axis=[1, 2], eps=1e-3), L("Sin", a=1.2), L("GlobalAvgPool"), D(1, 1.0, 0.1, "standard")),
        "seq")
    add("identity_spatial", "Identity at the input, after a Conv and after an activation, GAP",
        S(L("Identity"), C(8, (2, 2), padding="SAME", W_std=1.3, b_std=0.1), L("Identity"), L("Relu"),
          L("Identity"), L("GlobalAvgPool"), D(1)), "img")

    # --- every activation on a full spatial covariance (pooling readout) and a diagonal one -----
    acts = {
        "Relu": L("Relu", do_stabilize=True), "LeakyRelu": L("LeakyRelu", alpha=-0.2), "Abs": L("Abs"),
        "ABRelu": L("ABRelu", a=-0.3, b=1.2), "Erf": L("Erf", a=1.3, b=0.8, c=0.1),
        "Sigmoid_like": L("Sigmoid_like"), "Gelu": L("Gelu", approximate=True),
        "Sin": L("Sin", a=1.1, b=0.9, c=0.3), "Cos": L("Cos", a=0.8, b=1.2, c=-0.2),
        "Rbf": L("Rbf", gamma=0.7), "Exp": L("Exp", a=0.7, b=0.3), "Gaussian": L("Gaussian", a=1.2, b=-0.6),
        "Sign": L("Sign"), "Monomial": L("Monomial", degree=3), "RectifiedMonomial": L("RectifiedMonomial", degree=2),
        "Polynomial": L("Polynomial", coef=[0.1, -0.5, 0.3, 0.2]),
        "Elementwise": L("Elementwise", fn="sin", nngp_fn="sin"),
        "ElementwiseNumerical": L("ElementwiseNumerical", fn="sin_plus_linear", deg=25),
    }
    assert set(acts) == set(ACTIVATIONS)
    for i, (name, act) in enumerate(acts.items()):
        param = "standard" if i % 2 else "ntk"
        add(f"act_pool_{name.lower()}", f"1-D Conv > {describe(act)} > Conv > GAP > Dense ({param})",
            S(C(6, (3,), padding="SAME", W_std=1.3, b_std=0.2, param=param), act,
              C(5, (2,), W_std=1.1, b_std=0.1, param=param), L("GlobalAvgPool"), D(1, 1.0, 0.1, param)),
            "seq")
        add(f"act_flat_{name.lower()}", f"2-D Conv > {describe(act)} > Flatten > Dense ({param})",
            S(C(6, (2, 2), (1, 2), "SAME", 1.2, 0.1, param), act, L("Flatten"), D(1, 1.0, 0.1, param)), "img")

    # --- residual, product and concatenation blocks ---------------------------------------------
    add("resnet_identity", "Conv > FanOut(2) > parallel(Relu > Conv SAME, Identity) > FanInSum > Relu > "
        "GAP (branches differ in is_reversed)",
        S(C(8, (3, 2), padding="SAME", W_std=1.3, b_std=0.1), L("FanOut", num=2),
          P(S(L("Relu"), C(8, (3, 3), padding="SAME", W_std=1.2, b_std=0.2)), L("Identity")),
          L("FanInSum"), L("Relu"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")
    add("resnet_two_blocks_std", "two standard residual blocks (two-conv branch + Identity), LayerNorm, "
        "Flatten readout",
        S(C(6, (2, 2), padding="SAME", W_std=1.2, b_std=0.1, param="standard"), L("FanOut", num=2),
          P(S(L("Relu"), C(6, (3, 1), padding="SAME", W_std=1.3, param="standard"), L("Erf"),
              C(6, (1, 3), padding="CIRCULAR", W_std=1.1, b_std=0.2, param="standard")), L("Identity")),
          L("FanInSum"), L("LayerNorm", axis=[1, 2, 3]), L("Relu"),
          C(6, (2, 2), padding="SAME", W_std=1.2, b_std=0.1, param="standard"), L("FanOut", num=2),
          P(L("Identity"), S(L("Gelu"), C(6, (2, 2), padding="SAME", W_std=1.0, b_std=0.3, param="standard"))),
          L("FanInSum"), L("Relu"), L("Flatten"), D(1, 1.0, None, "standard")), "img")
    add("resnet_1x1_shortcut", "FanOut(2) > parallel(Conv stride 2 > Relu > Conv, Conv 1x1 stride 2) > "
        "FanInSum > Relu > GAP",
        S(C(6, (2, 2), padding="SAME", W_std=1.3, b_std=0.1), L("Relu"), L("FanOut", num=2),
          P(S(C(8, (3, 3), (2, 2), "SAME", 1.4, 0.1), L("Relu"), C(8, (3, 3), padding="SAME", W_std=1.2)),
            C(8, (1, 1), (2, 2), "SAME", 1.0, 0.2)),
          L("FanInSum"), L("Relu"), L("GlobalAvgPool"), D(1, 1.0, 0.1)), "img")
    add("resnet_1d_three_branches", "1-D FanOut(3) > parallel(Conv, Conv > Sin > Conv, Identity) > "
        "FanInSum > Cos > Flatten",
        S(C(6, (3,), padding="CIRCULAR", W_std=1.2, b_std=0.1), L("FanOut", num=3),
          P(C(6, (1,), W_std=0.8), S(L("Sin"), C(6, (3,), padding="SAME", W_std=1.1, b_std=0.2)), L("Identity")),
          L("FanInSum"), L("Cos", a=0.9), L("Flatten"), D(1)), "seq")
    add("faninprod_conv", "FanOut(2) > parallel(Conv > Relu, Conv > Erf) > FanInProd > Conv > Relu > GAP",
        S(L("FanOut", num=2), P(S(C(6, (2, 2), padding="SAME", W_std=1.3, b_std=0.1), L("Relu")),
                                S(C(6, (3, 2), padding="SAME", W_std=1.1, b_std=0.2), L("Erf"))),
          L("FanInProd"), C(6, (2, 2), W_std=1.2, b_std=0.1), L("Relu"), L("GlobalAvgPool"), D(1)), "img")
    add("faninprod_gaussian_1d", "1-D FanInProd of two Gaussian Conv branches, Flatten readout (standard)",
        S(C(6, (2,), padding="SAME", W_std=1.2, b_std=0.1, param="standard"), L("Relu"), L("FanOut", num=2),
          P(C(6, (3,), padding="SAME", W_std=1.1, param="standard"), C(6, (1,), W_std=0.9, b_std=0.2, param="standard")),
          L("FanInProd"), L("Flatten"), D(1, 1.0, 0.1, "standard")), "seq")
    add("concat_channel_std", "FanInConcat(axis=-1) of unequal channel widths 4 / 11 (standard, fan-in "
        "15), Conv, GAP",
        S(L("FanOut", num=2), P(S(C(4, (2, 2), padding="SAME", W_std=1.3, b_std=0.1, param="standard"), L("Relu")),
                                S(C(11, (3, 2), padding="SAME", W_std=1.1, b_std=0.2, param="standard"), L("Sin"))),
          L("FanInConcat", axis=-1), C(5, (2, 2), W_std=1.2, b_std=0.1, param="standard"), L("Relu"),
          L("GlobalAvgPool"), D(1, 1.0, 0.1, "standard")), "img")
    add("concat_channel_nchw", "NCHW FanInConcat(axis=1) of equal widths, Flatten",
        S(L("FanOut", num=2), P(S(C(6, (2, 2), padding="SAME", W_std=1.3, b_std=0.1, dn=NCHW), L("Relu")),
                                S(C(6, (1, 2), padding="SAME", W_std=1.1, b_std=0.2, dn=NCHW), L("Abs"))),
          L("FanInConcat", axis=1), C(5, (2, 2), W_std=1.2, b_std=0.1, dn=NCHW), L("Relu"),
          L("Flatten"), D(1)), "img_nchw")
    add("concat_spatial_h", "FanInConcat(axis=1) along H of two Gaussian Conv branches (6x5 and 5x5), "
        "Relu, GAP",
        S(C(6, (2, 2), padding="SAME", W_std=1.2, b_std=0.1), L("Relu"), L("FanOut", num=2),
          P(C(6, (3, 3), padding="SAME", W_std=1.3, b_std=0.1), C(6, (2, 1), W_std=1.1, b_std=0.2)),
          L("FanInConcat", axis=1), L("Relu"), L("GlobalAvgPool"), D(1)), "img")
    add("concat_spatial_w_flatten", "FanInConcat(axis=2) along W (5 + 4), Erf, Flatten",
        S(L("FanOut", num=2), P(C(6, (3, 3), padding="SAME", W_std=1.3, b_std=0.1), C(6, (1, 2), W_std=1.1)),
          L("FanInConcat", axis=2), L("Erf"), L("Flatten"), D(1)), "img")

    # --- Myrtle (Shankar et al. 2020, arXiv:2003.02237) on 8x8x3 --------------------------------
    def myrtle(groups, param):
        def block():
            return [C(16, (3, 3), padding="SAME", W_std=math.sqrt(2.0), b_std=0.0, param=param), L("Relu")]
        layers = block()
        for n in groups:
            for _ in range(n):
                layers += block()
            layers.append(avg((2, 2), (2, 2)))
        layers += [L("GlobalAvgPool"), L("Flatten"), D(1, 1.0, 0.0, param)]
        return S(*layers)

    add("myrtle5", "Myrtle-5 on 8x8x3: Conv3x3(W=sqrt2, b=0) > Relu, 3 groups [Conv>Relu] + AvgPool "
        "2x2/2, GAP, Flatten, Dense",
        myrtle((1, 1, 1), "ntk"), "myrtle")
    add("myrtle7_std", "Myrtle-7 on 8x8x3, standard parameterization (2 blocks a group)",
        myrtle((2, 2, 2), "standard"), "myrtle")

    # --- networks that end spatially ---------------------------------------------------------------
    end1 = S(C(4, (2, 1), padding="SAME", W_std=1.3, b_std=0.1))
    end2 = S(C(4, (2, 2), padding="SAME", W_std=1.3, b_std=0.1), L("Relu"),
             C(4, (1, 2), (2, 1), "CIRCULAR", 1.2, 0.2))
    end3 = S(C(4, (2, 2), padding="SAME", W_std=1.3, b_std=0.1, param="standard"), L("Erf"),
             avg((2, 1), (1, 1), "SAME", True), C(3, (2, 1), padding="VALID", W_std=1.1, b_std=0.2, param="standard"),
             L("Relu"), D(2, 1.2, 0.1, "standard"))
    add("end_conv1", "ends spatially after one Conv SAME (2,1) on 3x2 inputs (NT: is_reversed)", end1, "tiny2d")
    add("end_conv1_diag", "c_end_conv1 with diagonal_spatial=True", end1, "tiny2d", {"diagonal_spatial": True})
    add("end_conv2", "ends spatially: Conv SAME > Relu > Conv CIRCULAR strides (2,1)", end2, "tiny2d")
    add("end_conv2_diag", "c_end_conv2 with diagonal_spatial=True", end2, "tiny2d", {"diagonal_spatial": True})
    add("end_conv2_cov1", "c_end_conv2 with diagonal_batch=False, recording cov1 (N1, N1, ...)", end2, "tiny2d",
        {"diagonal_batch": False}, get=("nngp", "ntk", "cov1"))
    add("end_pool_dense_std", "ends spatially: standard Conv > Erf > AvgPool > Conv VALID > Relu > "
        "Dense on channels",
        end3, "tiny2d")
    add("end_pool_dense_std_diag", "c_end_pool_dense_std with diagonal_spatial=True", end3, "tiny2d",
        {"diagonal_spatial": True})
    end4 = S(C(4, (3,), padding="CIRCULAR", W_std=1.2, b_std=0.1), L("FanOut", num=2),
             P(S(L("Relu"), C(4, (2,), padding="SAME", W_std=1.3)), L("Identity")), L("FanInSum"),
             L("LayerNorm", axis=[1, 2]), L("Gelu"), CT(3, (2,), (2,), "SAME", 1.1, 0.2))
    add("end_1d_resnet_convT", "1-D ends spatially after a residual block, LayerNorm(spatial+channel), "
        "Gelu, ConvTranspose stride 2",
        end4, "tiny1d")
    add("end_1d_resnet_convT_diag", "c_end_1d_resnet_convT with diagonal_spatial=True", end4, "tiny1d",
        {"diagonal_spatial": True})
    end5 = S(CL(4, (2, 2), None, "SAME", 1.3, 0.1), L("Relu"), CL(3, (1, 2), None, "VALID", 1.2, 0.2))
    add("end_local", "ends spatially after two ConvLocal layers", end5, "tiny2d")
    add("end_local_diag", "c_end_local with diagonal_spatial=True", end5, "tiny2d", {"diagonal_spatial": True})
    end6 = S(C(4, (2, 1), padding="SAME", W_std=1.3, b_std=0.1, dn=("NHWC", "HWIO", "NWHC")), L("Relu"),
             C(3, (1, 1), W_std=1.1, b_std=0.1))
    add("end_out_nwhc", "ends spatially after an out_spec NWHC Conv (output spatial order W, H)", end6, "tiny2d")
    end7 = S(C(4, (2, 1), padding="SAME", W_std=1.3, b_std=0.1, dn=NCHW), L("Relu"),
             C(3, (1, 2), padding="CIRCULAR", W_std=1.1, b_std=0.1, dn=NCHW), L("Erf"),
             sump((2, 1), (1, 1), "SAME", channel_axis=1))
    add("end_nchw_cov1", "NCHW ends spatially after SumPool, diagonal_batch=False recording cov1", end7, "tiny2d_nchw",
        {"diagonal_batch": False}, get=("nngp", "ntk", "cov1"))
    add("end_nchw_pool_diag", "c_end_nchw_cov1 (ending in SumPool) with diagonal_spatial=True", end7, "tiny2d_nchw",
        {"diagonal_spatial": True})
    end8 = S(C(4, (2, 1), padding="SAME", W_std=1.3, b_std=0.1), L("Relu"),
             C(4, (1, 2), padding="CIRCULAR", W_std=1.2, b_std=0.2, param="standard"), L("Erf"),
             C(3, (2, 2), padding="SAME", W_std=1.1, b_std=None))
    add("end_conv3_cov1", "ends spatially after three Convs (NT: is_reversed), diagonal_batch=False "
        "recording cov1",
        end8, "tiny2d", {"diagonal_batch": False}, get=("nngp", "ntk", "cov1"))
    end9 = S(C(4, (2, 2, 1), padding="SAME", W_std=1.3, b_std=0.1), L("Relu"),
             C(4, (1, 2, 2), (1, 2, 1), "CIRCULAR", 1.2, 0.1), L("Abs"), CT(3, (1, 2, 2), None, "VALID", 1.2, 0.2))
    add("end_3d_convT", "3-D ends spatially after Conv > Relu > Conv > Abs > ConvTranspose VALID (NT: "
        "is_reversed)",
        end9, "tiny3d")
    add("end_3d_convT_diag", "c_end_3d_convT with diagonal_spatial=True", end9, "tiny3d", {"diagonal_spatial": True})

    # --- fully connected, NT's 'NC' layout -------------------------------------------------------
    add("fc_nc", "Dense(channel_axis=1) > Relu > Dense(channel_axis=1) on (N, C) inputs",
        S(D(16, 1.4, 0.1, channel_axis=1), L("Relu"), D(1, 1.0, 0.1, channel_axis=1)), "flat")
    add("fc_nc_std_ln", "standard Dense(channel_axis=1) > LayerNorm(axis=1, channel_axis=1) > Erf > "
        "Dense(channel_axis=1)",
        S(D(12, 1.3, 0.2, "standard", channel_axis=1), L("LayerNorm", axis=1, channel_axis=1), L("Erf"),
          D(2, 1.1, None, "standard", channel_axis=1)), "flat")
    add("fc_nc_concat", "FanInConcat(axis=1) of Dense(channel_axis=1) branches 6 / 9, standard readout",
        S(L("FanOut", num=2), P(S(D(6, 1.2, 0.2, "standard", channel_axis=1), L("Relu")),
                                S(D(9, 1.1, None, "standard", channel_axis=1), L("Abs"))),
          L("FanInConcat", axis=1), D(3, 1.0, 0.1, "standard", channel_axis=1)), "flat")
    add("fc_nc_batch_axis", "Dense(batch_axis=0, channel_axis=1) > Gelu > Dense(batch_axis=0, "
        "channel_axis=-1)",
        S(D(10, 1.5, 0.3, batch_axis=0, channel_axis=1), L("Gelu"), D(1, 0.9, 0.1, batch_axis=0, channel_axis=-1)),
        "flat")
    return c


# --------------------------------------------------------------------------------------------
# Random architectures
# --------------------------------------------------------------------------------------------

_RANDOM_INPUTS = ("seq", "img", "vol", "seq_nch", "img_nchw")
_MAX_POSITIONS = 40  # cap on the number of spatial positions, so full spatial kernels stay small


def _out_size(n, f, s, padding, transpose):
    if transpose:
        return n * s if padding in ("SAME", "CIRCULAR") else n * s + max(f - s, 0)
    return -(-n // s) if padding in ("SAME", "CIRCULAR") else -(-(n - f + 1) // s)


def random_conv_architectures(n: int = 64, seed: int = 0) -> list[dict]:
    """``n`` randomly composed convolutional architectures following neural-tangents' rules.

    Each case: a random input (1-D / 2-D / 3-D, channels last or first), 1-4 random blocks --
    [Conv | ConvLocal | ConvTranspose] [> LayerNorm] > activation; pooling (AvgPool / SumPool);
    residual (pre-Conv > FanOut(2) > parallel(activation > Conv SAME, Identity | 1x1 Conv) >
    FanInSum > activation); FanInConcat along channels or FanInProd of two [Conv > activation]
    branches -- then a Flatten or global-pooling readout (optionally after a Dense on the
    channels) and a Dense.  Spatial sizes are tracked so that VALID windows fit and the number of
    positions stays at most ``_MAX_POSITIONS``.
    """
    rng = np.random.default_rng(seed)
    u = lambda lo, hi: round(float(rng.uniform(lo, hi)), 4)  # noqa: E731
    cases = []
    for i in range(n):
        kind = _RANDOM_INPUTS[int(rng.integers(len(_RANDOM_INPUTS)))]
        ex = EXAMPLE_SHAPES[kind]
        first = kind.endswith(("_nch", "_nchw"))
        size = list(ex[1:] if first else ex[:-1])
        nd = len(size)
        dn = None
        if first:
            sp = "HWD"[:nd] if nd < 3 else "DHW"
            dn = ("NC" + sp, "OI" + sp, "NC" + sp)
        cax = 1 if first else -1
        caxkw = {"channel_axis": 1} if first else {}

        def conv(kind_, chan, allow_stride=True, padding=None, filt=None, transpose_ok=True):
            pad = padding or ["SAME", "VALID", "CIRCULAR"][int(rng.integers(3))]
            f = list(filt) if filt is not None else [
                int(rng.integers(1, 1 + min(3, size[a] if pad == "VALID" else 3))) for a in range(nd)]
            st = [2 if allow_stride and rng.random() < 0.25 and size[a] >= 3 else 1 for a in range(nd)]
            if kind_ == "ConvTranspose":
                if int(np.prod(size)) * int(np.prod(st)) > _MAX_POSITIONS:
                    st = [1] * nd
                if pad == "VALID":
                    f = [min(x, 2) for x in f]
            param = "standard" if rng.random() < 0.5 else "ntk"
            b = None if rng.random() < 0.3 else u(0.0, 0.4)
            spec = _conv(kind_, chan, f, st if any(x != 1 for x in st) else None, pad, u(0.8, 1.8), b, param, dn)
            if param == "standard" and rng.random() < 0.2:
                spec[1]["s"] = [1, 1]
            for a in range(nd):
                size[a] = _out_size(size[a], f[a], st[a], pad, kind_ == "ConvTranspose")
            return spec

        def act():
            # ElementwiseNumerical costs deg^2 per kernel entry: only on 1-D inputs here
            while True:
                a = _rand_activation(rng)
                if a[0] != "ElementwiseNumerical" or nd == 1:
                    return a

        def rand_chan():
            return int(rng.choice([3, 5, 8, 16]))

        def pick_conv_kind():
            r = rng.random()
            if r < 0.15 and int(np.prod([x + 1 for x in size])) <= _MAX_POSITIONS + 8:
                return "ConvTranspose"
            if r < 0.3:
                return "ConvLocal"
            return "Conv"

        layers = []
        if rng.random() < 0.1:
            layers.append(L("Identity"))
        depth = int(rng.integers(1, 5))
        for _ in range(depth):
            r = rng.random()
            if r < 0.5:  # conv block
                layers.append(conv(pick_conv_kind(), rand_chan()))
                if rng.random() < 0.15:
                    ax = [cax % (nd + 2)] if rng.random() < 0.5 else list(range(1, nd + 2))
                    layers.append(L("LayerNorm", axis=ax, eps=float(rng.choice([1e-12, 1e-3])), **caxkw))
                layers.append(act())
            elif r < 0.65:  # pooling after a conv block
                layers.append(conv("Conv", rand_chan()))
                layers.append(act())
                pad = ["SAME", "VALID", "CIRCULAR"][int(rng.integers(3))]
                w = [int(rng.integers(1, 1 + min(3, size[a]))) for a in range(nd)]
                st = [int(rng.integers(1, 1 + min(2, size[a]))) for a in range(nd)]
                if rng.random() < 0.7:
                    layers.append(avg(w, st, pad, bool(rng.random() < 0.5), **caxkw))
                else:
                    layers.append(sump(w, st, pad, **caxkw))
                for a in range(nd):
                    size[a] = _out_size(size[a], w[a], st[a], pad, False)
            elif r < 0.85:  # residual block
                chan = rand_chan()
                pre = conv("Conv", chan)
                layers.append(pre)
                pad = ["SAME", "CIRCULAR"][int(rng.integers(2))]
                branch = S(act(), conv("Conv", chan, allow_stride=False, padding=pad))
                short = L("Identity") if rng.random() < 0.6 else conv("Conv", chan, allow_stride=False,
                                                                      padding="VALID", filt=[1] * nd)
                layers += [L("FanOut", num=2), P(branch, short), L("FanInSum")]
                if rng.random() < 0.2:
                    layers.append(L("LayerNorm", axis=list(range(1, nd + 2)), **caxkw))
                layers.append(act())
            else:  # concat along channels or product of two branches
                saved = list(size)
                pad = ["SAME", "CIRCULAR"][int(rng.integers(2))]
                prod = rng.random() < 0.4
                chans = (rand_chan(),) * 2 if prod else (rand_chan(), rand_chan())
                brs = []
                for ch in chans:
                    size[:] = saved
                    brs.append(S(conv("Conv", ch, allow_stride=False, padding=pad), act()))
                layers += [L("FanOut", num=2), P(*brs), L("FanInProd") if prod else L("FanInConcat", axis=cax)]
        if rng.random() < 0.25:
            layers += [D(rand_chan(), u(0.8, 1.6), None if rng.random() < 0.3 else u(0.0, 0.4),
                         "standard" if rng.random() < 0.5 else "ntk", **caxkw), act()]
        r = rng.random()
        if r < 0.4:
            layers.append(L("Flatten"))
        elif r < 0.8:
            layers.append(L("GlobalAvgPool", **caxkw))
        else:
            layers.append(L("GlobalSumPool", **caxkw))
        layers.append(D(int(rng.choice([1, 2, 3])), u(0.5, 1.5), None if rng.random() < 0.3 else u(0.0, 0.3),
                        "standard" if rng.random() < 0.5 else "ntk"))
        arch = S(*layers)
        cases.append({"name": f"rc{seed}_{i:03d}", "description": describe(arch), "input": kind, "arch": arch,
                      "kernel_kwargs": {}, "get": list(DEFAULT_GET)})
    return cases


def all_cases(n_random: int = 64, seed: int = 7) -> list[dict]:
    """The hand-written cases followed by the random ones (what the golden data holds)."""
    return hand_written_cases() + random_conv_architectures(n_random, seed)


_TUPLE_KWARGS = ("filter_shape", "strides", "window_shape", "dimension_numbers", "s", "axis")


def as_tuples(spec):
    """A copy of an architecture whose tuple-valued arguments (JSON lists) are tuples again.

    neural-tangents 0.6.5 documents these arguments as sequences, but its pooling layers fail on
    lists (``list + tuple``), so both libraries receive tuples, as a user would pass them.
    """
    if isinstance(spec, dict):
        return {**spec, "arch": as_tuples(spec["arch"])}
    name, arg = spec
    if name in COMBINATORS:
        return [name, [as_tuples(child) for child in arg]]
    return [name, {k: (tuple(v) if k in _TUPLE_KWARGS and isinstance(v, list) else v)
                   for k, v in arg.items()}]


def build(stax_module, jnp_module, spec):
    """``arch_specs.build`` of ``as_tuples(spec)``: the one builder used with both libraries."""
    return arch_specs.build(stax_module, jnp_module, as_tuples(spec))


def array_key(case_name: str, quantity: str, call: str) -> str:
    """npz key of one golden array: ``<case>__<quantity>_<call>`` with call '11' or '12'."""
    return f"{case_name}__{quantity}_{call}"
