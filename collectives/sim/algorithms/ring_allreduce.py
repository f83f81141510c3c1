"""Ring all-reduce: a ring reduce-scatter, then a ring all-gather (Patarasuk and Yuan).

Assumes: a commutative op (each chunk is combined in an order rotated to start at its owner).
Chunks: the count cut into N chunks differing by at most one element.
Cost: 2(N - 1) steps. At reduce-scatter step s rank r sends chunk (r - s) mod N to r + 1, which
adds it into its copy; at all-gather step s it sends chunk (r + 1 - s) mod N. Rank r sends
2K - c(r+1) - c(r+2) bytes (2(N-1)K/N when N divides the count); all ranks together 2(N-1)K.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.partition import chunk_offsets
from collectives.ring import ALLREDUCE_ALLGATHER_SHIFT, ALLREDUCE_REDUCE_SCATTER_SHIFT
from collectives.sim.algorithms.phases import ring_pass
from collectives.sim.registry import register
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem


@register("allreduce", "ring")
def ring_allreduce(problem: Problem) -> Iterator[Step]:
    """The 2(N - 1) steps of ring all-reduce."""
    offsets = chunk_offsets(problem.count, problem.ranks)
    yield from ring_pass(offsets, problem.ranks, ALLREDUCE_REDUCE_SCATTER_SHIFT, Action.REDUCE,
                         "reduce-scatter")
    yield from ring_pass(offsets, problem.ranks, ALLREDUCE_ALLGATHER_SHIFT, Action.COPY,
                         "all-gather")
