"""The reference's cost of each algorithm: steps, and the exact bytes each rank sends.

These are the figures of ``collectives.md``'s cost table, written from the formulas (with the
uneven-chunk form where N does not divide the count) and not from the schedules, so a test can
hold each schedule to them. ``K`` is :attr:`Problem.nbytes`, ``B`` one block's bytes,
``R = ceil(lg N)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.bruck import alltoall_total_blocks, bruck_steps
from collectives.chain import chain_steps
from collectives.double_tree import double_binary_tree, phase_rounds
from collectives.fold import is_power_of_two, largest_power_of_two
from collectives.halving_doubling import (
    REVERSED,
    gather_target,
    home_unit,
    steps_of,
    survivor_rank,
)
from collectives.partition import chunk_counts, chunk_offsets
from collectives.spec import Problem
from collectives.tree import binomial_children, binomial_rounds, binomial_subtree, to_absolute


@dataclass(frozen=True)
class ReferenceCost:
    """Steps and per-rank bytes sent that the reference gives for one algorithm and call."""

    steps: int
    bytes_sent: np.ndarray

    @property
    def busiest(self) -> int:
        """Bytes sent by the busiest rank."""
        return int(self.bytes_sent.max()) if self.bytes_sent.size else 0

    @property
    def total(self) -> int:
        """Bytes sent by all ranks together."""
        return int(self.bytes_sent.sum())


def _per_vrank(problem: Problem, root: int, bytes_of_vrank) -> np.ndarray:
    sent = np.zeros(problem.ranks, dtype=np.int64)
    for vrank in range(problem.ranks):
        sent[to_absolute(vrank, root, problem.ranks)] = bytes_of_vrank(vrank)
    return sent


def _subtree_blocks(vrank: int, ranks: int) -> int:
    start, stop = binomial_subtree(vrank, ranks)
    return stop - start


def _tree_broadcast_bytes(problem: Problem, root: int, nbytes: int) -> np.ndarray:
    """Binomial broadcast of ``nbytes``: each vrank sends them once per child."""
    n = problem.ranks
    return _per_vrank(problem, root, lambda v: nbytes * len(binomial_children(v, n)))


def _tree_reduce_bytes(problem: Problem, root: int, nbytes: int) -> np.ndarray:
    """Binomial reduce of ``nbytes``: every rank but the root sends them once."""
    return _per_vrank(problem, root, lambda v: nbytes if v else 0)


def _scatter_tree_bytes(problem: Problem, root: int, block: int) -> np.ndarray:
    """Binomial scatter: each vrank sends each child the blocks of the child's subtree."""
    n = problem.ranks
    return _per_vrank(problem, root, lambda v: block * sum(
        _subtree_blocks(child, n) for child in binomial_children(v, n)))


# -- recursive halving and doubling (collectives.halving_doubling) ------------------------------
# p is the largest power of two <= N, rem = N - p, L = lg p. For N = p and a count p divides
# these are the table's rows. Otherwise they add the fold (collectives.fold: a step in, with K
# from each even rank below 2·rem, and a step out) and count uneven chunks exactly: each time is
# the table's formula with every step's largest message in place of its even share.


def _pof2_rem_steps(ranks: int) -> tuple[int, int, int]:
    """(p, rem, L)."""
    pof2 = largest_power_of_two(ranks)
    return pof2, ranks - pof2, steps_of(pof2)


def _aligned_block(offsets: np.ndarray, unit: int, size: int) -> int:
    """Elements in the aligned block of ``size`` units around ``unit``."""
    first = unit // size * size
    return int(offsets[first + size] - offsets[first])


def _recursive_doubling_allgather_cost(problem: Problem) -> ReferenceCost:
    """N = 2**L: L steps, every rank sends N - 1 blocks, K(N - 1)/N."""
    n, block = problem.ranks, problem.count * problem.itemsize
    return ReferenceCost(steps_of(n), np.full(n, (n - 1) * block, dtype=np.int64))


