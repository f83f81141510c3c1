"""Rabenseifner's reduce, registered as 'reduce_scatter_gather' (MPICH's): a recursive-halving
reduce-scatter over p chunks, then a binomial gather of the chunks to the root.

Assumes: a commutative op; any root. The reduce-scatter is Rabenseifner's all-reduce's (survivor
i ends owning chunk bit-reverse(i); :mod:`collectives.halving_doubling` writes down every step's
ranges). In the gather a survivor receives its partners' blocks until its chunk differs from the
root's in the step's bit, then sends the aligned block it holds and stops. Any N: for N not a
power of two (p = the largest power of two <= N, rem = N - p) an even rank below 2·rem sends its
buffer to the odd rank above it; a root that sat out gets chunk 0 from survivor 0 and takes its
place in the gather (MPICH's way).
Cost: its schedule's (:mod:`collectives.sim.algorithms.rabenseifner_reduce`), message for message.
One scratch buffer: K for the fold's receiver, else the first step's half.
"""

from __future__ import annotations

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import REVERSED, gather_target, home_unit, survivor_rank
from collectives.mpi.algorithms.halving_phases import fold_in, gather, halving
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.partition import chunk_offsets


@register("reduce", "reduce_scatter_gather")
def rabenseifner_reduce(call: Call) -> None:
    """Fold, halving reduce-scatter, the hand-over to a root that sat out, gather to the root."""
    n, count, root = call.size, call.problem.count, call.problem.root
    pof2 = largest_power_of_two(n)
    offsets = chunk_offsets(count, pof2)
    newrank = fold_in(call, count)
    if newrank is not None:
        halving(call, offsets, REVERSED, newrank)
    target, stand_in = gather_target(root, n, REVERSED)
    if stand_in is not None:  # the root sat out: it takes the target's place
        chunk = call.work[offsets[target]:offsets[target + 1]]
        if call.rank == stand_in:
            call.transport.send(chunk, root)
            return
        if call.rank == root:
            call.transport.recv(chunk, stand_in)
            newrank = 0

    def rank_of_home(home: int) -> int:
        if stand_in is not None and home == target:
            return root
        return survivor_rank(home_unit(home, pof2, REVERSED), n)

    if newrank is not None:
        gather(call, offsets, home_unit(newrank, pof2, REVERSED), target, rank_of_home)
