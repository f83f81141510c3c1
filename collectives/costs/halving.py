"""Counting for the recursive halving and doubling algorithms (:mod:`collectives.halving_doubling`)
at any N and any count, shared by the cost functions of all-gather, reduce-scatter, all-reduce and
reduce.

p is the largest power of two <= N, rem = N - p, L = lg p. For N = p and a count p divides the
figures are the table's rows. Otherwise they add the fold (:mod:`collectives.fold`: a step in,
with K from each even rank below 2·rem, reduced at the odd rank above it, and a step out) and
count uneven chunks exactly: each step's time is the table's with its largest message in place of
its even share.
"""

from __future__ import annotations

import numpy as np

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import REVERSED, home_unit, steps_of, survivor_rank
from collectives.partition import chunk_offsets
from collectives.spec import Problem


def pof2_rem_steps(ranks: int) -> tuple[int, int, int]:
    """(p, rem, L)."""
    pof2 = largest_power_of_two(ranks)
    return pof2, ranks - pof2, steps_of(pof2)


def aligned_block(offsets: np.ndarray, unit: int, size: int) -> int:
    """Elements (or bytes, as ``offsets`` are) in the aligned block of ``size`` units around
    ``unit``."""
    first = unit // size * size
    return int(offsets[first + size] - offsets[first])


def survivor_elements(count: int, ranks: int,
                      homes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """p chunks, per real rank: elements sent in the halving (count - c[home]: all but the home
    chunk) and in the doubling (the aligned blocks of 1, 2, ..., p/2 chunks around the home
    chunk). ``homes[i]`` is survivor i's home chunk: Rabenseifner's bit-reversed i by default."""
    pof2, _, lg = pof2_rem_steps(ranks)
    offsets = chunk_offsets(count, pof2)
    if homes is None:
        homes = home_unit(np.arange(pof2, dtype=np.int64), pof2, REVERSED)
    halving, doubling = np.zeros(ranks, dtype=np.int64), np.zeros(ranks, dtype=np.int64)
    for newrank in range(pof2):
        home, rank = int(homes[newrank]), survivor_rank(newrank, ranks)
        halving[rank] = count - aligned_block(offsets, home, 1)
        doubling[rank] = sum(aligned_block(offsets, home, 1 << t) for t in range(lg))
    return halving, doubling


def byte_offsets(problem: Problem) -> np.ndarray:
    """Byte boundaries of Rabenseifner's p chunks."""
    return chunk_offsets(problem.count, pof2_rem_steps(problem.ranks)[0]) * problem.itemsize


def halving_path(problem: Problem) -> int:
    """Bytes on the path of Rabenseifner's halving, each sent and reduced: step t takes as long
    as the first p >> (t + 1) chunks (the largest half; the first count % p chunks are one element
    longer), K(p - 1)/p in all when p divides the count."""
    pof2, _, lg = pof2_rem_steps(problem.ranks)
    offsets = byte_offsets(problem)
    return sum(int(offsets[pof2 >> (t + 1)]) for t in range(lg))


def fold_in(problem: Problem, sent: np.ndarray) -> None:
    """Each even rank below 2·rem sends K in the fold, and nothing else."""
    rem = pof2_rem_steps(problem.ranks)[1]
    sent[0:2 * rem:2] = problem.nbytes


def fold_out(problem: Problem, sent: np.ndarray) -> None:
    """Each odd rank below 2·rem sends K more, the result, in the unfold."""
    rem = pof2_rem_steps(problem.ranks)[1]
    sent[1:2 * rem:2] += problem.nbytes


def folded(problem: Problem) -> bool:
    """True when N is not a power of two, so the fold runs."""
    return pof2_rem_steps(problem.ranks)[1] > 0
