"""Signature kernels and the neural signature kernels of controlled ResNets.

A randomly initialised controlled ResNet (an Euler discretisation of a neural CDE driven by a
path) converges, as width and then depth grow, to a Gaussian process indexed by paths whose
covariance solves a Goursat PDE; with the identity activation it is the signature kernel
(Salvi et al. 2021, arXiv:2006.14794; Cirone, Lemercier & Salvi 2023, arXiv:2303.17671;
docs/theory/signature.md).

- :mod:`widenets.signature.theory` — signature kernels by PDE (second-order and explicit
  schemes, dyadic refinement, anti-diagonal wavefront), Gram matrices, truncated signatures,
  and neural signature kernels for any activation with a dual in :mod:`widenets.duals`.
- :mod:`widenets.signature.empirical` — random controlled ResNets and Monte-Carlo estimates of
  their output covariance, with standard errors.
"""
from . import empirical as empirical
from . import theory as theory
