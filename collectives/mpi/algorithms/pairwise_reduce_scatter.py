"""Pairwise reduce-scatter: at step s (1..N-1) this rank sends its block rank + s to rank + s
and adds the block it receives from rank - s into its own block, in place (one scratch block
holds what arrives).

Assumes: a commutative op (block r is combined in the order r, r - 1, r - 2, ...).
Cost: its schedule's (:mod:`collectives.sim.algorithms.pairwise_reduce_scatter`), message for
message.
"""

from __future__ import annotations

from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("reduce_scatter", "pairwise")
def pairwise_reduce_scatter(call: Call) -> None:
    """N - 1 exchanges, each with a different pair of peers."""
    n, count, rank, work = call.size, call.problem.count, call.rank, call.work
    if n == 1:
        return
    mine = work[rank * count:(rank + 1) * count]
    incoming = call.scratch(count)
    for step in range(1, n):
        to, source = (rank + step) % n, (rank - step) % n
        call.transport.sendrecv(work[to * count:(to + 1) * count], to, incoming, source)
        call.op.reduce_into(mine, incoming)
