"""Column-parallel and row-parallel linear layers (one rank's shard), forward and backward.

- :class:`ColumnParallelLinear` holds A_r, the r-th column block of A ([h_in, h_out/N]) and the
  matching bias block. Its input passes through f (identity forward, all-reduce of dX
  backward), so Y_r = X·A_r + a_r needs no communication going forward.
- :class:`RowParallelLinear` holds B_r, the r-th row block of B ([h_in/N, h_out]), and the whole
  bias b (replicated). Its partial product passes through g (all-reduce forward, identity
  backward): Z = Σ_r Y_r·B_r + b, the bias added once, after the sum.

Each costs one all-reduce of its replicated side (X for the column layer, Z for the row layer):
the column layer's backward, the row layer's forward. Gradients are returned under the names of
:meth:`parameters`, and are those of the rank's shard.

With ``sequence=True`` (sequence parallelism, see :mod:`~collectives.tensor_parallel.operators`)
X enters and Z leaves as this rank's 1/t of the sequence: the column layer all-gathers X forward
and reduce-scatters dX backward, the row layer reduce-scatters Z forward and all-gathers dZ
backward; the bias b is added to this rank's positions only. The column layer's weight gradient
needs the whole X: with ``regather=True`` (Korthikanti et al.'s choice) only the slice is saved
and backward all-gathers it again, one more all-gather per block ((t−1)K/t bytes a rank,
K = bsh·itemsize); with ``regather=False`` the gathered X is saved, t times the memory and no
extra message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.tensor_parallel.group import Group
from collectives.tensor_parallel.operators import (
    f_backward,
    f_forward,
    f_regather,
    g_backward,
    g_forward,
)

Grads = dict[str, np.ndarray]


def weight_grad(x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Σ over every leading (batch, sequence) position of xᵀ·dy."""
    return x.reshape(-1, x.shape[-1]).T @ dy.reshape(-1, dy.shape[-1])


def bias_grad(dy: np.ndarray) -> np.ndarray:
    """Σ over every leading position of dy."""
    return dy.reshape(-1, dy.shape[-1]).sum(axis=0)


@dataclass
class ColumnParallelLinear:
    """Y_r = f(X)·A_r + a_r on one rank."""

    weight: np.ndarray  #: [h_in, h_out/N]
    bias: np.ndarray  #: [h_out/N]
    block: str  #: names the all-reduces in the group's log
    sequence: bool = False  #: X arrives as this rank's slice of the sequence
    regather: bool = True  #: (sequence) save the slice and all-gather it again in backward

    def parameters(self) -> dict[str, np.ndarray]:
        """This rank's parameters by name."""
        return {"weight": self.weight, "bias": self.bias}

    def forward(self, group: Group, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Y_r ([..., h_in] -> [..., h_out/N]) and the input backward needs (X, or its slice).

        No communication for a replicated X; an all-gather for a slice of the sequence.
        """
        whole = f_forward(group, x, self.block, self.sequence)
        saved = x if self.sequence and self.regather else whole
        return whole @ self.weight + self.bias, saved

    def backward(self, group: Group, saved: np.ndarray,
                 dy: np.ndarray) -> tuple[np.ndarray, Grads]:
        """dX (all-reduced by f, or this rank's slice of it) and this rank's weight gradients."""
        x = f_regather(group, saved, self.block) if self.sequence and self.regather else saved
        grads = {"weight": weight_grad(x, dy), "bias": bias_grad(dy)}
        return f_backward(group, dy @ self.weight.T, self.block, self.sequence), grads


@dataclass
class RowParallelLinear:
    """Z = g(Y_r·B_r) + b on one rank."""

    weight: np.ndarray  #: [h_in/N, h_out]
    bias: np.ndarray  #: [h_out], the same on every rank
    block: str
    sequence: bool = False  #: Z leaves as this rank's slice of the sequence

    def parameters(self) -> dict[str, np.ndarray]:
        """This rank's parameters by name."""
        return {"weight": self.weight, "bias": self.bias}

    def forward(self, group: Group, y: np.ndarray) -> np.ndarray:
        """Z (or its slice) from this rank's Y_r ([..., h_in/N] -> [..., h_out]); one all-reduce
        (or reduce-scatter): g."""
        return g_forward(group, y @ self.weight, self.block, self.sequence) + self.bias

    def backward(self, group: Group, y: np.ndarray, dz: np.ndarray) -> tuple[np.ndarray, Grads]:
        """dY_r (this rank's columns only) and this rank's weight gradients; no communication
        (sequence: an all-gather of dZ, after which the bias gradient is whole)."""
        dz = g_backward(group, dz, self.block, self.sequence)
        grads = {"weight": weight_grad(y, dz), "bias": bias_grad(dz)}
        return dz @ self.weight.T, grads
