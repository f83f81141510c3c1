"""Recursive-doubling all-reduce: at step t this rank swaps its whole buffer with rank XOR 2**t
and reduces the two, the lower rank's data on the left.

Assumes: any associative op; it keeps rank order, so non-commutative ops are fine, and both
partners compute the very same bits. Any N: for N not a power of two (p = the largest power of
two <= N, rem = N - p) an even rank below 2·rem sends its buffer to the odd rank above it, which
reduces it in on the left, and gets the result back from it at the end.
Cost: its schedule's (:mod:`collectives.sim.algorithms.recursive_doubling_allreduce`), message for
message. One scratch buffer of K bytes holds what arrives.
"""

from __future__ import annotations

from collectives.mpi.algorithms.halving_phases import exchange, fold_in, fold_out
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("allreduce", "recursive_doubling")
def recursive_doubling_allreduce(call: Call) -> None:
    """Fold, lg p whole-buffer exchanges among the survivors, unfold."""
    count = call.problem.count
    newrank = fold_in(call, count)
    if newrank is not None:
        exchange(call, count, newrank)
    fold_out(call, count)
