"""Pipelined chain broadcast: root -> root + 1 -> ... -> root + N - 1, in S segments
(:attr:`Problem.segments`, cut as :func:`collectives.partition.chunk_offsets` cuts them).

Per rank: receive each segment from the previous rank in the chain and pass it to the next;
the receive of segment j + 1 is posted before segment j is sent on, so the two overlap (at step
t the rank at position p sends segment t - p, :mod:`collectives.chain`).

Assumes: nothing (any N, root and S). Cost: its schedule's
(:mod:`collectives.sim.algorithms.pipeline_broadcast`), message for message.
"""

from __future__ import annotations

from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.partition import chunk_offsets
from collectives.tree import to_absolute, to_relative


@register("broadcast", "pipeline")
def pipeline_broadcast(call: Call) -> None:
    """Receive each segment from the previous rank of the chain, pass it to the next."""
    n, root, segments, work = call.size, call.problem.root, call.problem.segments, call.work
    if n == 1:
        return
    offsets = chunk_offsets(call.problem.count, segments)
    position = to_relative(call.rank, root, n)
    previous, following = to_absolute(position - 1, root, n), to_absolute(position + 1, root, n)
    receives, sends = position > 0, position < n - 1

    def segment(index: int):
        return work[offsets[index]:offsets[index + 1]]

    pending = call.transport.irecv(segment(0), previous) if receives else None
    for index in range(segments):
        if receives:
            call.transport.wait_recv(pending, segment(index), previous)
            if index + 1 < segments:
                pending = call.transport.irecv(segment(index + 1), previous)
        if sends:
            call.transport.send(segment(index), following)
