"""The reference costs of the gather algorithms."""

from __future__ import annotations

import numpy as np

from collectives.costs import tree_bytes
from collectives.costs.reference import ReferenceCost, cost, share
from collectives.spec import Problem
from collectives.tree import binomial_rounds


@cost("gather", "binomial")
def binomial(problem: Problem) -> ReferenceCost:
    """R steps; each vrank but the root sends its parent the blocks of its subtree, and the root
    receives K(N - 1)/N."""
    block = problem.count * problem.itemsize
    return ReferenceCost(binomial_rounds(problem.ranks),
                         tree_bytes.gather_bytes(problem, problem.root, block),
                         path_bytes=share(problem))


@cost("gather", "linear")
def linear(problem: Problem) -> ReferenceCost:
    """N - 1 steps of one block, each rank but the root sending its own."""
    sent = np.full(problem.ranks, problem.count * problem.itemsize, dtype=np.int64)
    sent[problem.root] = 0
    return ReferenceCost(problem.ranks - 1, sent, path_bytes=share(problem))
