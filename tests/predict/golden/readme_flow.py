"""neural-tangents 0.6.5's README examples ("5-Minute intro", "Infinitely WideResnet",
"Weight space", "Function space"), written once and run with either library.

Shared by the golden script `make_nt_readme_golden.py` (NT env) and
`tests/predict/test_nt_readme_flow.py` (widenets). The README's statements are kept as they
are; the only adaptation is the import: ``nt``, its ``stax``, ``jax.numpy`` and
``jax.random`` are passed in. (The README's very first snippet builds a network with
``jax.example_libraries.stax``, not with neural-tangents, so it is not here.)

`run_flow` returns ``(arrays, kinds)``: every value the README computes, flattened to float64
arrays (``<name>`` for an array, ``<name>.<field>`` for a namedtuple or Kernel field), plus
the max |difference| behind each ``a == b  # True`` line of the README
(``eq__<name>``), the parameter shapes and output shapes of the WideResnet; and the kind of
each result (``array``, ``namedtuple:<type name>``, ``Kernel``), so that comparing them checks
values *and* return conventions. Imports only numpy and the standard library at module level.
"""
from __future__ import annotations

import numpy as np


def _kind(out) -> str:
    if hasattr(out, "_fields"):
        return f"namedtuple:{type(out).__name__}"
    if all(hasattr(out, f) for f in ("nngp", "ntk", "cov1", "cov2")):
        return "Kernel"
    return "array"


def _put(arrays: dict, kinds: dict, name: str, out) -> None:
    kinds[name] = _kind(out)
    if kinds[name] == "array":
        arrays[name] = np.asarray(out, np.float64)
        return
    fields = out._fields if hasattr(out, "_fields") else ("nngp", "ntk", "cov1", "cov2")
    for f in fields:
        if getattr(out, f) is not None:
            arrays[f"{name}.{f}"] = np.asarray(getattr(out, f), np.float64)


