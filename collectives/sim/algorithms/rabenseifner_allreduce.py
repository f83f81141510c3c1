"""Rabenseifner's all-reduce (MPICH's): a recursive-halving reduce-scatter, then a
recursive-doubling all-gather, over p chunks.

Assumes: a commutative op (MPICH's; the halving meets the ranks in its own order). Chunks: the
count cut into p chunks, the first count % p one element longer
(:func:`collectives.partition.chunk_offsets`); newrank i ends the reduce-scatter owning chunk
bit-reverse(i) (:mod:`collectives.halving_doubling` writes down every step's ranges). Any N: for
N not a power of two, p = the largest power of two <= N, rem = N - p; the fold
(:mod:`collectives.fold`) has each even rank below 2·rem send its buffer to the odd rank above
it, the p survivors run the algorithm, and each odd rank below 2·rem sends the result back.
Cost: 2 lg N steps; every rank sends 2K(N - 1)/N bytes when N divides the count: the
reference's 2 lg N·alpha + 2K(N - 1)/N·beta + K(N - 1)/N·gamma. Uneven chunks: survivor i with
home chunk h sends (count - c[h]) elements in the reduce-scatter and, in the all-gather, the
aligned blocks of 1, 2, ..., p/2 chunks around h; step t of the reduce-scatter takes as long as
the first p >> (t + 1) chunks, step t of the all-gather as the first 2**t. Fold: 2 lg p + 2
steps; the folded even ranks send K, the odd ranks below 2·rem K more than the other survivors;
the time adds alpha + K(beta + gamma) for the fold and alpha + K·beta for the unfold.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import REVERSED
from collectives.partition import chunk_offsets
from collectives.sim.algorithms.halving_phases import (
    doubling_pass,
    fold_in,
    fold_out,
    halving_pass,
)
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("allreduce", "rabenseifner")
def rabenseifner_allreduce(problem: Problem) -> Iterator[Step]:
    """Fold, lg p halving steps, lg p doubling steps, unfold."""
    n, count = problem.ranks, problem.count
    offsets = chunk_offsets(count, largest_power_of_two(n))
    yield from fold_in(n, count)
    yield from halving_pass(n, offsets, REVERSED, "reduce-scatter")
    yield from doubling_pass(n, offsets, REVERSED, "all-gather")
    yield from fold_out(n, count)
