"""Rabenseifner's reduce, registered as 'reduce_scatter_gather' (MPICH's): a recursive-halving
reduce-scatter over p chunks, then a binomial gather of the chunks to the root.

Assumes: a commutative op (MPICH's; the halving meets the ranks in its own order); any root.
Chunks and the reduce-scatter are those of Rabenseifner's all-reduce
(:mod:`collectives.halving_doubling` writes down every step's ranges): newrank i ends owning chunk
bit-reverse(i). The gather runs in
chunk space: at step t the ranks whose chunk differs from the root's first in bit t send the
aligned block of 2**t chunks they hold, and are done. Any N: for N not a power of two, p = the
largest power of two <= N, rem = N - p, and the fold (:mod:`collectives.fold`) has each even rank
below 2·rem send its buffer to the odd rank above it. A root that sat out the fold first gets
newrank 0's chunk from it and takes its place in the gather (one step more, MPICH's way; MPICH
folds the other way round for reduce so that root 0 is a survivor).
Cost: 2 lg N steps; every rank sends K(N - 1)/N in the reduce-scatter and, but the root, one
block of 2**t chunks in the gather (the root receives K(N - 1)/N): the reference's
2 lg N·alpha + 2K(N - 1)/N·beta + K(N - 1)/N·gamma (its busiest figure 2K(N - 1)/N bounds what
the root moves, sent and received). Uneven chunks: a survivor with home chunk h sends
(count - c[h]) elements, then its aligned block; step t of the gather takes as long as the
largest block sent in it. Fold: 2 lg p + 1 steps (+ 1 when the root sat out); the folded even
ranks send K; the time adds alpha + K(beta + gamma), and alpha + c[0]·beta for the root's chunk.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import REVERSED, block_elements, gather_target
from collectives.partition import chunk_offsets
from collectives.sim.algorithms.halving_phases import (
    fold_in,
    gather_pass,
    halving_pass,
    rank_of_home,
)
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("reduce", "reduce_scatter_gather")
def rabenseifner_reduce(problem: Problem) -> Iterator[Step]:
    """Fold, lg p halving steps, the hand-over to a root that sat out, lg p gather steps."""
    n, count, root = problem.ranks, problem.count, problem.root
    pof2 = largest_power_of_two(n)
    offsets = chunk_offsets(count, pof2)
    yield from fold_in(n, count)
    yield from halving_pass(n, offsets, REVERSED, "reduce-scatter")
    target, stand_in = gather_target(root, n, REVERSED)
    real = rank_of_home(n, pof2, REVERSED)
    if stand_in is not None:
        start, length = block_elements(offsets, target, 1)
        yield Step(src=stand_in, dst=root, src_start=start, dst_start=start, length=length,
                   chunk=target, label="to root")
        real[target] = root
    yield from gather_pass(real, offsets, target, "gather")
