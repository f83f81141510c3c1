"""Binomial-tree gather: each child sends its parent the blocks of its whole subtree.

Assumes: any N and root (a subtree that wraps past rank N - 1 travels as two messages).
Cost: its schedule's (:mod:`collectives.sim.algorithms.binomial_gather`), message for message.
"""

from __future__ import annotations

from collectives.mpi.algorithms.phases import tree_gather
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("gather", "binomial")
def binomial_gather(call: Call) -> None:
    """Binomial gather of every rank's block to the root."""
    tree_gather(call, call.problem.root, call.problem.count)