def _recursive_halving_reduce_scatter_cost(problem: Problem) -> ReferenceCost:
    """Every rank sends N - 1 blocks, K(N - 1)/N (an odd rank below 2·rem sends N - 2 in the
    halving and 1 in the unfold), but each even rank below 2·rem all N, K, in the fold."""
    n, block = problem.ranks, problem.count * problem.itemsize
    _, rem, lg = _pof2_rem_steps(n)
    sent = np.full(n, (n - 1) * block, dtype=np.int64)
    sent[0:2 * rem:2] = n * block
    return ReferenceCost(lg + 2 * (rem > 0), sent)


def _recursive_doubling_allreduce_cost(problem: Problem) -> ReferenceCost:
    """Survivors send K per step, L·K; the odd ranks below 2·rem K more (the unfold); each even
    rank below 2·rem K (the fold) alone."""
    n, k = problem.ranks, problem.nbytes
    _, rem, lg = _pof2_rem_steps(n)
    sent = np.full(n, lg * k, dtype=np.int64)
    sent[0:2 * rem:2] = k
    sent[1:2 * rem:2] += k
    return ReferenceCost(lg + 2 * (rem > 0), sent)


def _rabenseifner_survivor_elements(count: int, ranks: int) -> tuple[np.ndarray, np.ndarray]:
    """Per real rank, elements sent in the halving (count - c[home]: all but the home chunk) and
    in the doubling (the aligned blocks of 1, 2, ..., p/2 chunks around the home chunk)."""
    pof2, _, lg = _pof2_rem_steps(ranks)
    offsets = chunk_offsets(count, pof2)
    halving, doubling = np.zeros(ranks, dtype=np.int64), np.zeros(ranks, dtype=np.int64)
    for newrank in range(pof2):
        home, rank = home_unit(newrank, pof2, REVERSED), survivor_rank(newrank, ranks)
        halving[rank] = count - _aligned_block(offsets, home, 1)
        doubling[rank] = sum(_aligned_block(offsets, home, 1 << t) for t in range(lg))
    return halving, doubling


def _rabenseifner_allreduce_cost(problem: Problem) -> ReferenceCost:
    """Survivors send their halving and doubling elements, 2K(p - 1)/p when p divides the count;
    the odd ranks below 2·rem K more (the unfold); each even rank below 2·rem K (the fold)."""
    n, k = problem.ranks, problem.nbytes
    _, rem, lg = _pof2_rem_steps(n)
    halving, doubling = _rabenseifner_survivor_elements(problem.count, n)
    sent = (halving + doubling) * problem.itemsize
    sent[0:2 * rem:2] = k
    sent[1:2 * rem:2] += k
    return ReferenceCost(2 * lg + 2 * (rem > 0), sent)


def _reduce_scatter_gather_cost(problem: Problem) -> ReferenceCost:
    """Survivors send their halving elements, then each but the gather's target its aligned block
    of 2**j chunks, j the lowest bit where its home differs from the target; a root that sat out
    first gets chunk 0 from newrank 0 (one step more); each even rank below 2·rem sends K."""
    n, count, s = problem.ranks, problem.count, problem.itemsize
    pof2, rem, lg = _pof2_rem_steps(n)
    offsets = chunk_offsets(count, pof2)
    halving, _ = _rabenseifner_survivor_elements(count, n)
    sent = halving * s
    sent[0:2 * rem:2] = problem.nbytes
    target, stand_in = gather_target(problem.root, n, REVERSED)
    for newrank in range(pof2):
        home = home_unit(newrank, pof2, REVERSED)
        if home != target:
            lowest = (home ^ target) & -(home ^ target)
            sent[survivor_rank(newrank, n)] += _aligned_block(offsets, home, lowest) * s
    if stand_in is not None:
        sent[stand_in] += _aligned_block(offsets, target, 1) * s
    return ReferenceCost(2 * lg + (rem > 0) + (stand_in is not None), sent)


def _fold_time(problem: Problem, alpha: float, beta: float, gamma: float,
               unfold_bytes: int | None) -> float:
    """The fold's step (K reduced at the odd ranks) and, unless None, the unfold's."""
    if is_power_of_two(problem.ranks):
        return 0.0
    fold = alpha + problem.nbytes * (beta + gamma)
    return fold + (0.0 if unfold_bytes is None else alpha + unfold_bytes * beta)


