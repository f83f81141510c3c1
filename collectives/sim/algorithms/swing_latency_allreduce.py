"""Swing all-reduce (De Sensi et al., NSDI 2024), latency form: lg N whole-buffer exchanges, at
step s rank r with r + rho(s) if r is even, r - rho(s) if odd (rho = 1, -1, 3, -5, 11, ...),
each reducing the other's buffer in.

Assumes: a commutative op. The steps run s = L - 1, ..., 0 (L = lg p), the order of the
bandwidth form's all-gather: then after each step the ranks of a group (:mod:`collectives.swing`)
hold its inputs combined, and with the group of lower home units on the left every rank computes
the very same bits (run s = 0 first, ranks would combine in different trees from p = 8 on). Any
N: for N not a power of two, p = the largest power of two <= N, rem = N - p; the fold
(:mod:`collectives.fold`) has each even rank below 2·rem send its buffer to the odd rank above
it, which reduces it in, the p survivors run the exchanges, and each odd rank below 2·rem sends
the result back.
Cost: recursive doubling's: lg N steps, every rank sends K·lg N bytes: the reference's
lg N·(alpha + K·beta + K·gamma) on uniform links. Fold: lg p + 2 steps; the folded even ranks
send K, the odd ranks below 2·rem (lg p + 1)K, the others K·lg p; the time adds
alpha + K(beta + gamma) for the fold and alpha + K·beta for the unfold. On a ring its messages
go |rho(s)| ~ 2**(s+1)/3 hops where recursive doubling's go 2**s.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import steps_of, survivor_rank
from collectives.sim.algorithms.halving_phases import fold_in, fold_out, peer_exchange_pass
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem
from collectives.swing import all_gather_peers, home, source_first


@register("allreduce", "swing_latency")
def swing_latency_allreduce(problem: Problem) -> Iterator[Step]:
    """Fold, lg p whole-buffer exchanges with the swing peers, unfold."""
    n, count = problem.ranks, problem.count
    pof2 = largest_power_of_two(n)
    newranks = np.arange(pof2, dtype=np.int64)
    homes = home(newranks, pof2)
    first = [source_first(homes, step) for step in range(steps_of(pof2))]
    yield from fold_in(n, count)
    yield from peer_exchange_pass(survivor_rank(newranks, n), all_gather_peers(newranks, pof2),
                                  first, count, "exchange")
    yield from fold_out(n, count)
