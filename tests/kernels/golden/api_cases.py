"""Calls of the neural-tangents top-level API (`batch`, `empirical_kernel_fn`,
`monte_carlo_kernel_fn`, `empirical_ntk_vp_fn`, `NtkImplementation`) shared by the golden
script `make_nt_api_golden.py` (NT env) and `tests/kernels/test_nt_api_parity.py` (widenets).

Importable in both environments: only numpy and the standard library at module level; the
library (``nt``: `neural_tangents` or `widenets`), its ``stax`` and ``jnp`` are passed in.
`run_cases` makes every call and returns ``(arrays, kinds)``: the outputs flattened to
arrays (``<case>`` for an array, ``<case>.<field>`` for a namedtuple field or a Kernel
field, ``<case>[i]`` for a tuple or generator entry) and the kind of each output
(``array``, ``namedtuple:<type name>``, ``Kernel``, ``generator``), so that comparing them
checks values *and* return conventions.

Inputs have 6 and 4 rows and blocks 2 rows, because neural-tangents' `batch` needs N1 and
N2 to be multiples of the block size (widenets' ragged blocks are tested against the
unbatched call in `tests/kernels/test_batching.py`).
"""
from __future__ import annotations

import inspect
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import empirical_specs as specs  # noqa: E402

sys.path.pop(0)

SEED = 20261202
N1, N2, D_IN, K = 6, 4, specs.D_IN, specs.K
BLOCK = 2
#: [layer name, positional args, keyword args]; FIRST then SECOND is the whole network
FIRST = [["Dense", [8], {"W_std": 1.5, "b_std": 0.1}], ["Erf", [], {}]]
SECOND = [["Dense", [8], {"W_std": 1.2, "b_std": 0.2}], ["Relu", [], {}],
          ["Dense", [3], {"W_std": 1.0, "b_std": 0.05}]]
#: the functions whose signatures are compared (parameter names, order, kinds and defaults)
SIGNATURES = ("batch", "empirical_kernel_fn", "empirical_nngp_fn", "empirical_ntk_fn",
              "empirical_ntk_vp_fn", "monte_carlo_kernel_fn", "linearize", "taylor_expand")


def make_inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return {
        "x1": rng.standard_normal((N1, D_IN)),
        "x2": rng.standard_normal((N2, D_IN)),
        "v1": rng.standard_normal((N1, K)),
        "v2": rng.standard_normal((N2, K)),
        "v2_2x3": rng.standard_normal((N2, 2, 3)),
    }


def build(stax, layers):
    return stax.serial(*(getattr(stax, n)(*a, **kw) for n, a, kw in layers))


def _is_kernel(out) -> bool:
    return all(hasattr(out, f) for f in ("nngp", "ntk", "cov1", "cov2")) and not hasattr(out, "_fields")


def flatten(prefix: str, out, arrays: dict, kinds: dict) -> None:
    if hasattr(out, "_fields"):
        kinds[prefix] = f"namedtuple:{type(out).__name__}"
        for f in out._fields:
            arrays[f"{prefix}.{f}"] = np.asarray(getattr(out, f))
    elif _is_kernel(out):
        kinds[prefix] = "Kernel"
        for f in ("nngp", "ntk", "cov1", "cov2"):
            if getattr(out, f) is not None:
                arrays[f"{prefix}.{f}"] = np.asarray(getattr(out, f))
        for f in ("shape1", "shape2"):
            if isinstance(getattr(out, f, None), tuple):
                arrays[f"{prefix}.{f}"] = np.asarray(getattr(out, f))
    elif inspect.isgenerator(out):
        kinds[prefix] = "generator"
        for i, o in enumerate(out):
            flatten(f"{prefix}[{i}]", o, arrays, kinds)
    else:
        kinds[prefix] = "array"
        arrays[prefix] = np.asarray(out)


def signature(fn) -> list:
    """Positional-or-keyword parameters of ``fn``: [name, kind, default] with enum defaults as
    ints and other defaults by repr ('<empty>' for none)."""
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind == p.KEYWORD_ONLY:
            continue  # widenets' extensions are keyword-only
        d = p.default
        d = "<empty>" if d is p.empty else int(d) if hasattr(d, "name") and hasattr(d, "value") else repr(d)
        out.append([p.name, p.kind.name, d])
    return out


