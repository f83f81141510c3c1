"""Reduce-scatter by binomial reduce of all N blocks to rank 0, then binomial scatter.

Assumes: any N; keeps rank order, so it serves non-commutative ops that ring cannot.
Cost: 2·ceil(lg N) steps; every rank but 0 sends K in the reduce; rank 0 sends K(N - 1)/N in
the scatter. One scratch buffer of K bytes holds what a child sends.
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