def _recursive_doubling_allgather_time(problem: Problem, alpha: float, beta: float,
                                       gamma: float) -> float:
    """The table's L·alpha + K(N - 1)/N·beta (N = 2**L)."""
    n = problem.ranks
    return steps_of(n) * alpha + problem.nbytes * (n - 1) / n * beta


def _recursive_halving_reduce_scatter_time(problem: Problem, alpha: float, beta: float,
                                           gamma: float) -> float:
    """L·alpha + K(N - 1)/N·(beta + gamma) for N = p. Otherwise step t moves at most
    half + min(half, rem) blocks (half = p >> (t + 1): the first rem units hold two blocks),
    and the fold and an unfold of one block are added."""
    block = problem.count * problem.itemsize
    pof2, rem, lg = _pof2_rem_steps(problem.ranks)
    halves = [pof2 >> (t + 1) for t in range(lg)]
    return sum(alpha + (half + min(half, rem)) * block * (beta + gamma) for half in halves) \
        + _fold_time(problem, alpha, beta, gamma, block)


def _recursive_doubling_allreduce_time(problem: Problem, alpha: float, beta: float,
                                       gamma: float) -> float:
    """L(alpha + K·beta + K·gamma), plus the fold and an unfold of K."""
    k, lg = problem.nbytes, _pof2_rem_steps(problem.ranks)[2]
    return lg * (alpha + k * beta + k * gamma) + _fold_time(problem, alpha, beta, gamma, k)


def _rabenseifner_halving_time(problem: Problem, alpha: float, beta: float,
                               gamma: float) -> float:
    """Halving step t: as long as the first p >> (t + 1) chunks take (the largest half; the first
    count % p chunks are one element longer). K(p - 1)/p·(beta + gamma) + L·alpha in all when p
    divides the count."""
    pof2, _, lg = _pof2_rem_steps(problem.ranks)
    offsets = chunk_offsets(problem.count, pof2) * problem.itemsize
    return sum(alpha + int(offsets[pof2 >> (t + 1)]) * (beta + gamma) for t in range(lg))


def _rabenseifner_allreduce_time(problem: Problem, alpha: float, beta: float,
                                 gamma: float) -> float:
    """2L·alpha + 2K(N - 1)/N·beta + K(N - 1)/N·gamma for N = p dividing the count. Otherwise:
    doubling step t as long as the first 2**t chunks take, and the fold and an unfold of K."""
    pof2, _, lg = _pof2_rem_steps(problem.ranks)
    offsets = chunk_offsets(problem.count, pof2) * problem.itemsize
    doubling = sum(alpha + int(offsets[1 << t]) * beta for t in range(lg))
    return _rabenseifner_halving_time(problem, alpha, beta, gamma) + doubling \
        + _fold_time(problem, alpha, beta, gamma, problem.nbytes)


def _reduce_scatter_gather_time(problem: Problem, alpha: float, beta: float,
                                gamma: float) -> float:
    """2L·alpha + 2K(N - 1)/N·beta + K(N - 1)/N·gamma for N = p dividing the count. Otherwise:
    gather step t sends the aligned blocks of 2**t chunks whose index differs in its lowest bit
    from the target's, so it takes as long as the first of them (index 0 or 1); a root that sat
    out adds alpha + c[0]·beta; and the fold."""
    pof2, _, lg = _pof2_rem_steps(problem.ranks)
    offsets = chunk_offsets(problem.count, pof2) * problem.itemsize
    target, stand_in = gather_target(problem.root, problem.ranks, REVERSED)
    gather = 0.0
    for t in range(lg):
        first = (((target >> t) & 1) ^ 1) << t
        gather += alpha + int(offsets[first + (1 << t)] - offsets[first]) * beta
    hand_over = 0.0 if stand_in is None else alpha + int(offsets[1]) * beta
    return _rabenseifner_halving_time(problem, alpha, beta, gamma) + hand_over + gather \
        + _fold_time(problem, alpha, beta, gamma, None)


