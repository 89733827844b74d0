"""abc-parametrizations: the presets against TP V (arXiv:2203.03466) Table 3, the abc symmetry as an
identity of training trajectories, and the per-parameter learning rates."""
import contextlib
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from widenets.mup import MF, MUP, NTP, SP, Exponents, Parametrization, mlp, parametrize, scale_by_tree

D, N0 = 64, 64


def optax_adam_promotion(optimizer):
    """Standard dtype promotion around an optax Adam update, strict otherwise.

    optax's Adam bias correction computes ``decay ** count``, a Python float to the power of
    the int32 step count, which strict promotion (tests/conftest.py) rejects. That mix is
    inside optax, not widenets, so only the Adam update itself is exempted."""
    return jax.numpy_dtype_promotion("standard") if optimizer == "adam" else contextlib.nullcontext()


@pytest.mark.parametrize("width", [64, 256, 1024])
def test_mup_effective_scales_match_tp5_table3(width):
    """μP in effective form: init var 1/d, 1/n, 1/n²; SGD LR η·n, η, η/n; Adam η, η/n, η/n
    (all relative to the base width n₀, at which μP is SP)."""
    r = width / N0
    std_in, lr_in = MUP.effective("input", width, N0, fan_in_base=D)
    std_h, lr_h = MUP.effective("hidden", width, N0, fan_in_base=N0)
    std_out, lr_out = MUP.effective("output", width, N0, fan_in_base=N0)
    np.testing.assert_allclose([std_in**2, std_h**2, std_out**2], [1 / D, 1 / width, N0 / width**2], rtol=1e-12)
    np.testing.assert_allclose([lr_in, lr_h, lr_out], [r, 1.0, 1 / r], rtol=1e-12)
    adam = [MUP.effective(role, width, N0, fan_in_base=N0, optimizer="adam")[1] for role in ("input", "hidden", "output")]
    np.testing.assert_allclose(adam, [1.0, 1 / r, 1 / r], rtol=1e-12)


@pytest.mark.parametrize("width", [64, 512])
def test_sp_and_ntp_effective_scales(width):
    """SP and NTP both initialise W with variance σ²/fan_in; SP trains every layer at η, NTP
    its hidden and output layers at η·n₀/n (the NTK scaling of the learning rate)."""
    r = width / N0
    for p, lr_scale in ((SP, 1.0), (NTP, 1 / r)):
        for role, fan_in in (("input", D), ("hidden", N0), ("output", N0)):
            std, lr = p.effective(role, width, N0, fan_in_base=fan_in)
            true_fan_in = fan_in if role == "input" else width
            assert std == pytest.approx(1 / math.sqrt(true_fan_in), rel=1e-12)
            assert lr == pytest.approx(1.0 if role == "input" else lr_scale, rel=1e-12)


def test_mean_field_is_mup_shifted():
    """MF (one hidden layer: input 0/0, output 1/0, c = −1; TP IV, arXiv:2011.14522) is μP moved by θ = ½."""
    assert MF.input == Exponents(0, 0, -1, 0)
    assert MF.output == Exponents(1, 0, -1, 0)
    for role in ("input", "hidden", "output"):
        for opt in ("sgd", "adam"):
            assert MF.effective(role, 512, N0, 64.0, optimizer=opt) == pytest.approx(
                MUP.effective(role, 512, N0, 64.0, optimizer=opt), rel=1e-12)


@pytest.mark.parametrize("p", [SP, NTP, MUP, MF])
def test_every_parametrization_is_sp_at_the_base_width(p):
    for role, fan_in in (("input", D), ("hidden", N0), ("output", N0)):
        for opt in ("sgd", "adam"):
            assert p.effective(role, N0, N0, fan_in, optimizer=opt) == pytest.approx(
                SP.effective(role, N0, N0, fan_in, optimizer=opt), rel=1e-14)


def _data(n=48):
    x = jax.random.normal(jax.random.key(1), (n, D), jnp.float64)
    y = jax.nn.one_hot(jnp.arange(n) % 10, 10, dtype=jnp.float64)
    return x, y


def _trajectory(p, optimizer, width=128, steps=5, lr=0.05):
    """Effective weights and outputs after each of ``steps`` full-batch steps."""
    x, y = _data()
    net = mlp(D, width, 10, p, N0, bias_std=0.5)
    w = net.init(jax.random.key(0), jnp.float64)
    kwargs = {"eps": 1e-200} if optimizer == "adam" else {}
    opt = net.optimizer(lr, optimizer, **kwargs)
    state = opt.init(w)
    loss = lambda w: 0.5 * jnp.mean(jnp.sum((net.apply(w, x) - y) ** 2, -1))  # noqa: E731

    @jax.jit
    def step(w, state):
        grads = jax.grad(loss)(w)
        with optax_adam_promotion(optimizer):
            updates, state = opt.update(grads, state, w)
        w = optax.apply_updates(w, updates)
        return w, state, net.apply(w, x)

    outs = []
    for _ in range(steps):
        w, state, out = step(w, state)
        outs.append(out)
    return net.effective(w), jnp.stack(outs)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("theta", [0.3, -0.7])
