"""The reference's cost of each algorithm: steps, and the exact bytes each rank sends.

These are the figures of ``collectives.md``'s cost table, written from the formulas (with the
uneven-chunk form where N does not divide the count) and not from the schedules, so a test can
hold each schedule to them. ``K`` is :attr:`Problem.nbytes`, ``B`` one block's bytes,
``R = ceil(lg N)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.partition import chunk_counts
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
    raise KeyError(f"no reference cost for {problem.collective} algorithm {algorithm!r}")


def reference_time(problem: Problem, algorithm: str, alpha: float, beta: float,
                   gamma: float) -> float:
    """The reference table's time of ``algorithm`` on ``problem``: ``alpha`` seconds per
    message, ``beta`` seconds per byte on a link, ``gamma`` seconds per byte reduced.

    Written from the table's formulas (``K(N-1)/N`` as it stands), so it is the simulator's time
    on uniform fully connected links when N divides the count. Rows the table lacks are
    composed of rows it has: binomial reduce-scatter is a binomial reduce of K then a binomial
    scatter; a non-commutative binomial reduce to a root other than 0 adds one hop of K.
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
    raise KeyError(f"no reference time for {problem.collective} algorithm {algorithm!r}")
