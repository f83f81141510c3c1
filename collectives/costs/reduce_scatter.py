"""The reference costs of the reduce-scatter algorithms."""

from __future__ import annotations

from collectives.costs import halving, tree_bytes
from collectives.costs.reference import (
    ReferenceCost,
    all_but_own_block,
    cost,
    every_rank_sends,
    share,
)
from collectives.hierarchy import group_size_of, node_count
from collectives.spec import Problem
from collectives.tree import binomial_rounds


@cost("reduce_scatter", "ring")
def ring(problem: Problem) -> ReferenceCost:
    """N - 1 steps of one block, sent on to the next rank and reduced there."""
    return all_but_own_block(problem, problem.ranks - 1, reduced=True)


@cost("reduce_scatter", "pairwise")
def pairwise(problem: Problem) -> ReferenceCost:
    """N - 1 steps of one block, sent to its owner and reduced there."""
    return all_but_own_block(problem, problem.ranks - 1, reduced=True)


@cost("reduce_scatter", "binomial")
def binomial(problem: Problem) -> ReferenceCost:
    """A binomial reduce of all K to rank 0 (R steps of K, sent and reduced), then a binomial
    scatter from rank 0 (R steps, K(N - 1)/N from rank 0)."""
    rounds, k = binomial_rounds(problem.ranks), problem.nbytes
    sent = tree_bytes.reduce_bytes(problem, 0, k) \
        + tree_bytes.scatter_bytes(problem, 0, problem.count * problem.itemsize)
    return ReferenceCost(2 * rounds, sent, path_bytes=rounds * k + share(problem),
                         path_reduced=rounds * k)


@cost("reduce_scatter", "recursive_halving")
def recursive_halving(problem: Problem) -> ReferenceCost:
    """Every rank sends N - 1 blocks (an odd rank below 2·rem N - 2 in the halving and 1 in the
    unfold), but each even rank below 2·rem all N, K, in the fold. Halving step t moves at most
    half + min(half, rem) blocks (half = p >> (t + 1): the first rem units hold two blocks),
    sent and reduced; the unfold one block."""
    n, block = problem.ranks, problem.count * problem.itemsize
    pof2, rem, lg = halving.pof2_rem_steps(n)
    sent = every_rank_sends(problem, n - 1)
    halving.fold_in(problem, sent)
    halves = [pof2 >> (t + 1) for t in range(lg)]
    path = sum((half + min(half, rem)) * block for half in halves)
    fold = problem.nbytes if rem else 0
    unfold = block if rem else 0
    return ReferenceCost(lg + 2 * (rem > 0), sent, path_bytes=path + fold + unfold,
                         path_reduced=path + fold)


@cost("reduce_scatter", "hierarchical")
def hierarchical(problem: Problem) -> ReferenceCost:
    """G - 1 steps of a column (M blocks) inside each node, then M - 1 steps of one block across
    nodes, sent and reduced: every rank sends N - 1 blocks, M - 1 of them across nodes."""
    return in_nodes(problem, reduced=True)


def in_nodes(problem: Problem, *, reduced: bool) -> ReferenceCost:
    """Hierarchical reduce-scatter and all-gather: (G - 1) + (M - 1) steps, K(N - 1)/N bytes
    from every rank, K(M - 1)/N of them across nodes."""
    g = group_size_of(problem.ranks, problem.group_size)
    m = node_count(problem.ranks, g)
    cost_ = all_but_own_block(problem, (g - 1) + (m - 1), reduced=reduced)
    return ReferenceCost(cost_.steps, cost_.bytes_sent, cost_.path_bytes, cost_.path_reduced,
                         across=every_rank_sends(problem, m - 1))
