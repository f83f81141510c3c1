"""Ring all-reduce: a ring reduce-scatter, then a ring all-gather (Patarasuk and Yuan).

Assumes: a commutative op (each chunk is combined in an order rotated to start at its owner).
Chunks: the count cut into N chunks differing by at most one element
(:func:`collectives.partition.chunk_offsets`).
Per rank: 2(N - 1) steps, each one ``Sendrecv``-like exchange with the ring neighbours. At
reduce-scatter step s this rank sends chunk (rank - s) mod N to rank + 1 and adds the chunk it
receives from rank - 1 into its own copy, in place (the one scratch chunk holds what arrives);
at all-gather step s it sends chunk (rank + 1 - s) mod N and receives straight into place.
Cost: rank r sends 2K - c(r+1) - c(r+2) bytes (2(N-1)K/N when N divides the count).
"""

from __future__ import annotations

from collectives.mpi.algorithms.phases import ring_pass
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.partition import chunk_offsets
from collectives.ring import ALLREDUCE_ALLGATHER_SHIFT, ALLREDUCE_REDUCE_SCATTER_SHIFT


@register("allreduce", "ring")
def ring_allreduce(call: Call) -> None:
    """Reduce-scatter then all-gather around the ring, in place in the working buffer."""
    offsets = chunk_offsets(call.problem.count, call.size)
    # reduce-scatter: afterwards this rank holds chunk rank + 1 fully reduced
    ring_pass(call, offsets, ALLREDUCE_REDUCE_SCATTER_SHIFT, reduce=True)
    # all-gather: pass the completed chunks on until every rank has all of them
    ring_pass(call, offsets, ALLREDUCE_ALLGATHER_SHIFT, reduce=False)
