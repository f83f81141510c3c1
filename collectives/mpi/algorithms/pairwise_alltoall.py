"""Pairwise all-to-all: at step s (1..N-1) rank r sends block r + s to rank r + s and receives
block r of rank r - s.

Assumes: nothing (any N). The working buffer is [input blocks | output blocks]; this rank's own
block was placed before the first step. Cost: its schedule's
(:mod:`collectives.sim.algorithms.pairwise_alltoall`), message for message.
"""

from __future__ import annotations

from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("alltoall", "pairwise")
def pairwise_alltoall(call: Call) -> None:
    """N - 1 exchanges, each with a different pair of peers."""
    n, count, rank, work = call.size, call.problem.count, call.rank, call.work
    received = work[n * count:]
    for step in range(1, n):
        to, source = (rank + step) % n, (rank - step) % n
        call.transport.sendrecv(work[to * count:(to + 1) * count], to,
                                received[source * count:(source + 1) * count], source)