_HALVING_DOUBLING_COSTS = {
    ("allgather", "recursive_doubling"): _recursive_doubling_allgather_cost,
    ("reduce_scatter", "recursive_halving"): _recursive_halving_reduce_scatter_cost,
    ("allreduce", "recursive_doubling"): _recursive_doubling_allreduce_cost,
    ("allreduce", "rabenseifner"): _rabenseifner_allreduce_cost,
    ("reduce", "reduce_scatter_gather"): _reduce_scatter_gather_cost,
}
_HALVING_DOUBLING_TIMES = {
    ("allgather", "recursive_doubling"): _recursive_doubling_allgather_time,
    ("reduce_scatter", "recursive_halving"): _recursive_halving_reduce_scatter_time,
    ("allreduce", "recursive_doubling"): _recursive_doubling_allreduce_time,
    ("allreduce", "rabenseifner"): _rabenseifner_allreduce_time,
    ("reduce", "reduce_scatter_gather"): _reduce_scatter_gather_time,
}


# -- any N without a fold: van de Geijn, pipelined chain, Bruck, pairwise, double binary tree ---
# S is problem.segments. Times are exact on uniform links when N (van de Geijn), S (chain) or 2S
# (double binary tree) divides the count, as the table's rows are.


def _scatter_allgather_broadcast_cost(problem: Problem) -> ReferenceCost:
    """Chunk v (of N, uneven by at most one element) is vrank v's. Scatter: a vrank sends each
    child the chunks of the child's subtree; ring all-gather: every chunk but c(v+1)."""
    n = problem.ranks
    bounds = chunk_offsets(problem.count, n) * problem.itemsize

    def sent(vrank: int) -> int:
        scatter = sum(int(bounds[binomial_subtree(child, n)[1]] - bounds[child])
                      for child in binomial_children(vrank, n))
        following = (vrank + 1) % n
        return scatter + problem.nbytes - int(bounds[following + 1] - bounds[following])

    return ReferenceCost(binomial_rounds(n) + n - 1, _per_vrank(problem, problem.root, sent))


def _pipeline_broadcast_cost(problem: Problem) -> ReferenceCost:
    """N - 2 + S steps; every rank but the last of the chain, root - 1, sends K."""
    n = problem.ranks
    sent = np.full(n, problem.nbytes, dtype=np.int64)
    sent[(problem.root - 1) % n] = 0
    return ReferenceCost(chain_steps(n, problem.segments), sent)


def _n_minus_1_blocks_cost(problem: Problem, steps: int) -> ReferenceCost:
    """Every rank sends N - 1 blocks, K(N - 1)/N (Bruck all-gather, pairwise reduce-scatter)."""
    n = problem.ranks
    return ReferenceCost(steps, np.full(n, (n - 1) * problem.count * problem.itemsize,
                                        dtype=np.int64))


def _bruck_alltoall_cost(problem: Problem) -> ReferenceCost:
    """ceil(lg N) steps; every rank sends sum(popcount(i), i < N) blocks ((K/2) lg N, N = 2**k)."""
    n, block = problem.ranks, problem.count * problem.itemsize
    return ReferenceCost(bruck_steps(n),
                         np.full(n, alltoall_total_blocks(n) * block, dtype=np.int64))


def _double_binary_tree_cost(problem: Problem) -> ReferenceCost:
    """4(S + D - 1) steps; in tree h a rank sends its half K_h up unless it is the root, and K_h
    to each of its children."""
    n = problem.ranks
    halves = chunk_counts(problem.count, 2) * problem.itemsize
    sent = np.zeros(n, dtype=np.int64)
    for half, tree in zip(halves, double_binary_tree(n), strict=True):
        for rank in range(n):
            sent[rank] += int(half) * ((rank != tree.root) + len(tree.children[rank]))
    return ReferenceCost(4 * phase_rounds(n, problem.segments), sent)


def _double_binary_tree_time(problem: Problem, alpha: float, beta: float,
                             gamma: float) -> float:
    """2(S + D - 1) reduce steps of K/(2S) bytes, then as many broadcast steps."""
    rounds, piece = phase_rounds(problem.ranks, problem.segments), \
        problem.nbytes / (2 * problem.segments)
    return 2 * rounds * (alpha + piece * (beta + gamma)) + 2 * rounds * (alpha + piece * beta)


def _pipeline_broadcast_time(problem: Problem, alpha: float, beta: float,
                             gamma: float) -> float:
    """(N - 2 + S)(alpha + K·beta/S)."""
    steps = chain_steps(problem.ranks, problem.segments)
    return steps * (alpha + problem.nbytes * beta / problem.segments)