def run_cases(nt, stax, jnp, data) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    import jax

    arrays: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    a = lambda name: jnp.asarray(data[name])  # noqa: E731
    x1, x2 = a("x1"), a("x2")
    put = lambda case, out: flatten(case, out, arrays, kinds)  # noqa: E731

    # batch of an analytic stax kernel_fn, on inputs
    _, _, kernel_fn = build(stax, FIRST + SECOND)
    batched = nt.batch(kernel_fn, BLOCK)
    put("batch__stax__cross__none", batched(x1, x2))
    put("batch__stax__gram__none", batched(x1, None))
    put("batch__stax__cross__ntk", batched(x1, x2, "ntk"))
    put("batch__stax__gram__pair", nt.batch(kernel_fn, 3)(x1, None, ("ntk", "nngp")))
    put("batch__stax__device0", nt.batch(kernel_fn, BLOCK, 0)(x1, x2, "nngp"))
    # batch of a stax kernel_fn applied to an input Kernel
    _, _, first = build(stax, FIRST)
    _, _, second = build(stax, SECOND)
    k_gram, k_cross = first(x1, None), first(x1, x2)
    put("batch__kernel_in__gram", nt.batch(second, BLOCK)(k_gram))
    put("batch__kernel_in__cross", nt.batch(second, BLOCK)(k_cross))
    put("batch__kernel_in__get", nt.batch(second, BLOCK)(k_gram, get="nngp"))

    # empirical kernels: return conventions, and batched
    f = specs.mlp(jnp)
    params = {"layers": [{k: None if v is None else jnp.asarray(v) for k, v in layer.items()}
                         for layer in specs.make_params()["layers"]],
              "scale": jnp.asarray(specs.make_params()["scale"])}
    ek = jax.jit(nt.empirical_kernel_fn(f), static_argnums=2)  # jit: eager Jacobians are slow
    put("emp__get_none", ek(x1, x2, None, params))
    put("emp__get_tuple", ek(x1, None, ("ntk", "nngp"), params))
    put("emp__get_str_upper", ek(x1, x2, "NTK", params))
    untraced = nt.empirical_kernel_fn(f, (), (), 0)
    put("batch__emp__gram__untraced", nt.batch(untraced, BLOCK)(x1, None, None, params))
    diag = nt.empirical_kernel_fn(f, (), (-1,), None, nt.NtkImplementation.NTK_VECTOR_PRODUCTS)
    put("batch__emp__cross__diag", nt.batch(diag, BLOCK)(x1, x2, ("ntk",), params))
    put("batch__emp__host", nt.batch(nt.empirical_ntk_fn(f), BLOCK, -1, False)(x1, None, params))

    # Monte Carlo over networks that all have the fixed parameters: the estimate is the
    # kernel of that one network, whatever the random stream, so the libraries must agree
    def init_fn(key, input_shape):
        return (input_shape[0], K), params

    def apply_fn(p, x, **kwargs):  # neural-tangents passes an `rng` keyword
        return f(p, x)

    key = nt_key(nt)
    put("mc__none", nt.monte_carlo_kernel_fn(init_fn, apply_fn, key, 3)(x1, x2))
    put("mc__nngp_blocks", nt.monte_carlo_kernel_fn(init_fn, apply_fn, key, 3, BLOCK)(x1, None, "nngp"))
    put("mc__tuple_untraced_diag",
        nt.monte_carlo_kernel_fn(init_fn, apply_fn, key, 2, BLOCK, -1, True, (), (-1,), 0, 1)(
            x1, x2, ("ntk", "nngp")))
    put("mc__generator", nt.monte_carlo_kernel_fn(init_fn, apply_fn, key, [1, 3])(x1, x2))
    put("mc__ntk_vp_vmap",
        nt.monte_carlo_kernel_fn(init_fn, apply_fn, key, 2, implementation=2, vmap_axes=0)(
            x1, None, "ntk"))

    # NTK-vector products
    put("vp__cross", jax.jit(nt.empirical_ntk_vp_fn(f, x1, x2, params))(a("v2")))
    put("vp__gram", jax.jit(nt.empirical_ntk_vp_fn(f, x1, None, params))(a("v1")))
    put("vp__2x3", jax.jit(nt.empirical_ntk_vp_fn(specs.mlp_2x3(jnp), x1, x2, params))(a("v2_2x3")))
    return arrays, kinds


def nt_key(nt):
    """A legacy uint32 key (neural-tangents 0.6.5 takes ``PRNGKey``; widenets takes both)."""
    import jax

    return jax.random.PRNGKey(3)


def api_facts(nt) -> dict:
    """The enum's members and the signatures of `SIGNATURES`."""
    return {
        "NtkImplementation": {m.name: int(m.value) for m in nt.NtkImplementation},
        "signatures": {name: signature(getattr(nt, name)) for name in SIGNATURES},
    }
