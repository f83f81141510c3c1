"""Tree all-reduce: binomial reduce to rank 0, then binomial broadcast from rank 0.

Assumes: any N; keeps rank order (each parent keeps its own, lower-rank data on the left), so
non-commutative ops are fine, and every rank ends with rank 0's bits.
Cost: its schedule's (:mod:`collectives.sim.algorithms.tree_allreduce`), message for message.
One scratch buffer of K bytes holds what a child sends.
"""

from __future__ import annotations

from collectives.mpi.algorithms.phases import tree_broadcast, tree_reduce
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("allreduce", "tree")
def tree_allreduce(call: Call) -> None:
    """Reduce to rank 0, then broadcast from it."""
    count = call.problem.count
    tree_reduce(call, 0, count)
    tree_broadcast(call, 0, count)
