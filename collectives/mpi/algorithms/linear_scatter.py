"""Linear scatter: at step s (1..N-1) the root sends rank root + s its block.

Assumes: nothing. Cost: its schedule's (:mod:`collectives.sim.algorithms.linear_scatter`), message
for message.
"""

from __future__ import annotations

from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("scatter", "linear")
def linear_scatter(call: Call) -> None:
    """The root sends each block in turn; every other rank receives its own."""
    n, root, count, rank = call.size, call.problem.root, call.problem.count, call.rank
    if rank != root:
        call.transport.recv(call.work[rank * count:(rank + 1) * count], root)
        return
    for step in range(1, n):
        peer = (root + step) % n
        call.transport.send(call.work[peer * count:(peer + 1) * count], peer)
