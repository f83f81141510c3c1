"""The reference costs of the reduce algorithms."""

from __future__ import annotations

from collectives.costs import halving, tree_bytes
from collectives.costs.reference import ReferenceCost, cost
from collectives.halving_doubling import REVERSED, gather_target, home_unit, survivor_rank
from collectives.spec import Problem
from collectives.tree import binomial_rounds


@cost("reduce", "binomial")
def binomial(problem: Problem) -> ReferenceCost:
    """R steps of K, sent and reduced; every rank but the root sends K. A non-commutative op
    with a root other than 0 reduces in rank order to rank 0, which sends K to the root: one
    step and one hop of K more."""
    assert problem.op is not None
    rounds, k, root = binomial_rounds(problem.ranks), problem.nbytes, problem.root
    if problem.op.commutative or root == 0:
        return ReferenceCost(rounds, tree_bytes.reduce_bytes(problem, root, k),
                             path_bytes=rounds * k, path_reduced=rounds * k)
    sent = tree_bytes.reduce_bytes(problem, 0, k)
    sent[0] = k
    return ReferenceCost(rounds + 1, sent, path_bytes=rounds * k + k, path_reduced=rounds * k)


@cost("reduce", "reduce_scatter_gather")
def reduce_scatter_gather(problem: Problem) -> ReferenceCost:
    """Survivors send their halving elements, then each but the gather's target its aligned
    block of 2**j chunks, j the lowest bit where its home differs from the target; a root that
    sat out first gets chunk 0 from newrank 0 (one step more); each even rank below 2·rem sends
    K. Gather step t takes as long as the first block whose index differs from the target's in
    bit t (index 0 or 1); there is a fold but no unfold."""
    n, s = problem.ranks, problem.itemsize
    pof2, _, lg = halving.pof2_rem_steps(n)
    offsets = halving.byte_offsets(problem)
    halving_elements, _ = halving.survivor_elements(problem.count, n)
    sent = halving_elements * s
    halving.fold_in(problem, sent)
    target, stand_in = gather_target(problem.root, n, REVERSED)
    for newrank in range(pof2):
        home = home_unit(newrank, pof2, REVERSED)
        if home != target:
            lowest = (home ^ target) & -(home ^ target)
            sent[survivor_rank(newrank, n)] += halving.aligned_block(offsets, home, lowest)
    gather = 0
    for t in range(lg):
        first = (((target >> t) & 1) ^ 1) << t
        gather += int(offsets[first + (1 << t)] - offsets[first])
    if stand_in is not None:
        sent[stand_in] += halving.aligned_block(offsets, target, 1)
        gather += int(offsets[1])
    folds = halving.folded(problem)
    fold = problem.nbytes if folds else 0
    path = halving.halving_path(problem)
    return ReferenceCost(2 * lg + folds + (stand_in is not None), sent,
                         path_bytes=path + gather + fold, path_reduced=path + fold)
