"""Recursive-doubling all-reduce: at step t rank r swaps its whole buffer with rank r XOR 2**t
and reduces the two, the lower rank's data on the left.

Assumes: any associative op; it keeps rank order (after step t a rank holds the combination of
its aligned group of 2**(t+1) ranks, lower group on the left), so non-commutative ops are fine,
and both partners compute the very same bits. Any N: for N not a power of two, p = the largest
power of two <= N, rem = N - p; the fold (:mod:`collectives.fold`) has each even rank below 2·rem
send its buffer to the odd rank above it, which reduces it in on the left (so the order holds),
the p survivors run the exchange, and each odd rank below 2·rem sends the result back.
Cost: lg N steps, every rank sends K·lg N bytes: the reference's lg N·(alpha + K·beta + K·gamma).
Fold: lg p + 2 steps; the folded even ranks send K, the odd ranks below 2·rem (lg p + 1)K, the
others K·lg p; the time adds alpha + K(beta + gamma) for the fold and alpha + K·beta for the
unfold.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.algorithms.halving_phases import exchange_pass, fold_in, fold_out
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("allreduce", "recursive_doubling")
def recursive_doubling_allreduce(problem: Problem) -> Iterator[Step]:
    """Fold, lg p whole-buffer exchanges among the survivors, unfold."""
    n, count = problem.ranks, problem.count
    yield from fold_in(n, count)
    yield from exchange_pass(n, count, "exchange")
    yield from fold_out(n, count)
