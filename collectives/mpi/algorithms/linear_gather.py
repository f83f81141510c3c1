"""Linear gather: at step s (1..N-1) rank root + s sends the root its block.

Assumes: nothing. Cost: its schedule's (:mod:`collectives.sim.algorithms.linear_gather`), message
for message.
"""

from __future__ import annotations

from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("gather", "linear")
def linear_gather(call: Call) -> None:
    """Every other rank sends its block; the root receives them in turn."""
    n, root, count, rank = call.size, call.problem.root, call.problem.count, call.rank
    if rank != root:
        call.transport.send(call.work[rank * count:(rank + 1) * count], root)
        return
    for step in range(1, n):
        peer = (root + step) % n
        call.transport.recv(call.work[peer * count:(peer + 1) * count], peer)
