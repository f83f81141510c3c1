"""Reduce-scatter by binomial reduce of all N blocks to rank 0, then binomial scatter.

Assumes: any N; keeps rank order, so it serves non-commutative ops that ring cannot.
Cost: its schedule's (:mod:`collectives.sim.algorithms.binomial_reduce_scatter`), message for
message. One scratch buffer of K bytes holds what a child sends.
"""

from __future__ import annotations

from collectives.mpi.algorithms.phases import tree_reduce, tree_scatter
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("reduce_scatter", "binomial")
def binomial_reduce_scatter(call: Call) -> None:
    """Reduce every block to rank 0 in rank order, then scatter the blocks from it."""
    n, count = call.size, call.problem.count
    tree_reduce(call, 0, n * count)
    tree_scatter(call, 0, count)
