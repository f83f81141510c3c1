"""The two communication operators of Megatron-style tensor parallelism, f and g, in two variants.

Tensor parallelism (``sequence=False``; activations outside the split layers replicated):

- ``f`` sits where a replicated activation enters the column-parallel layer: the identity going
  forward (every rank already holds X), an all-reduce going backward (each rank's dX is a partial
  sum over its own columns).
- ``g`` sits where the row-parallel layer leaves: an all-reduce going forward (Z = Σ Yi·Bi), the
  identity going backward (every rank needs the whole dZ, which it already has).

Sequence parallelism (``sequence=True``, Korthikanti et al. 2022; activations outside the split
layers cut along the sequence, axis 1 of [b, s, h], rank r holding the r-th s/t positions):

- ``f`` is an all-gather along the sequence going forward (the column-parallel layer needs the
  whole X) and a reduce-scatter going backward (each rank keeps the sum of its own positions).
- ``g`` is a reduce-scatter going forward (each rank keeps its positions of Σ Yi·Bi) and an
  all-gather going backward.

A ring all-reduce of K bytes is a ring reduce-scatter then a ring all-gather, each sending
(t−1)K/t per rank, so both variants move the same bytes per operator call. Each call is logged on
the group under ``"<block>.<f|g>.<forward|backward>"``; :func:`f_regather` (the all-gather of the
saved 1/t input that the column layer's weight gradient needs when only the slice was kept) under
``"<block>.f.regather"``.
"""

from __future__ import annotations

import numpy as np

from collectives.tensor_parallel.group import Group

SEQUENCE_AXIS = 1  #: activations are [b, s, h]


def f_forward(group: Group, x: np.ndarray, block: str, sequence: bool = False) -> np.ndarray:
    """f going forward: the identity, or (sequence) all-gather the ranks' slices."""
    if not sequence:
        return x
    return group.allgather(x, axis=SEQUENCE_AXIS, label=f"{block}.f.forward")


def f_backward(group: Group, dx_partial: np.ndarray, block: str,
               sequence: bool = False) -> np.ndarray:
    """f going backward: all-reduce the ranks' partial input gradients (sequence: reduce-scatter
    them, each rank keeping its positions)."""
    if not sequence:
        return group.allreduce(dx_partial, label=f"{block}.f.backward")
    return group.reduce_scatter(dx_partial, axis=SEQUENCE_AXIS, label=f"{block}.f.backward")


def f_regather(group: Group, x_slice: np.ndarray, block: str) -> np.ndarray:
    """The whole input again from the saved slices (sequence parallelism, backward)."""
    return group.allgather(x_slice, axis=SEQUENCE_AXIS, label=f"{block}.f.regather")


def g_forward(group: Group, z_partial: np.ndarray, block: str,
              sequence: bool = False) -> np.ndarray:
    """g going forward: all-reduce the ranks' partial outputs (sequence: reduce-scatter them)."""
    if not sequence:
        return group.allreduce(z_partial, label=f"{block}.g.forward")
    return group.reduce_scatter(z_partial, axis=SEQUENCE_AXIS, label=f"{block}.g.forward")


def g_backward(group: Group, dz: np.ndarray, block: str, sequence: bool = False) -> np.ndarray:
    """g going backward: the identity, or (sequence) all-gather the ranks' slices of dZ."""
    if not sequence:
        return dz
    return group.allgather(dz, axis=SEQUENCE_AXIS, label=f"{block}.g.backward")
