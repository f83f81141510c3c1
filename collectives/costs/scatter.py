"""The reference costs of the scatter algorithms."""

from __future__ import annotations

import numpy as np

from collectives.costs import tree_bytes
from collectives.costs.reference import ReferenceCost, cost, share
from collectives.spec import Problem
from collectives.tree import binomial_rounds


@cost("scatter", "binomial")
def binomial(problem: Problem) -> ReferenceCost:
    """R steps; each vrank sends each child the blocks of the child's subtree, the root
    K(N - 1)/N in all."""
    block = problem.count * problem.itemsize
    return ReferenceCost(binomial_rounds(problem.ranks),
                         tree_bytes.scatter_bytes(problem, problem.root, block),
                         path_bytes=share(problem))


@cost("scatter", "linear")
def linear(problem: Problem) -> ReferenceCost:
    """N - 1 steps of one block, all from the root."""
    n = problem.ranks
    sent = np.zeros(n, dtype=np.int64)
    sent[problem.root] = (n - 1) * problem.count * problem.itemsize
    return ReferenceCost(n - 1, sent, path_bytes=share(problem))
