"""Layer norm and dropout, forward and backward: the parts of a transformer layer outside the
split linear layers, which sequence parallelism runs on 1/t of the sequence.

Layer norm over the last axis: y = (x − μ)/σ · γ + β, σ = √(var + ε). Its cache is the input x
alone (Korthikanti et al. count 2sbh bytes per layer norm); backward recomputes μ and σ, one
pass over x, instead of keeping 2sb more numbers:

    x̂ = (x − μ)/σ,  dx̂ = dy·γ,  dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂))/σ,
    dγ = Σ dy ⊙ x̂,  dβ = Σ dy  (sums over every leading position)

Dropout: y = x ⊙ M/p with M a boolean mask (1 byte an element, all its cache), p the
probability of keeping an element. Both are per position, so a rank holding some positions of
the sequence computes exactly those positions of the unsplit result.
"""

from __future__ import annotations

import numpy as np

from collectives.errors import InvalidInputError
from collectives.tensor_parallel.linear import Grads, bias_grad

EPS = 1e-5


def _normalised(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=-1, keepdims=True)
    sigma = np.sqrt(x.var(axis=-1, keepdims=True) + EPS)
    return (x - mean) / sigma, sigma


def layer_norm_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """(x − μ)/σ · γ + β over the last axis."""
    return _normalised(x)[0] * weight + bias


def layer_norm_backward(x: np.ndarray, weight: np.ndarray,
                        dy: np.ndarray) -> tuple[np.ndarray, Grads]:
    """dx and the gradients of γ (``weight``) and β (``bias``) from the saved input x."""
    xhat, sigma = _normalised(x)
    dxhat = dy * weight
    dx = (dxhat - dxhat.mean(axis=-1, keepdims=True)
          - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)) / sigma
    return dx, {"weight": bias_grad(dy * xhat), "bias": bias_grad(dy)}


def dropout(x: np.ndarray, keep: np.ndarray, keep_prob: float) -> np.ndarray:
    """x ⊙ keep / keep_prob (``keep`` boolean, the shape of x)."""
    return x * keep / keep_prob


def dropout_masks(shapes: dict[str, tuple[int, ...]], keep_prob: float,
                  seed: int) -> dict[str, np.ndarray]:
    """A boolean mask per name, each element kept with probability ``keep_prob`` (same seed,
    same masks: every rank draws the whole masks and uses its part)."""
    if not 0.0 < keep_prob <= 1.0:
        raise InvalidInputError(f"expected a keep probability in (0, 1], got {keep_prob}")
    rng = np.random.default_rng(seed)
    return {name: rng.random(shape) < keep_prob for name, shape in shapes.items()}
