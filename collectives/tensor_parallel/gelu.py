"""GeLU in its tanh form (as in GPT-2 and Megatron-LM) and its exact derivative.

    gelu(x)  = x/2 · (1 + tanh(u)),   u = √(2/π) · (x + 0.044715 x³)
    gelu'(x) = (1 + tanh u)/2 + x/2 · (1 − tanh² u) · √(2/π) · (1 + 3 · 0.044715 x²)

This is the derivative of the tanh form itself, not of the erf form it approximates.
"""

from __future__ import annotations

import math

import numpy as np

_C = math.sqrt(2.0 / math.pi)
_A = 0.044715


def gelu(x: np.ndarray) -> np.ndarray:
    """The tanh-form GeLU, elementwise."""
    return 0.5 * x * (1.0 + np.tanh(_C * (x + _A * x**3)))


def gelu_derivative(x: np.ndarray) -> np.ndarray:
    """d gelu(x) / dx of the tanh form, elementwise."""
    t = np.tanh(_C * (x + _A * x**3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _C * (1.0 + 3.0 * _A * x * x)