def _scatter_allgather_broadcast_time(problem: Problem, alpha: float, beta: float,
                                      gamma: float) -> float:
    """(ceil(lg N) + N - 1)·alpha + 2K(N - 1)/N·beta."""
    n, k = problem.ranks, problem.nbytes
    return (binomial_rounds(n) + n - 1) * alpha + 2 * (k * (n - 1) / n) * beta


def _bruck_allgather_time(problem: Problem, alpha: float, beta: float, gamma: float) -> float:
    """ceil(lg N)·alpha + K(N - 1)/N·beta."""
    n, k = problem.ranks, problem.nbytes
    return bruck_steps(n) * alpha + k * (n - 1) / n * beta


def _pairwise_reduce_scatter_time(problem: Problem, alpha: float, beta: float,
                                  gamma: float) -> float:
    """(N - 1)·alpha + K(N - 1)/N·(beta + gamma)."""
    n, k = problem.ranks, problem.nbytes
    return (n - 1) * alpha + k * (n - 1) / n * (beta + gamma)


def _bruck_alltoall_time(problem: Problem, alpha: float, beta: float, gamma: float) -> float:
    """ceil(lg N)·alpha + sum(popcount(i))·(K/N)·beta: lg N·alpha + (K/2) lg N·beta for N = 2**k."""
    n, block = problem.ranks, problem.count * problem.itemsize
    return bruck_steps(n) * alpha + alltoall_total_blocks(n) * block * beta


_NO_FOLD_COSTS = {
    ("broadcast", "scatter_allgather"): _scatter_allgather_broadcast_cost,
    ("broadcast", "pipeline"): _pipeline_broadcast_cost,
    ("allgather", "bruck"): lambda p: _n_minus_1_blocks_cost(p, bruck_steps(p.ranks)),
    ("reduce_scatter", "pairwise"): lambda p: _n_minus_1_blocks_cost(p, p.ranks - 1),
    ("alltoall", "bruck"): _bruck_alltoall_cost,
    ("allreduce", "double_binary_tree"): _double_binary_tree_cost,
}
_NO_FOLD_TIMES = {
    ("broadcast", "scatter_allgather"): _scatter_allgather_broadcast_time,
    ("broadcast", "pipeline"): _pipeline_broadcast_time,
    ("allgather", "bruck"): _bruck_allgather_time,
    ("reduce_scatter", "pairwise"): _pairwise_reduce_scatter_time,
    ("alltoall", "bruck"): _bruck_alltoall_time,
    ("allreduce", "double_binary_tree"): _double_binary_tree_time,
}


def reference_cost(problem: Problem, algorithm: str) -> ReferenceCost:
    """Steps and exact bytes sent per rank for ``algorithm`` on ``problem``."""
    n, root = problem.ranks, problem.root
    block = problem.count * problem.itemsize
    nbytes = problem.nbytes
    rounds = binomial_rounds(n)
    each = np.full(n, (n - 1) * block, dtype=np.int64)
    key = (problem.collective, algorithm)
    if key == ("broadcast", "binomial"):
        return ReferenceCost(rounds, _tree_broadcast_bytes(problem, root, nbytes))
    if key == ("scatter", "binomial"):
        return ReferenceCost(rounds, _scatter_tree_bytes(problem, root, block))
    if key == ("gather", "binomial"):
        return ReferenceCost(rounds, _per_vrank(
            problem, root, lambda v: block * _subtree_blocks(v, n) if v else 0))
    if key in (("scatter", "linear"), ("gather", "linear")):
        sent = np.zeros(n, dtype=np.int64)
        if key[0] == "scatter":
            sent[root] = (n - 1) * block
        else:
            sent[:] = block
            sent[root] = 0
        return ReferenceCost(n - 1, sent)
    if key == ("reduce", "binomial"):
        assert problem.op is not None
        if problem.op.commutative or root == 0:
            return ReferenceCost(rounds, _tree_reduce_bytes(problem, root, nbytes))
        # Non-commutative, root != 0: reduce in rank order to rank 0, which sends to the root.
        sent = _tree_reduce_bytes(problem, 0, nbytes)
        sent[0] = nbytes
        return ReferenceCost(rounds + 1, sent)
    if key in (("allgather", "ring"), ("reduce_scatter", "ring"), ("alltoall", "pairwise")):
        return ReferenceCost(n - 1, each if n > 1 else np.zeros(n, dtype=np.int64))
    if key == ("reduce_scatter", "binomial"):
        sent = _tree_reduce_bytes(problem, 0, nbytes) + _scatter_tree_bytes(problem, 0, block)
        return ReferenceCost(2 * rounds, sent)
    if key == ("allreduce", "ring"):
        chunk = chunk_counts(problem.count, n) * problem.itemsize
        ranks = np.arange(n)
        sent = 2 * nbytes - chunk[(ranks + 1) % n] - chunk[(ranks + 2) % n]
        return ReferenceCost(2 * (n - 1), sent.astype(np.int64))
    if key == ("allreduce", "tree"):
        sent = _tree_reduce_bytes(problem, 0, nbytes) + _tree_broadcast_bytes(problem, 0, nbytes)
        return ReferenceCost(2 * rounds, sent)
    if key in _HALVING_DOUBLING_COSTS:
        return _HALVING_DOUBLING_COSTS[key](problem)
    if key in _NO_FOLD_COSTS:
        return _NO_FOLD_COSTS[key](problem)
    raise KeyError(f"no reference cost for {problem.collective} algorithm {algorithm!r}")


