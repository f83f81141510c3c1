"""Swing all-reduce (De Sensi et al., NSDI 2024), latency form: lg N whole-buffer exchanges, at
step s this rank with r + rho(s) if r is even, r - rho(s) if odd (rho = 1, -1, 3, -5, ...), each
reducing the other's buffer in.

Assumes: a commutative op. The steps run s = L - 1, ..., 0 and the group of lower home units goes
on the left, so every rank computes the very same bits (:mod:`collectives.swing`). Any N: for N
not a power of two (p = the largest power of two <= N, rem = N - p) an even rank below 2·rem
sends its buffer to the odd rank above it, which reduces it in, and gets the result back from it
at the end.
Cost: its schedule's (:mod:`collectives.sim.algorithms.swing_latency_allreduce`), message for
message. One scratch buffer of K bytes holds what arrives.
"""

from __future__ import annotations

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import survivor_rank
from collectives.mpi.algorithms.halving_phases import fold_in, fold_out, peer_exchange
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.swing import all_gather_peers, home, source_first


@register("allreduce", "swing_latency")
def swing_latency_allreduce(call: Call) -> None:
    """Fold, lg p whole-buffer exchanges with the swing peers, unfold."""
    count, size = call.problem.count, call.size
    pof2 = largest_power_of_two(size)
    newrank = fold_in(call, count)
    if newrank is not None:
        peers = all_gather_peers(newrank, pof2)
        partners = [survivor_rank(peer, size) for peer in peers]
        # the partner's data goes on the left where its group holds the lower home units
        partner_first = [bool(source_first(home(peer, pof2), step))
                         for step, peer in enumerate(peers)]
        peer_exchange(call, count, partners, partner_first)
    fold_out(call, count)
