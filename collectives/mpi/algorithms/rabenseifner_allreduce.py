"""Rabenseifner's all-reduce (MPICH's): a recursive-halving reduce-scatter, then a
recursive-doubling all-gather, over p chunks, in place in the working buffer.

Assumes: a commutative op. Chunks: the count cut into p chunks, the first count % p one element
longer (:func:`collectives.partition.chunk_offsets`); survivor i ends the reduce-scatter owning
chunk bit-reverse(i) (:mod:`collectives.halving_doubling` writes down every step's ranges). Any
N: for N not a power of two (p = the largest power of two <= N, rem = N - p) an even rank below
2·rem sends its buffer to the odd rank above it and gets the result back from it at the end.
Cost: its schedule's (:mod:`collectives.sim.algorithms.rabenseifner_allreduce`), message for
message. One scratch buffer: K for the fold's receiver, else the first step's half.
"""

from __future__ import annotations

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import REVERSED
from collectives.mpi.algorithms.halving_phases import doubling, fold_in, fold_out, halving
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.partition import chunk_offsets


@register("allreduce", "rabenseifner")
def rabenseifner_allreduce(call: Call) -> None:
    """Fold, halving reduce-scatter, doubling all-gather, unfold."""
    count = call.problem.count
    offsets = chunk_offsets(count, largest_power_of_two(call.size))
    newrank = fold_in(call, count)
    if newrank is not None:
        # reduce-scatter: afterwards this rank holds chunk bit-reverse(newrank) fully reduced
        halving(call, offsets, REVERSED, newrank)
        # all-gather: the blocks held double until every survivor has all of them
        doubling(call, offsets, REVERSED, newrank)
    fold_out(call, count)