def _max_diff(a, b) -> np.ndarray:
    return np.asarray(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def intro(nt, stax, jnp, random, arrays, kinds) -> None:
    """README, "5-Minute intro": analytic kernels and infinite-ensemble predictions."""
    init_fn, apply_fn, kernel_fn = stax.serial(
        stax.Dense(512), stax.Relu(),
        stax.Dense(512), stax.Relu(),
        stax.Dense(1)
    )

    key1, key2 = random.split(random.PRNGKey(1))
    x1 = random.normal(key1, (10, 100))
    x2 = random.normal(key2, (20, 100))

    kernel = kernel_fn(x1, x2, 'nngp')
    _put(arrays, kinds, "x1", x1)
    _put(arrays, kinds, "x2", x2)
    _put(arrays, kinds, "kernel_nngp", kernel)

    # Get kernel of a single type
    nngp = kernel_fn(x1, x2, 'nngp')  # (10, 20) jnp.ndarray
    ntk = kernel_fn(x1, x2, 'ntk')  # (10, 20) jnp.ndarray

    # Get kernels as a namedtuple
    both = kernel_fn(x1, x2, ('nngp', 'ntk'))
    arrays["eq__kernel_both_nngp"] = _max_diff(both.nngp, nngp)  # README: True
    arrays["eq__kernel_both_ntk"] = _max_diff(both.ntk, ntk)  # README: True
    _put(arrays, kinds, "kernel_ntk", ntk)
    _put(arrays, kinds, "kernel_both", both)

    # Unpack the kernels namedtuple
    nngp, ntk = kernel_fn(x1, x2, ('nngp', 'ntk'))
    arrays["eq__kernel_unpacked_nngp"] = _max_diff(both.nngp, nngp)

    kernel = kernel_fn(x1, x2)
    _put(arrays, kinds, "kernel_full", kernel)
    kernel = kernel_fn(kernel)
    _put(arrays, kinds, "kernel_composed", kernel)

    x_train, x_test = x1, x2
    y_train = random.uniform(key1, shape=(10, 1))  # training targets
    _put(arrays, kinds, "y_train", y_train)

    predict_fn = nt.predict.gradient_descent_mse_ensemble(kernel_fn, x_train,
                                                          y_train)

    y_test_nngp = predict_fn(x_test=x_test, get='nngp')
    y_test_ntk = predict_fn(x_test=x_test, get='ntk')
    _put(arrays, kinds, "y_test_nngp", y_test_nngp)
    _put(arrays, kinds, "y_test_ntk", y_test_ntk)

    # Get predictions as a namedtuple
    both = predict_fn(x_test=x_test, get=('nngp', 'ntk'))
    arrays["eq__predict_both_nngp"] = _max_diff(both.nngp, y_test_nngp)  # README: True
    arrays["eq__predict_both_ntk"] = _max_diff(both.ntk, y_test_ntk)  # README: True
    _put(arrays, kinds, "predict_both", both)

    # Unpack the predictions namedtuple
    y_test_nngp, y_test_ntk = predict_fn(x_test=x_test, get=('nngp', 'ntk'))
    arrays["eq__predict_unpacked_ntk"] = _max_diff(both.ntk, y_test_ntk)


def wide_resnet(nt, stax, jnp, random, arrays, kinds) -> None:
    """README, "Infinitely WideResnet": the definitions verbatim, then (not in the README)
    only shapes, by `jax.eval_shape`, so that nothing of the 28-layer network is computed."""
    import jax

    def WideResnetBlock(channels, strides=(1, 1), channel_mismatch=False):
        Main = stax.serial(
            stax.Relu(), stax.Conv(channels, (3, 3), strides, padding='SAME'),
            stax.Relu(), stax.Conv(channels, (3, 3), padding='SAME'))
        Shortcut = stax.Identity() if not channel_mismatch else stax.Conv(
            channels, (3, 3), strides, padding='SAME')
        return stax.serial(stax.FanOut(2),
                           stax.parallel(Main, Shortcut),
                           stax.FanInSum())

    def WideResnetGroup(n, channels, strides=(1, 1)):
        blocks = []
        blocks += [WideResnetBlock(channels, strides, channel_mismatch=True)]
        for _ in range(n - 1):
            blocks += [WideResnetBlock(channels, (1, 1))]
        return stax.serial(*blocks)

    def WideResnet(block_size, k, num_classes):
        return stax.serial(
            stax.Conv(16, (3, 3), padding='SAME'),
            WideResnetGroup(block_size, int(16 * k)),
            WideResnetGroup(block_size, int(32 * k), (2, 2)),
            WideResnetGroup(block_size, int(64 * k), (2, 2)),
            stax.AvgPool((8, 8)),
            stax.Flatten(),
            stax.Dense(num_classes, 1., 0.))

    init_fn, apply_fn, kernel_fn = WideResnet(block_size=4, k=1, num_classes=10)

    shape = (2, 32, 32, 3)
    params = jax.eval_shape(lambda key: init_fn(key, shape)[1], random.PRNGKey(0))
    x = jax.ShapeDtypeStruct(shape, jnp.float64)
    arrays["wrn.param_shapes"] = np.asarray([d for p in jax.tree.leaves(params) for d in (-1,) + p.shape])
    arrays["wrn.output_shape"] = np.asarray(jax.eval_shape(apply_fn, params, x).shape)
    arrays["wrn.ntk_shape"] = np.asarray(jax.eval_shape(lambda a: kernel_fn(a, None, 'ntk'), x).shape)


def weight_space(nt, stax, jnp, random, arrays, kinds) -> None:
    """README, "Training dynamics of wide but finite networks", "Weight space": `linearize`."""
    def apply_fn(params, x):
        W, b = params
        return jnp.dot(x, W) + b

    W_0 = jnp.array([[1., 0.], [0., 1.]])
    b_0 = jnp.zeros((2,))

    apply_fn_lin = nt.linearize(apply_fn, (W_0, b_0))
    W = jnp.array([[1.5, 0.2], [0.1, 0.9]])
    b = b_0 + 0.2

    x = jnp.array([[0.3, 0.2], [0.4, 0.5], [1.2, 0.2]])
    logits = apply_fn_lin((W, b), x)  # (3, 2) jnp.ndarray
    _put(arrays, kinds, "lin_logits", logits)


def function_space(nt, stax, jnp, random, arrays, kinds) -> None:
    """README, "Function space": empirical NTK into `predict.gradient_descent_mse`."""
    def apply_fn(params, x):
        W, b = params
        return jnp.dot(x, W) + b

    W_0 = jnp.array([[1., 0.], [0., 1.]])
    b_0 = jnp.zeros((2,))
    params = (W_0, b_0)

    key1, key2 = random.split(random.PRNGKey(1), 2)
    x_train = random.normal(key1, (3, 2))
    x_test = random.normal(key2, (4, 2))
    y_train = random.uniform(key1, shape=(3, 2))

    kernel_fn = nt.empirical_kernel_fn(apply_fn)
    ntk_train_train = kernel_fn(x_train, None, 'ntk', params)
    ntk_test_train = kernel_fn(x_test, x_train, 'ntk', params)
    mse_predictor = nt.predict.gradient_descent_mse(ntk_train_train, y_train)

    t = 5.
    y_train_0 = apply_fn(params, x_train)
    y_test_0 = apply_fn(params, x_test)
    y_train_t, y_test_t = mse_predictor(t, y_train_0, y_test_0, ntk_test_train)
    # (3, 2) and (4, 2) jnp.ndarray train and test outputs after `t` units of time
    # training with continuous gradient descent
    for name, value in (("fs_x_train", x_train), ("fs_x_test", x_test), ("fs_y_train", y_train),
                        ("fs_ntk_train_train", ntk_train_train),
                        ("fs_ntk_test_train", ntk_test_train),
                        ("fs_y_train_t", y_train_t), ("fs_y_test_t", y_test_t)):
        _put(arrays, kinds, name, value)


SECTIONS = (intro, wide_resnet, weight_space, function_space)


def run_flow(nt, stax, jnp, random) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    arrays: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for section in SECTIONS:
        section(nt, stax, jnp, random, arrays, kinds)
    return arrays, kinds
