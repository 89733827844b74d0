"""Build notebooks/07_convolutions.ipynb (no outputs) with nbformat: `python3 notebooks/_build_07_convolutions.py`."""
from pathlib import Path

from _nbwrite import write_notebook

CELLS = [
    ("md", """# Convolutional kernels: CNN-GP, CNTK and Myrtle on digits

An infinitely wide convolutional network is again a Gaussian process (NNGP) and, trained by gradient
flow, a kernel regressor (NTK) — but its kernel now carries **spatial structure**: for images of
H × W pixels, every pair of inputs has a covariance between every pair of positions (Novak et al.
2019, arXiv:1810.05148; Garriga-Alonso et al. 2019, arXiv:1808.05587; Arora et al. 2019,
arXiv:1904.11955). This notebook ports a CNN-GP written for neural-tangents, looks at the layout of
the kernel (full vs diagonal spatial covariance, and why a Flatten readout is cheap while pooling
is not), compares MLP and convolutional kernels on a small split of sklearn's digits, and checks
finite CNNs against their NTK. The full-size experiment is the figure `widenets reproduce --only
convolutions` (`paper_figs/fig_convolutions.py`)."""),
    ("code", """import math
import time

import jax
import matplotlib.pyplot as plt
import numpy as np

jax.config.update("jax_enable_x64", True)

from widenets import predict
from widenets.mup.empirical import load_digits_data
from widenets.predict.empirical import train_mse"""),
    ("md", """## 1. Porting a CNN-GP from neural-tangents
A CNN-GP as one writes it with neural-tangents (`from neural_tangents import stax`) runs unchanged
after changing the import: layer names, arguments, the NHWC layout and the kernel normalisation are
those of neural-tangents 0.6.5 (checked against its numbers in `tests/stax`)."""),
    ("code", """# from neural_tangents import stax     # <- the neural-tangents version
from widenets import stax               # <- the only change

init_fn, apply_fn, kernel_fn = stax.serial(
    stax.Conv(256, (3, 3), padding="SAME", W_std=math.sqrt(2.0)), stax.Relu(),
    stax.Conv(256, (3, 3), padding="SAME", W_std=math.sqrt(2.0)), stax.Relu(),
    stax.Flatten(), stax.Dense(10))

x, y = load_digits_data(np.float32)       # standardised pixels, one-hot targets
images = x.reshape(-1, 8, 8, 1)          # NHWC
k = kernel_fn(images[:4], images[4:7], get=("nngp", "ntk"))
print("nngp", k.nngp.shape, "ntk", k.ntk.shape)
_, params = init_fn(jax.random.key(0), images[:4].shape)    # float64 parameters (x64 is on)
print("finite network output", apply_fn(params, np.float64(images[:4])).shape)"""),
    ("md", """## 2. The kernel layout: full vs diagonal spatial covariance
Without a readout, the kernel of a convolutional stack keeps the spatial axes in neural-tangents'
zipped order, (N1, N2, H, H', W, W'): **64² = 4096 entries per pair** of 8×8 images. With
`diagonal_spatial=True` only the same-position covariances (N1, N2, H, W) are returned (64 entries).

A convolution's kernel at positions (h, h') is a sum over the *same* filter offset of the input
covariance at (h + a, h' + a), and ReLU acts entry by entry, so the diagonal h = h' only ever needs
the diagonal. A **Flatten** readout followed by Dense sees only that diagonal, averaged — the CNN-GP
of Novak et al. costs O(HW) per pair. **Pooling** sums each argument over its own window, mixing
h ≠ h', so global average pooling (the CNTK-GAP of Arora et al.) needs the full O((HW)²) covariance.
Both identities, checked on the stack's own kernels:"""),
    ("code", """conv_stack = stax.serial(*[layer for _ in range(2) for layer in
                           (stax.Conv(1, (3, 3), padding="SAME", W_std=math.sqrt(2.0)), stax.Relu())])
xa, xb = images[:3], images[3:5]
full = np.asarray(conv_stack.kernel_fn(xa, xb, get="nngp"))
diag = np.asarray(conv_stack.kernel_fn(xa, xb, get="nngp", diagonal_spatial=True))
print("full:", full.shape, " diagonal:", diag.shape)
print("diagonal of the full kernel == diagonal kernel:",
      np.allclose(np.einsum("abhhww->abhw", full), diag, rtol=1e-6, atol=0))

readout = lambda *extra: stax.serial(conv_stack, *extra, stax.Dense(1)).kernel_fn(xa, xb, get="nngp")
flatten = np.asarray(readout(stax.Flatten()))
gap = np.asarray(readout(stax.GlobalAvgPool()))
print("Flatten readout == mean of the spatial diagonal:", np.allclose(flatten, diag.mean(axis=(2, 3)), rtol=1e-6))
print("GlobalAvgPool readout == mean over all pairs of positions:", np.allclose(gap, full.mean(axis=(2, 3, 4, 5)), rtol=1e-6))"""),
    ("md", """What this costs: the same two convolutions with a Flatten and with a pooling readout, on 40 × 40
pairs of images (the first call of each also compiles)."""),
    ("code", """for name, head in (("Flatten (diagonal)", stax.Flatten()), ("GlobalAvgPool (full)", stax.GlobalAvgPool())):
    kf = stax.serial(conv_stack, head, stax.Dense(10)).kernel_fn
    kf(images[:40], images[40:80], get="ntk")
    start = time.perf_counter()
    jax.block_until_ready(kf(images[:40], images[40:80], get="ntk"))
    print(f"{name:22s} {time.perf_counter() - start:.3f} s")"""),
    ("md", """## 3. MLP vs convolutional kernels on digits (small split)
A stratified split, 8 training and 12 test images per class. Kernel regression: the NNGP posterior
mean (`gp_inference`, diagonal regulariser 1e-4 · mean diagonal) and the t = ∞ mean of the NTK
(`gradient_descent_mse`, pseudo-inverse); the prediction is the argmax over the 10 one-hot outputs.
Kernels are evaluated in float32 (the float32 images), the regressions in float64. The architectures
(hidden ReLU layers with W_std = √2): an MLP with 3 hidden layers; a CNN-GP (3 × [Conv 3×3 SAME,
ReLU], Flatten); a CNTK-GAP (2 × [Conv 3×3 VALID, ReLU], GlobalAvgPool); and a Myrtle-style network
(Shankar et al. 2020, arXiv:2003.02237) adapted to 8×8: one [Conv SAME, ReLU] per resolution 8, 4, 2,
each followed by AvgPool 2×2, then Flatten."""),
    ("code", """labels_all = np.argmax(y, axis=1)
rng = np.random.default_rng(0)
per_class = [rng.permutation(np.flatnonzero(labels_all == c)) for c in range(10)]
train = np.concatenate([idx[:8] for idx in per_class])
test = np.concatenate([idx[8:20] for idx in per_class])
x_train, y_train, x_test = images[train], y[train], images[test]
labels = labels_all[test]

S2 = math.sqrt(2.0)
conv = lambda padding="SAME": [stax.Conv(1, (3, 3), padding=padding, W_std=S2), stax.Relu()]
pool = stax.AvgPool((2, 2), strides=(2, 2))
archs = {
    "MLP": stax.serial(stax.Flatten(), *[layer for _ in range(3) for layer in (stax.Dense(1, W_std=S2), stax.Relu())], stax.Dense(10)),
    "CNN-GP": stax.serial(*conv(), *conv(), *conv(), stax.Flatten(), stax.Dense(10)),
    "CNTK-GAP": stax.serial(*conv("VALID"), *conv("VALID"), stax.GlobalAvgPool(), stax.Dense(10)),
    "Myrtle": stax.serial(*conv(), pool, *conv(), pool, *conv(), pool, stax.Flatten(), stax.Dense(10)),
}
accuracy = {}
for name, layer in archs.items():
    k_dd = layer.kernel_fn(x_train, None, get=("nngp", "ntk"))
    k_td = layer.kernel_fn(x_test, x_train, get=("nngp", "ntk"))
    f64 = lambda a: np.asarray(a, np.float64)
    nngp = predict.gp_inference(f64(k_dd.nngp), f64(y_train), diag_reg=1e-4)(get="nngp", k_test_train=f64(k_td.nngp))
    ntk = predict.gradient_descent_mse(f64(k_dd.ntk), f64(y_train))(t=None, fx_train_0=None, fx_test_0=0.0,
                                                                    k_test_train=f64(k_td.ntk))
    accuracy[name] = [np.mean(np.argmax(np.asarray(m), axis=1) == labels) for m in (nngp, ntk)]
n_test = len(labels)
for name, (a_nngp, a_ntk) in accuracy.items():
    se = math.sqrt(a_ntk * (1 - a_ntk) / n_test)
    print(f"{name:9s} NNGP {100 * a_nngp:5.1f}%   NTK {100 * a_ntk:5.1f}%   (binomial SE ≈ {100 * se:.1f} points)")"""),
    ("md", """With 120 test images one binomial SE, √(p(1−p)/n), is about 3 accuracy points: on 8×8 digits the
convolutional kernels come out a few points ahead of the MLP's, but at this size by no more than
about two SEs. The figure uses 200 training and 400 test images and compares paired per-image
differences (there too the gains are 0–2 points, within 2 SE of the paired difference)."""),
    ("code", """fig, ax = plt.subplots(figsize=(6, 3.2))
pos = np.arange(len(accuracy))
for j, g in enumerate(("NNGP", "NTK")):
    acc = [a[j] for a in accuracy.values()]
    ax.bar(pos + (j - 0.5) * 0.38, acc, 0.38, yerr=[math.sqrt(p * (1 - p) / n_test) for p in acc], capsize=3, label=g)
ax.set_xticks(pos, list(accuracy)); ax.set_ylim(0.6, 1.0); ax.set_ylabel("test accuracy"); ax.legend();"""),
    ("md", """## 4. Finite CNNs vs their NTK
One convolution with C channels, ReLU, Flatten, Dense (NTK parameterisation), trained by full-batch GD
on ½·mean((f − y)²) with η = η_max/2 (`predict.max_learning_rate` of the infinite-width NTK). Each
network is **centred**, f(θ, x) − f(θ₀, x): training it is training f on the shifted targets
y + f(θ₀, x_train) (same gradient), and its infinite-width limit is the NTK mean at the same step,
μ_t = Θ_td Θ⁻¹(I − e^{−ηtΘ/|y|}) y (`gradient_descent_mse`; Lee et al. 2019, arXiv:1902.06720).
The RMS distance of the test outputs from μ_t shrinks as C grows (three networks per width)."""),
    ("code", """cnn = lambda c: stax.serial(stax.Conv(c, (3, 3), padding="SAME", W_std=S2), stax.Relu(), stax.Flatten(), stax.Dense(10))
kf = cnn(1).kernel_fn
ntk_dd = np.asarray(kf(x_train, None, get="ntk"), np.float64)
ntk_td = np.asarray(kf(x_test, x_train, get="ntk"), np.float64)
lr = 0.5 * predict.max_learning_rate(ntk_dd, y_train.size)
steps = 60
mu = np.asarray(predict.gradient_descent_mse(ntk_dd, np.float64(y_train), learning_rate=lr)(
    t=float(steps), fx_train_0=None, fx_test_0=0.0, k_test_train=ntk_td))
print(f"η = {lr:.2f};  NTK mean at step {steps}: test accuracy {100 * np.mean(np.argmax(mu, 1) == labels):.1f}%")
with jax.enable_x64(False):                     # float32 networks
    for c in (16, 256):
        init_c, apply_c, _ = cnn(c)
        rms, acc = [], []
        for key in jax.random.split(jax.random.key(c), 3):
            params = init_c(key, x_train.shape)[1]
            traj = train_mse(apply_c, params, x_train, y_train + apply_c(params, x_train), [0, steps], lr, x_test)
            f = np.asarray(traj.fx_test[-1] - traj.fx_test[0], np.float64)
            rms.append(np.sqrt(np.mean((f - mu) ** 2)))
            acc.append(np.mean(np.argmax(f, 1) == labels))
        print(f"C = {c:3d}: RMS(f − μ) = {np.mean(rms):.4f} ± {np.std(rms, ddof=1) / math.sqrt(3):.4f}, "
              f"test accuracy {100 * np.mean(acc):.1f}%  (3 networks; |μ| RMS = {np.sqrt(np.mean(mu ** 2)):.3f})")"""),
    ("md", """The distance falls with the width, but slowly (16× the channels, not 4× closer): at these widths most of it is the networks'
departure from their own linearisation (their NTK moves during training), which vanishes like
C^{−1/2} only asymptotically. The figure (`fig_convolutions.py`) trains ensembles at 16, 64 and 256
channels on 200 images and asserts the decrease with a standard error from independent networks."""),
]


if __name__ == "__main__":
    write_notebook(CELLS, Path(__file__).resolve().parent / "07_convolutions.ipynb")
