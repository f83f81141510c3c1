"""The reference costs of the all-reduce algorithms."""

from __future__ import annotations

import numpy as np

from collectives import double_tree, swing
from collectives.costs import halving, tree_bytes
from collectives.costs.reference import ReferenceCost, cost, share
from collectives.hierarchy import group_size_of, node_count, node_of, place_of, reduced_chunk
from collectives.partition import chunk_counts
from collectives.spec import Problem
from collectives.tree import binomial_rounds


@cost("allreduce", "ring")
def ring(problem: Problem) -> ReferenceCost:
    """2(N - 1) steps of one chunk, reduced in the first N - 1; rank r sends all chunks but
    c(r+1) and c(r+2): 2K - c(r+1) - c(r+2), 2K(N - 1)/N when N divides the count."""
    n = problem.ranks
    chunk = chunk_counts(problem.count, n) * problem.itemsize
    ranks = np.arange(n)
    sent = 2 * problem.nbytes - chunk[(ranks + 1) % n] - chunk[(ranks + 2) % n]
    return ReferenceCost(2 * (n - 1), sent.astype(np.int64), path_bytes=2 * share(problem),
                         path_reduced=share(problem))


@cost("allreduce", "tree")
def tree(problem: Problem) -> ReferenceCost:
    """A binomial reduce of K to rank 0, then a binomial broadcast of K from rank 0: 2R steps
    of K, the first R reduced."""
    rounds, k = binomial_rounds(problem.ranks), problem.nbytes
    sent = tree_bytes.reduce_bytes(problem, 0, k) + tree_bytes.broadcast_bytes(problem, 0, k)
    return ReferenceCost(2 * rounds, sent, path_bytes=2 * rounds * k, path_reduced=rounds * k)


@cost("allreduce", "double_binary_tree")
def double_binary_tree(problem: Problem) -> ReferenceCost:
    """4(S + D - 1) steps of K/(2S) (exact when 2S divides the count), the first half reduced;
    in tree h a rank sends its half K_h up unless it is the root, and K_h to each of its
    children."""
    n = problem.ranks
    halves = chunk_counts(problem.count, 2) * problem.itemsize
    sent = np.zeros(n, dtype=np.int64)
    for half, binary_tree in zip(halves, double_tree.double_binary_tree(n), strict=True):
        for rank in range(n):
            sent[rank] += int(half) * ((rank != binary_tree.root) + len(binary_tree.children[rank]))
    rounds = double_tree.phase_rounds(n, problem.segments)
    piece = problem.nbytes / (2 * problem.segments)
    return ReferenceCost(4 * rounds, sent, path_bytes=4 * rounds * piece,
                         path_reduced=2 * rounds * piece)


@cost("allreduce", "recursive_doubling")
def recursive_doubling(problem: Problem) -> ReferenceCost:
    """L steps of K, sent and reduced: survivors send L·K; each even rank below 2·rem K (the
    fold) alone, reduced at its partner; the odd ranks below 2·rem K more (the unfold)."""
    return _whole_buffer_exchanges(problem)


@cost("allreduce", "swing_latency")
def swing_latency(problem: Problem) -> ReferenceCost:
    """Recursive doubling's figures: L whole-buffer exchanges, only with other peers."""
    return _whole_buffer_exchanges(problem)


def _whole_buffer_exchanges(problem: Problem) -> ReferenceCost:
    """Fold, L steps in which every survivor sends and reduces K, unfold."""
    k = problem.nbytes
    _, rem, lg = halving.pof2_rem_steps(problem.ranks)
    sent = np.full(problem.ranks, lg * k, dtype=np.int64)
    halving.fold_in(problem, sent)
    halving.fold_out(problem, sent)
    fold = k if rem else 0
    return ReferenceCost(lg + 2 * (rem > 0), sent, path_bytes=lg * k + 2 * fold,
                         path_reduced=lg * k + fold)


@cost("allreduce", "rabenseifner")
def rabenseifner(problem: Problem) -> ReferenceCost:
    """Survivors send their halving and doubling elements, 2K(p - 1)/p when p divides the count;
    each even rank below 2·rem K (the fold); the odd ranks below 2·rem K more (the unfold).
    Doubling step t takes as long as the first 2**t chunks."""
    return _halving_then_doubling(problem, None)


@cost("allreduce", "swing")
def swing_bandwidth(problem: Problem) -> ReferenceCost:
    """Rabenseifner's figures with each survivor's home chunk the swing home
    (:func:`collectives.swing.home`) instead of its bit-reversed newrank: the same steps and
    path, and where the chunks are uneven, other bytes per rank."""
    pof2 = halving.pof2_rem_steps(problem.ranks)[0]
    return _halving_then_doubling(problem, swing.homes(pof2))


def _halving_then_doubling(problem: Problem, homes: np.ndarray | None) -> ReferenceCost:
    """Fold, a halving reduce-scatter and a doubling all-gather over p chunks (survivor i's home
    chunk ``homes[i]``, Rabenseifner's by default), unfold."""
    k = problem.nbytes
    _, rem, lg = halving.pof2_rem_steps(problem.ranks)
    halving_elements, doubling_elements = halving.survivor_elements(problem.count, problem.ranks,
                                                                    homes)
    sent = (halving_elements + doubling_elements) * problem.itemsize
    halving.fold_in(problem, sent)
    halving.fold_out(problem, sent)
    offsets = halving.byte_offsets(problem)
    doubling = sum(int(offsets[1 << t]) for t in range(lg))
    path = halving.halving_path(problem)
    fold = k if rem else 0
    return ReferenceCost(2 * lg + 2 * (rem > 0), sent, path_bytes=path + doubling + 2 * fold,
                         path_reduced=path + fold)


@cost("allreduce", "hierarchical")
def hierarchical(problem: Problem) -> ReferenceCost:
    """2(G - 1) + 2(M - 1) steps. Inside its node, a ring all-reduce over G chunks c: rank r at
    place p sends 2K - c(p+1) - c(p+2). Across nodes, a ring all-reduce among the M ranks of
    place p of chunk q = p + 1 mod G cut into M pieces d: the rank of node m sends 2c(q) - d(m+1)
    - d(m+2), 2K(M - 1)/(G·M) when N divides the count. The longest path: 2K(G - 1)/G inside,
    2(K/G)(M - 1)/M across, half of each reduced."""
    n, itemsize, k = problem.ranks, problem.itemsize, problem.nbytes
    g = group_size_of(n, problem.group_size)
    m = node_count(n, g)
    chunk = chunk_counts(problem.count, g)
    pieces = np.stack([chunk_counts(int(c), m) for c in chunk]) * itemsize  # G x M
    rank = np.arange(n)
    place, node = place_of(rank, g), node_of(rank, g)
    inside = 2 * k - itemsize * (chunk[(place + 1) % g] + chunk[(place + 2) % g])
    q = reduced_chunk(place, g)
    across = 2 * itemsize * chunk[q] - pieces[q, (node + 1) % m] - pieces[q, (node + 2) % m]
    node_path, cross_path = k * (g - 1) / g, k / g * (m - 1) / m
    return ReferenceCost(2 * (g - 1) + 2 * (m - 1), (inside + across).astype(np.int64),
                         path_bytes=2 * (node_path + cross_path),
                         path_reduced=node_path + cross_path, across=across.astype(np.int64))
