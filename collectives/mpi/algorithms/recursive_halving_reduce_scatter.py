"""Recursive-halving reduce-scatter (MPICH's): at step t this survivor sends the half of its
blocks it will not keep to the survivor p/2**(t+1) away and adds in what that one sends of the
half it keeps, until it holds its own blocks fully reduced.

Assumes: a commutative op. Any N: for N not a power of two (p = the largest power of two <= N,
rem = N - p) an even rank below 2·rem first sends all its N blocks to the odd rank above it and
at the end receives its own block from it; the survivors halve over units of blocks (two blocks
for the first rem survivors: :func:`collectives.halving_doubling.group_offsets`).
Cost: its schedule's (:mod:`collectives.sim.algorithms.recursive_halving_reduce_scatter`), message
for message. One scratch buffer: K for the fold's receiver, else the first step's half.
"""

from __future__ import annotations

from collectives.halving_doubling import NATURAL, group_offsets
from collectives.mpi.algorithms.halving_phases import fold_in, fold_out, halving
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("reduce_scatter", "recursive_halving")
def recursive_halving_reduce_scatter(call: Call) -> None:
    """Fold, halve over the survivors' blocks, unfold."""
    n, count = call.size, call.problem.count
    newrank = fold_in(call, n * count)
    if newrank is not None:
        halving(call, group_offsets(n, count), NATURAL, newrank)
    fold_out(call, count, own_block=True)
