"""The reference costs of the broadcast algorithms."""

from __future__ import annotations

import numpy as np

from collectives.chain import chain_steps
from collectives.costs import tree_bytes
from collectives.costs.reference import ReferenceCost, cost, share
from collectives.partition import chunk_offsets
from collectives.spec import Problem
from collectives.tree import binomial_children, binomial_rounds, binomial_subtree


@cost("broadcast", "binomial")
def binomial(problem: Problem) -> ReferenceCost:
    """R steps of K: each vrank sends K once per child."""
    rounds, k = binomial_rounds(problem.ranks), problem.nbytes
    return ReferenceCost(rounds, tree_bytes.broadcast_bytes(problem, problem.root, k),
                         path_bytes=rounds * k)


@cost("broadcast", "scatter_allgather")
def scatter_allgather(problem: Problem) -> ReferenceCost:
    """Chunk v (of N, uneven by at most one element) is vrank v's. Scatter: a vrank sends each
    child the chunks of the child's subtree; ring all-gather: every chunk but c(v+1). Time
    (R + N - 1)·alpha + 2K(N - 1)/N·beta."""
    n = problem.ranks
    bounds = chunk_offsets(problem.count, n) * problem.itemsize

    def sent(vrank: int) -> int:
        scatter = sum(int(bounds[binomial_subtree(child, n)[1]] - bounds[child])
                      for child in binomial_children(vrank, n))
        following = (vrank + 1) % n
        return scatter + problem.nbytes - int(bounds[following + 1] - bounds[following])

    return ReferenceCost(binomial_rounds(n) + n - 1,
                         tree_bytes.per_vrank(problem, problem.root, sent),
                         path_bytes=2 * share(problem))


@cost("broadcast", "pipeline")
def pipeline(problem: Problem) -> ReferenceCost:
    """N - 2 + S steps of K/S (exact when S divides the count); every rank but the last of the
    chain, root - 1, sends K."""
    n, k = problem.ranks, problem.nbytes
    sent = np.full(n, k, dtype=np.int64)
    sent[(problem.root - 1) % n] = 0
    steps = chain_steps(n, problem.segments)
    return ReferenceCost(steps, sent, path_bytes=steps * k / problem.segments)
