"""Binomial-tree reduce: each parent combines its children's partial results, smallest first.

Assumes: any N and root. A parent keeps its own (lower-rank) data on the left, so with root 0
the result is x0 ∘ x1 ∘ ... ∘ x(N-1) for any associative op. For a non-commutative op and a
root other than 0 it reduces to rank 0, which sends the result to the root (MPICH's way).
Cost: its schedule's (:mod:`collectives.sim.algorithms.binomial_reduce`), message for message.
One scratch buffer of K bytes holds what a child sends.
"""

from __future__ import annotations

from collectives.mpi.algorithms.phases import tree_reduce
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("reduce", "binomial")
def binomial_reduce(call: Call) -> None:
    """Binomial reduce to the root (via rank 0 when a non-commutative op needs rank order)."""
    root, count = call.problem.root, call.problem.count
    in_order_via_zero = not call.op.commutative and root != 0
    tree_reduce(call, 0 if in_order_via_zero else root, count)
    if in_order_via_zero:  # the hop to the root
        if call.rank == 0:
            call.transport.send(call.work[:count], root)
        elif call.rank == root:
            call.transport.recv(call.work[:count], 0)
