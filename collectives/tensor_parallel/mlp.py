"""The tensor-parallel MLP block on one rank (Megatron-LM's split).

A = [A_1, ..., A_N] is split by columns and B by rows, so rank r computes
Y_r = GeLU(X·A_r + a_r) with no communication (GeLU is elementwise, so it commutes with the
column split) and Z = Σ_r Y_r·B_r + b with one all-reduce (g). Going backward, dX = Σ_r dY'_r·A_rᵀ
is the other all-reduce (f). Shapes per rank: [b, s, h] × [h, 4h/N] → [b, s, 4h/N] ×
[4h/N, h] → [b, s, h].

Cost: one all-reduce of [b, s, h] forward, one backward; with the ring algorithm each moves
2(N−1)/N·bsh elements per rank. Needs N to divide the hidden size 4h. With ``sequence=True`` X
and Z are this rank's s/N positions and each all-reduce becomes an all-gather and a
reduce-scatter (see :mod:`~collectives.tensor_parallel.linear`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.tensor_parallel.gelu import gelu, gelu_derivative
from collectives.tensor_parallel.group import Group
from collectives.tensor_parallel.linear import ColumnParallelLinear, Grads, RowParallelLinear
from collectives.tensor_parallel.reference import Params
from collectives.tensor_parallel.shard import check_divisible, split_columns, split_rows


def shard_mlp_params(params: Params, size: int, rank: int) -> Params:
    """Rank ``rank``'s shard of the full MLP parameters (also used to cut full gradients)."""
    check_divisible("the MLP's hidden size 4h", params["fc1.weight"].shape[1], size,
                    "A is split by columns and B by rows")
    return {
        "fc1.weight": split_columns(params["fc1.weight"], size, rank),
        "fc1.bias": split_columns(params["fc1.bias"], size, rank),
        "fc2.weight": split_rows(params["fc2.weight"], size, rank),
        "fc2.bias": params["fc2.bias"],
    }


@dataclass(frozen=True)
class ParallelMLPCache:
    """One rank's saved activations."""

    x: np.ndarray  #: what fc1 saved: X, or this rank's slice of it
    pre: np.ndarray  #: X·A_r + a_r, [b, s, 4h/N]
    act: np.ndarray  #: Y_r = GeLU(pre)


@dataclass
class ParallelMLP:
    """One rank's MLP: a column-parallel fc1, GeLU, a row-parallel fc2."""

    fc1: ColumnParallelLinear
    fc2: RowParallelLinear

    @classmethod
    def from_full(cls, params: Params, group: Group, block: str = "mlp", *,
                  sequence: bool = False, regather: bool = True) -> ParallelMLP:
        """This rank's block cut from the full parameters (``sequence``: taking and giving this
        rank's slice of the sequence)."""
        shard = shard_mlp_params(params, group.size, group.rank)
        return cls(ColumnParallelLinear(shard["fc1.weight"], shard["fc1.bias"], block,
                                        sequence, regather),
                   RowParallelLinear(shard["fc2.weight"], shard["fc2.bias"], block, sequence))

    def parameters(self) -> Params:
        """This rank's parameters by name."""
        return {f"{name}.{key}": value for name, layer in (("fc1", self.fc1), ("fc2", self.fc2))
                for key, value in layer.parameters().items()}

    def forward(self, group: Group, x: np.ndarray) -> tuple[np.ndarray, ParallelMLPCache]:
        """Z (whole on every rank, or this rank's slice) from X (replicated, or this rank's
        slice); one all-reduce."""
        pre, saved = self.fc1.forward(group, x)
        act = gelu(pre)
        return self.fc2.forward(group, act), ParallelMLPCache(saved, pre, act)

    def backward(self, group: Group, cache: ParallelMLPCache,
                 dz: np.ndarray) -> tuple[np.ndarray, Grads]:
        """dX (whole, on every rank) and this rank's parameter gradients; one all-reduce."""
        dact, fc2_grads = self.fc2.backward(group, cache.act, dz)
        dpre = dact * gelu_derivative(cache.pre)
        dx, fc1_grads = self.fc1.backward(group, cache.x, dpre)
        grads = {f"fc1.{k}": v for k, v in fc1_grads.items()}
        grads.update({f"fc2.{k}": v for k, v in fc2_grads.items()})
        return dx, grads
