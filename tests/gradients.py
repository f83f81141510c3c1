"""Numeric gradients the tensor-parallel tests check the layers' backward passes against."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numeric_gradient(loss: Callable[[], float], array: np.ndarray,
                     eps: float = 1e-6) -> np.ndarray:
    """Central differences of ``loss()`` in every element of ``array`` (changed in place, and
    put back)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        up = loss()
        array[index] = saved - eps
        down = loss()
        array[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad
