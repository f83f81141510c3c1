"""Ring all-reduce: a ring reduce-scatter, then a ring all-gather (Patarasuk and Yuan).

Assumes: a commutative op (each chunk is combined in an order rotated to start at its owner).
Chunks: the count cut into N chunks differing by at most one element
(:func:`collectives.partition.chunk_offsets`).
Per rank: 2(N - 1) steps, each one exchange with the ring neighbours. At reduce-scatter step s
this rank sends chunk (rank - s) mod N to rank + 1 and receives chunk (rank - 1 - s) mod N from
rank - 1, writing ``out[chunk] = x[chunk] ∘ incoming``; at all-gather step s it sends chunk
(rank + 1 - s) mod N and receives chunk (rank - s) mod N straight into ``out``. Out of place,
``x`` is read where the caller left it and never copied into ``out``: every element of ``out`` is
written once by a reduction or a receive.
Large chunks travel in segments of about 1 MiB (:mod:`collectives.mpi.segments`): each segment
is added while the next arrives, from one of two segment buffers, so the scratch is at most one
chunk (two 1 MiB buffers once a chunk exceeds 2 MiB), reused from call to call. The 2(N - 1)
steps run as one stream (:mod:`collectives.mpi.algorithms.ring_stream`): a segment is sent on as
soon as it is ready, so the segment reduced last in the reduce-scatter leaves at once as the
all-gather's, and no rank waits for a whole step (why, measured: docs/mpi.md).
Cost: its schedule's (:mod:`collectives.sim.algorithms.ring_allreduce`): the same bytes to the
same peer in the same step.
"""

from __future__ import annotations

from collectives.mpi.algorithms.ring_stream import ring_stream
from collectives.mpi.call import Call, reads_source
from collectives.mpi.registry import register
from collectives.partition import chunk_offsets
from collectives.ring import ALLREDUCE_REDUCE_SCATTER_SHIFT


@register("allreduce", "ring")
@reads_source
def ring_allreduce(call: Call) -> None:
    """Reduce-scatter then all-gather around the ring, into the working buffer."""
    n = call.size
    offsets = chunk_offsets(call.problem.count, n)
    # reduce-scatter (steps 0 .. N - 2), after which this rank holds chunk rank + 1 fully
    # reduced, then all-gather (steps N - 1 .. 2N - 3: the all-gather shift 1 at step t is shift
    # 0 at step N - 1 + t), one stream: each segment is passed on as soon as it is ready
    ring_stream(call, offsets, ALLREDUCE_REDUCE_SCATTER_SHIFT, steps=2 * (n - 1),
                reduce_steps=n - 1)
