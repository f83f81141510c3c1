"""Binomial-tree broadcast: each rank that has the data sends it on, largest subtree first.

Assumes: nothing (any N, any root). Per rank: receive K bytes from the parent (not the root),
then one send of K bytes per child, largest subtree first, one child after another. Messages
travel in segments of about 1 MiB; the first child gets each segment as soon as it has arrived,
so its subtree forwards while this rank still receives. Out of place, the root sends straight
from the caller's buffer and copies it into its result while its first child receives.
Cost: its schedule's (:mod:`collectives.sim.algorithms.binomial_broadcast`), message for message.
"""

from __future__ import annotations

from collectives.mpi.algorithms.phases import tree_broadcast
from collectives.mpi.call import Call, reads_source
from collectives.mpi.registry import register


@register("broadcast", "binomial")
@reads_source
def binomial_broadcast(call: Call) -> None:
    """Binomial broadcast of the whole buffer from the root."""
    tree_broadcast(call, call.problem.root, call.problem.count, origin=call.source)