def reference_time(problem: Problem, algorithm: str, alpha: float, beta: float,
                   gamma: float) -> float:
    """The reference table's time of ``algorithm`` on ``problem``: ``alpha`` seconds per
    message, ``beta`` seconds per byte on a link, ``gamma`` seconds per byte reduced.

    Written from the table's formulas (``K(N-1)/N`` as it stands), so it is the simulator's time
    on uniform fully connected links when N divides the count. Rows the table lacks are
    composed of rows it has: binomial reduce-scatter is a binomial reduce of K then a binomial
    scatter; a non-commutative binomial reduce to a root other than 0 adds one hop of K. The
    recursive halving and doubling rows extend to any N with the fold's steps and to uneven
    chunks with each step's largest message, exactly (see their helpers). Bruck all-to-all is
    written exactly for any N (its blocks per step are ``sum(popcount(i), i < N)`` in all, the
    table's ``(K/2) lg N`` for N = 2**k); the pipelined rows (chain broadcast, double binary
    tree) are exact when S, resp. 2S, divides the count.
    """
    n, k, rounds = problem.ranks, problem.nbytes, binomial_rounds(problem.ranks)
    share = k * (n - 1) / n  # K(N-1)/N
    key = (problem.collective, algorithm)
    if key == ("broadcast", "binomial"):
        return rounds * (alpha + k * beta)
    if key in (("scatter", "binomial"), ("gather", "binomial")):
        return rounds * alpha + share * beta
    if key in (("scatter", "linear"), ("gather", "linear"), ("allgather", "ring"),
               ("alltoall", "pairwise")):
        return (n - 1) * alpha + share * beta
    if key == ("reduce", "binomial"):
        assert problem.op is not None
        via_zero = not problem.op.commutative and problem.root != 0
        return rounds * (alpha + k * beta + k * gamma) + (alpha + k * beta if via_zero else 0.0)
    if key == ("reduce_scatter", "ring"):
        return (n - 1) * alpha + share * (beta + gamma)
    if key == ("reduce_scatter", "binomial"):
        return rounds * (alpha + k * beta + k * gamma) + rounds * alpha + share * beta
    if key == ("allreduce", "ring"):
        return 2 * (n - 1) * alpha + 2 * share * beta + share * gamma
    if key == ("allreduce", "tree"):
        return 2 * rounds * (alpha + k * beta) + rounds * k * gamma
    if key in _HALVING_DOUBLING_TIMES:
        return _HALVING_DOUBLING_TIMES[key](problem, alpha, beta, gamma)
    if key in _NO_FOLD_TIMES:
        return _NO_FOLD_TIMES[key](problem, alpha, beta, gamma)
    raise KeyError(f"no reference time for {problem.collective} algorithm {algorithm!r}")
