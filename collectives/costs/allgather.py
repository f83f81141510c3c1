"""The reference costs of the all-gather algorithms: every rank sends the N - 1 blocks not its
own, K(N - 1)/N, in all four; they differ in steps (and hierarchical in what crosses nodes)."""

from __future__ import annotations

from collectives.bruck import bruck_steps
from collectives.costs.reduce_scatter import in_nodes
from collectives.costs.reference import ReferenceCost, all_but_own_block, cost
from collectives.halving_doubling import steps_of
from collectives.spec import Problem


@cost("allgather", "ring")
def ring(problem: Problem) -> ReferenceCost:
    """N - 1 steps of one block."""
    return all_but_own_block(problem, problem.ranks - 1)


@cost("allgather", "bruck")
def bruck(problem: Problem) -> ReferenceCost:
    """R steps, at step k min(2**k, N - 2**k) blocks."""
    return all_but_own_block(problem, bruck_steps(problem.ranks))


@cost("allgather", "recursive_doubling")
def recursive_doubling(problem: Problem) -> ReferenceCost:
    """N = 2**L: L steps, at step k 2**k blocks."""
    return all_but_own_block(problem, steps_of(problem.ranks))


@cost("allgather", "hierarchical")
def hierarchical(problem: Problem) -> ReferenceCost:
    """M - 1 steps of one block across nodes, then G - 1 steps of a column (M blocks) inside
    each node: every rank sends N - 1 blocks, M - 1 of them across nodes."""
    return in_nodes(problem, reduced=False)
