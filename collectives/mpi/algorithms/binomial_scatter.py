"""Binomial-tree scatter: each parent sends each child the blocks of the child's whole subtree.

Assumes: any N and root. A subtree is contiguous in ranks relative to the root; when it wraps
past rank N - 1 it travels as two messages to the same peer in the same step.
Cost: its schedule's (:mod:`collectives.sim.algorithms.binomial_scatter`), message for message.
"""

from __future__ import annotations

from collectives.mpi.algorithms.phases import tree_scatter
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("scatter", "binomial")
def binomial_scatter(call: Call) -> None:
    """Binomial scatter of the root's N blocks."""
    tree_scatter(call, call.problem.root, call.problem.count)
