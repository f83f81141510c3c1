"""Bruck all-to-all: ceil(lg N) steps; at step k rank r sends every block whose distance has bit
k set to rank ``r + 2^k`` (:mod:`collectives.bruck`).

Textbook Bruck rotates each rank's blocks before the first step (block i being the one for rank
``r + i``) and rotates them back after the last. Here the rotations are folded into the first and
last exchange steps as local copies, which cross no link (a step reads before it writes): the
block of distance i on rank r lives at

- before step 0: input block ``(r + i) mod N`` (where the caller put it);
- between steps: input block i (the input area, rotated, is the scratch);
- after the last step: output block ``(r - i) mod N``, the rank it came from.

Each step moves the blocks of distance i from their place before the step to their place after
it: to rank ``r + 2^k`` when bit k of i is set, else locally (only in the first and last step,
where the place changes). Distance 0, the rank's own block, was placed in the output before the
first step and never moves. With N = 2 the one step does both folds.

Assumes: nothing (any N). Cost: ceil(lg N) steps; at step k every rank sends the blocks whose
distance in 1..N-1 has bit k set, ``sum(popcount(i) for i < N)`` blocks in all: (N/2)·lg N for
N = 2**k, which is ``(K/2)·lg N``. Time on uniform links:
``ceil(lg N)·alpha + sum(popcount(i))·(K/N)·beta``, ``lg N·alpha + (K/2)·lg N·beta`` for N = 2**k.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.bruck import bruck_steps, travels
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


def _place(stage: int, steps: int, rank: np.ndarray, distance: np.ndarray, ranks: int,
           count: int) -> np.ndarray:
    """Where the block of ``distance`` on ``rank`` lives after ``stage`` steps (elements)."""
    if stage == 0:
        return (rank + distance) % ranks * count
    if stage == steps:
        return (ranks + (rank - distance) % ranks) * count
    return distance * count


@register("alltoall", "bruck")
def bruck_alltoall(problem: Problem) -> Iterator[Step]:
    """The ceil(lg N) steps of Bruck all-to-all, rotations folded in."""
    n, count = problem.ranks, problem.count
    steps = bruck_steps(n)
    rank, distance = (grid.reshape(-1) for grid in np.meshgrid(
        np.arange(n, dtype=np.int64), np.arange(1, n, dtype=np.int64), indexing="ij"))
    for step in range(steps):
        moving = travels(distance, step)
        origin = (rank - distance % (1 << step)) % n  # where the block came from
        here = _place(step, steps, rank, distance, n, count)
        peer = (rank + (1 << step)) % n
        there = _place(step + 1, steps, np.where(moving, peer, rank), distance, n, count)
        local = ~moving & (here != there)
        yield Step.concat([
            Step(src=rank[moving], dst=peer[moving], src_start=here[moving],
                 dst_start=there[moving], length=count, chunk=origin[moving]),
            Step(src=rank[local], dst=rank[local], src_start=here[local],
                 dst_start=there[local], length=count, chunk=origin[local]),
        ], label=f"bruck {step}")
