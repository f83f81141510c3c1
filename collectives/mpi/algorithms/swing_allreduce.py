"""Swing all-reduce (De Sensi et al., NSDI 2024), bandwidth form: a reduce-scatter over the swing
peers (at step s this rank meets r + rho(s) if even, r - rho(s) if odd; rho = 1, -1, 3, -5, ...),
then an all-gather over the same peers in the reverse order, over p chunks, in place in the
working buffer.

Assumes: a commutative op. Chunks: the count cut into p chunks, the first count % p one element
longer (:func:`collectives.partition.chunk_offsets`), numbered in home order, so each step sends
one contiguous range; survivor i ends the reduce-scatter owning chunk ``home(i)``
(:mod:`collectives.swing` writes down the peers, homes and ranges). Any N: for N not a power of
two (p = the largest power of two <= N, rem = N - p) an even rank below 2·rem sends its buffer
to the odd rank above it and gets the result back from it at the end.
Cost: its schedule's (:mod:`collectives.sim.algorithms.swing_allreduce`), message for message.
One scratch buffer: K for the fold's receiver, else the first step's half.
"""

from __future__ import annotations

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import survivor_rank
from collectives.mpi.algorithms.halving_phases import (
    fold_in,
    fold_out,
    peer_doubling,
    peer_halving,
)
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.partition import chunk_offsets
from collectives.swing import all_gather_peers, home, reduce_scatter_peers


@register("allreduce", "swing")
def swing_allreduce(call: Call) -> None:
    """Fold, swing reduce-scatter, swing all-gather, unfold."""
    count, size = call.problem.count, call.size
    pof2 = largest_power_of_two(size)
    offsets = chunk_offsets(count, pof2)
    newrank = fold_in(call, count)
    if newrank is not None:
        mine = home(newrank, pof2)
        # reduce-scatter: afterwards this rank holds chunk home(newrank) fully reduced
        peer_halving(call, offsets, mine, [survivor_rank(peer, size)
                                           for peer in reduce_scatter_peers(newrank, pof2)])
        # all-gather: the chunks held double until every survivor has all of them
        peer_doubling(call, offsets, mine, [survivor_rank(peer, size)
                                            for peer in all_gather_peers(newrank, pof2)])
    fold_out(call, count)
