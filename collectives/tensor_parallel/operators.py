"""The two communication operators of Megatron-style tensor parallelism, f and g.

- ``f`` sits where a replicated activation enters the column-parallel layer: the identity going
  forward (every rank already holds X), an all-reduce going backward (each rank's dX is a partial
  sum over its own columns).
- ``g`` sits where the row-parallel layer leaves: an all-reduce going forward (Z = Σ Yi·Bi), the
  identity going backward (every rank needs the whole dZ, which it already has).

So a block all-reduces once forward (g) and once backward (f). Each call is logged on the group
under ``"<block>.f.backward"`` or ``"<block>.g.forward"``.
"""

from __future__ import annotations

import numpy as np

from collectives.tensor_parallel.group import Group


def f_forward(group: Group, x: np.ndarray, block: str) -> np.ndarray:
    """f going forward: the identity; no communication."""
    return x


def f_backward(group: Group, dx_partial: np.ndarray, block: str) -> np.ndarray:
    """f going backward: all-reduce the ranks' partial input gradients."""
    return group.allreduce(dx_partial, label=f"{block}.f.backward")


def g_forward(group: Group, z_partial: np.ndarray, block: str) -> np.ndarray:
    """g going forward: all-reduce the ranks' partial outputs."""
    return group.allreduce(z_partial, label=f"{block}.g.forward")


def g_backward(group: Group, dz: np.ndarray, block: str) -> np.ndarray:
    """g going backward: the identity; no communication."""
    return dz
