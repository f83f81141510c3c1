"""Recursive-halving reduce-scatter (MPICH's): at step t each survivor sends the half of its
blocks it will not keep to the survivor p/2**(t+1) away, which adds it in; the blocks held halve
each step until each holds its own, fully reduced.

Assumes: a commutative op (a block is combined in the order the halving meets its ranks, not in
rank order). Any N: for N not a power of two, p = the largest power of two <= N, rem = N - p; the
fold (:mod:`collectives.fold`) has each even rank below 2·rem send all its N blocks to the odd
rank above it, the p survivors halve over units of blocks (two blocks for the first rem survivors,
see :func:`collectives.halving_doubling.group_offsets`), and each odd rank below 2·rem sends its
even neighbour that neighbour's block at the end.
Cost (B = one block's bytes, K = N·B): lg N steps, every rank sends (N - 1)B = K(N - 1)/N: the
reference's lg N·alpha + K(N - 1)/N·(beta + gamma). Fold: lg p + 2 steps; the folded even ranks
send K, every other rank (N - 1)B; the time adds alpha + K(beta + gamma) for the fold,
alpha + B·beta for the unfold, and halving step t moves at most half + min(half, rem) blocks
(half = p >> (t + 1)) rather than half.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.halving_doubling import NATURAL, group_offsets
from collectives.sim.algorithms.halving_phases import fold_in, fold_out, halving_pass
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("reduce_scatter", "recursive_halving")
def recursive_halving_reduce_scatter(problem: Problem) -> Iterator[Step]:
    """Fold, lg p halving steps over the survivors' blocks, unfold."""
    n, count = problem.ranks, problem.count
    yield from fold_in(n, n * count)
    yield from halving_pass(n, group_offsets(n, count), NATURAL, "reduce-scatter")
    yield from fold_out(n, count, own_block=True)
