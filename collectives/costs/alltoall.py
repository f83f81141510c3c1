"""The reference costs of the all-to-all algorithms."""

from __future__ import annotations

from collectives.bruck import alltoall_total_blocks, bruck_steps
from collectives.costs.reference import ReferenceCost, all_but_own_block, cost, every_rank_sends
from collectives.spec import Problem


@cost("alltoall", "pairwise")
def pairwise(problem: Problem) -> ReferenceCost:
    """N - 1 steps of one block, each to its owner."""
    return all_but_own_block(problem, problem.ranks - 1)


@cost("alltoall", "bruck")
def bruck(problem: Problem) -> ReferenceCost:
    """R steps; every rank sends sum(popcount(i), i < N) blocks, (K/2)·lg N for N = 2**k."""
    blocks = alltoall_total_blocks(problem.ranks)
    return ReferenceCost(bruck_steps(problem.ranks), every_rank_sends(problem, blocks),
                         path_bytes=blocks * problem.count * problem.itemsize)
