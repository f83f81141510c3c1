"""Swing all-reduce (De Sensi et al., NSDI 2024), bandwidth form: a reduce-scatter over the swing
peers (at step s rank r meets r + rho(s) if even, r - rho(s) if odd; rho = 1, -1, 3, -5, 11, ...),
then an all-gather over the same peers in the reverse order, over p chunks.

Assumes: a commutative op (a chunk is combined in the order the peers meet, not in rank order).
Chunks: the count cut into p chunks, the first count % p one element longer
(:func:`collectives.partition.chunk_offsets`), numbered in home order so that every rank sends
one contiguous range per step: survivor i ends the reduce-scatter owning chunk ``home(i)``
(:mod:`collectives.swing` writes down the peers, homes and ranges). Any N: for N not a power of
two, p = the largest power of two <= N, rem = N - p; the fold (:mod:`collectives.fold`) has each
even rank below 2·rem send its buffer to the odd rank above it, the p survivors run the algorithm
among themselves (survivor i is rank 2i + 1 for i < rem, i + rem otherwise), and each odd rank
below 2·rem sends the result back.
Cost: Rabenseifner's, to the byte: 2 lg N steps; every rank sends 2K(N - 1)/N bytes when N
divides the count: the reference's 2 lg N·alpha + 2K(N - 1)/N·beta + K(N - 1)/N·gamma on
uniform links. Uneven chunks: survivor i sends (count - c[home(i)]) elements in the
reduce-scatter and, in the all-gather, the aligned blocks of 1, 2, ..., p/2 chunks around its
home; reduce-scatter step t takes as long as the first p >> (t + 1) chunks, all-gather step t as
the first 2**t. Fold: 2 lg p + 2 steps; the folded even ranks send K, the odd ranks below 2·rem
K more than the other survivors; the time adds alpha + K(beta + gamma) for the fold and
alpha + K·beta for the unfold. On a ring, its step-s message goes |rho(s)| ~ 2**(s+1)/3 hops
where Rabenseifner's goes p/2**(s+1): less load on the links (``sims/swing_on_a_ring.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import survivor_rank
from collectives.partition import chunk_offsets
from collectives.sim.algorithms.halving_phases import (
    fold_in,
    fold_out,
    peer_doubling_pass,
    peer_halving_pass,
)
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem
from collectives.swing import all_gather_peers, home, reduce_scatter_peers


@register("allreduce", "swing")
def swing_allreduce(problem: Problem) -> Iterator[Step]:
    """Fold, lg p swing reduce-scatter steps, lg p swing all-gather steps, unfold."""
    n, count = problem.ranks, problem.count
    pof2 = largest_power_of_two(n)
    offsets = chunk_offsets(count, pof2)
    newranks = np.arange(pof2, dtype=np.int64)
    real, homes = survivor_rank(newranks, n), home(newranks, pof2)
    yield from fold_in(n, count)
    yield from peer_halving_pass(real, homes, reduce_scatter_peers(newranks, pof2), offsets,
                                 "reduce-scatter")
    yield from peer_doubling_pass(real, homes, all_gather_peers(newranks, pof2), offsets,
                                  "all-gather")
    yield from fold_out(n, count)
