"""The communication and parameter figures tensor parallelism is held to.

Communication, for activations of shape [b, s, h] on N ranks:

- one all-reduce moves, with the ring algorithm, exactly 2K − c(r+1) − c(r+2) bytes from rank r
  (K = bsh·itemsize, c the N chunk sizes), which is 2(N−1)/N·bsh·itemsize when N divides bsh;
- read as "reduce-scatter then all-gather, each moving about bsh", that is about 2bsh elements
  per all-reduce: 2bsh per block for inference (g forward) and 4bsh for training (g forward,
  f backward).

Under sequence parallelism each all-reduce becomes a reduce-scatter and an all-gather along the
sequence, each sending (N−1)/N·K per rank with the ring algorithm, so a block moves the same
bytes as under tensor parallelism; re-gathering a block's saved 1/N input in backward adds one
all-gather (:data:`HALF_CALLS_PER_BLOCK` counts them in units of (N−1)/N·K).

Parameters of an n-layer decoder with vocabulary V: n(12h² + 13h) + Vh. Per layer: attention
4h² + 4h, MLP (hidden 4h) 8h² + 5h, two layer norms 4h; embeddings Vh. Split over N ranks
(Megatron-LM: the four weight matrices and the column-parallel biases split, the embedding split
by vocabulary rows, the row-parallel biases and the layer norms replicated), a rank holds
n(12h²/N + 7h/N + 6h) + Vh/N.
"""

from __future__ import annotations

import numpy as np

from collectives.costs import reference_cost
from collectives.ops import resolve_op
from collectives.spec import Problem

ALLREDUCES_PER_BLOCK = {"inference": 1, "training": 2}

#: reduce-scatters + all-gathers per block (an all-reduce counts two), per variant and mode
HALF_CALLS_PER_BLOCK = {
    "tensor": {"inference": 2, "training": 4},
    "sequence": {"inference": 2, "training": 5},  # + the all-gather of the saved 1/N input
    "sequence, inputs kept": {"inference": 2, "training": 4},
}


def ring_allreduce_bytes(count: int, ranks: int, itemsize: int) -> np.ndarray:
    """Exact bytes each rank sends in one ring all-reduce of ``count`` elements."""
    problem = Problem("allreduce", ranks, (count,), np.dtype(f"f{itemsize}"), op=resolve_op("sum"))
    return reference_cost(problem, "ring").bytes_sent


def ring_formula_bytes(count: int, ranks: int, itemsize: int) -> float:
    """2(N−1)/N · count · itemsize: bytes per rank per ring all-reduce when N divides count."""
    return 2 * (ranks - 1) / ranks * count * itemsize


def ring_half_formula_bytes(count: int, ranks: int, itemsize: int) -> float:
    """(N−1)/N · count · itemsize: bytes per rank per ring reduce-scatter of ``count`` elements
    (or all-gather into ``count``) when N divides count."""
    return (ranks - 1) / ranks * count * itemsize


def ring_collective_bytes(collective: str, count: int, ranks: int, itemsize: int) -> np.ndarray:
    """Exact bytes each rank sends in one ring ``collective`` whose whole tensor has ``count``
    elements (an all-reduce's buffer, a reduce-scatter's input, an all-gather's output)."""
    if collective == "allreduce":
        return ring_allreduce_bytes(count, ranks, itemsize)
    block = (count // ranks,)
    problem = Problem(collective, ranks, block, np.dtype(f"f{itemsize}"),
                      op=resolve_op("sum") if collective == "reduce_scatter" else None)
    return reference_cost(problem, "ring").bytes_sent


def block_volume_elements(batch: int, seq: int, hidden: int, mode: str) -> int:
    """The textbook figure per block: 2bsh elements for inference, 4bsh for training."""
    return 2 * ALLREDUCES_PER_BLOCK[mode] * batch * seq * hidden


def decoder_parameters(layers: int, hidden: int, vocab: int) -> int:
    """n(12h² + 13h) + Vh: the parameters of an n-layer decoder."""
    return layers * (12 * hidden**2 + 13 * hidden) + vocab * hidden


def layer_parameters(hidden: int) -> dict[str, int]:
    """The parameters of one layer, per part."""
    return {"attention": 4 * hidden**2 + 4 * hidden, "mlp": 8 * hidden**2 + 5 * hidden,
            "layer norms": 4 * hidden}


def decoder_parameters_per_rank(layers: int, hidden: int, vocab: int, ranks: int) -> int:
    """n(12h²/N + 7h/N + 6h) + Vh/N: what one of N tensor-parallel ranks holds."""
    h, n = hidden, ranks
    return layers * (12 * h * h // n + 7 * h // n + 6 * h) + vocab * h // n