def test_abc_symmetry_leaves_training_unchanged(optimizer, theta):
    """(a, b, c) → (a + θ, b − θ, c − 2θ) for SGD, c − θ for Adam: identical trajectories
    (the same random draws give the same effective weights; Adam with ε → 0, where it is
    exactly invariant to the gradient's scale)."""
    w_ref, f_ref = _trajectory(MUP, optimizer)
    w_sh, f_sh = _trajectory(MUP.shifted(theta), optimizer)
    np.testing.assert_allclose(f_sh, f_ref, rtol=1e-9, atol=1e-12)
    for a, b in zip(jax.tree.leaves(w_sh), jax.tree.leaves(w_ref)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_the_symmetry_is_not_vacuous():
    """Changing c alone (not a symmetry) changes the trajectory."""
    other = Parametrization("other", MUP.input, MUP.hidden, Exponents(0.5, 0.5, 0.5, 0.5))
    _, f_ref = _trajectory(MUP, "sgd")
    _, f_other = _trajectory(other, "sgd")
    assert float(jnp.max(jnp.abs(f_ref - f_other))) > 1e-3


def test_mlp_roles_and_effective_learning_rates():
    """One SGD step on w moves the effective weights W by −η·lr_eff·∂L/∂W with μP's table:
    input weights and hidden biases η·r, hidden weights η, readout η/r, readout bias η."""
    width = 256
    r = width / N0
    net = mlp(D, width, 10, MUP, N0, bias_std=0.3)
    assert net.roles == (("input", "bias"), None, ("hidden", "bias"), None, ("output", "fixed"))
    x, y = _data()
    w = net.init(jax.random.key(3), jnp.float64)
    loss_of_W = lambda W: 0.5 * jnp.mean(jnp.sum((net.apply_fn(W, x) - y) ** 2, -1))  # noqa: E731
    grads_W = jax.grad(loss_of_W)(net.effective(w))
    opt = net.optimizer(0.5)
    updates, _ = opt.update(jax.grad(lambda w: loss_of_W(net.effective(w)))(w), opt.init(w), w)
    moved = jax.tree.map(lambda a, b: a - b, net.effective(optax.apply_updates(w, updates)), net.effective(w))
    lr_eff = {"input": r, "bias": r, "hidden": 1.0, "output": 1 / r, "fixed": 1.0}
    for role, dW, g in zip(jax.tree.leaves(net.roles), jax.tree.leaves(moved), jax.tree.leaves(grads_W)):
        np.testing.assert_allclose(dW, -0.5 * lr_eff[role] * g, rtol=1e-9, atol=1e-15)


def test_scale_by_tree_composes_with_adam():
    params = {"a": jnp.ones(3), "b": jnp.ones(2)}
    grads = {"a": jnp.array([1.0, -2.0, 3.0]), "b": jnp.array([0.5, 0.5])}
    chained = optax.chain(optax.adam(0.1), scale_by_tree({"a": 2.0, "b": 0.5}))
    plain = optax.adam(0.1)
    with optax_adam_promotion("adam"):
        u_chain, _ = chained.update(grads, chained.init(params), params)
        u_plain, _ = plain.update(grads, plain.init(params), params)
    np.testing.assert_allclose(u_chain["a"], 2.0 * u_plain["a"], rtol=1e-14)
    np.testing.assert_allclose(u_chain["b"], 0.5 * u_plain["b"], rtol=1e-14)


def test_zero_output_and_pytree_models():
    """`parametrize` works on any pytree with roles; zero_output zeroes the readout."""
    shapes = {"w_in": (5, 32), "w_out": (32, 1)}
    roles = {"w_in": "input", "w_out": "output"}
    net = parametrize(lambda W, x: jnp.tanh(x @ W["w_in"]) @ W["w_out"], shapes, roles, "mup", 32, 8,
                      zero_output=True)
    w = net.init(jax.random.key(0), jnp.float64)
    assert float(jnp.abs(w["w_out"]).max()) == 0.0
    assert net.multipliers == {"w_in": 2.0, "w_out": 0.5}
    assert net.apply(w, jnp.ones((3, 5))).shape == (3, 1)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="parametrization"):
        mlp(D, 128, 10, "bogus", N0)
    with pytest.raises(ValueError, match="width"):
        mlp(D, 128, 10, "mup", 0)
    with pytest.raises(ValueError, match="base_width"):
        MUP.multiplier("hidden", 128, 0)
    with pytest.raises(ValueError, match="role"):
        MUP.multiplier("middle", 128, 64)
    with pytest.raises(ValueError, match="roles"):
        parametrize(lambda W, x: x, {"w": (3, 4)}, {"w": "weird"}, "sp", 8, 8)
    with pytest.raises(ValueError, match="roles"):
        parametrize(lambda W, x: x, {"w": (3, 4)}, {"v": "input"}, "sp", 8, 8)
    with pytest.raises(TypeError, match="c_sgd"):
        Exponents(0, 0, float("nan"), 0)
    with pytest.raises(ValueError, match="optimizer"):
        mlp(D, 128, 10, "mup", N0).optimizer(0.1, "lbfgs")
    with pytest.raises(TypeError, match="hidden"):
        Parametrization("x", (0, 0, 0, 0), (0, 0), (0, 0, 0, 0))
