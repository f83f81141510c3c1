"""Bruck all-gather: at step k rank r sends the ``min(2^k, N - 2^k)`` blocks it holds,
``r, r + 1, ...`` (mod N), to rank ``r - 2^k``.

Blocks stay at their absolute positions in the working buffer (block i is rank i's), so the
blocks a rank holds are always consecutive ranks mod N and no final rotation is needed
(:mod:`collectives.bruck`); a run that wraps past rank N - 1 travels as one message in two
pieces.

Assumes: nothing (any N). Cost: ceil(lg N) steps; every rank sends N - 1 blocks, K(N - 1)/N.
Time on uniform links: ``ceil(lg N)·alpha + K(N - 1)/N·beta``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.bruck import allgather_blocks, bruck_steps
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("allgather", "bruck")
def bruck_allgather(problem: Problem) -> Iterator[Step]:
    """The ceil(lg N) steps of Bruck all-gather."""
    n, count = problem.ranks, problem.count
    rank = np.arange(n, dtype=np.int64)
    for step in range(bruck_steps(n)):
        blocks = allgather_blocks(step, n)
        peer = (rank - (1 << step)) % n
        first = np.minimum(blocks, n - rank)  # blocks r .. N - 1, then 0 .. for the rest
        wraps = first < blocks
        pieces = [Step(src=rank, dst=peer, src_start=rank * count, dst_start=rank * count,
                       length=first * count, chunk=rank),
                  Step(src=rank[wraps], dst=peer[wraps], src_start=0, dst_start=0,
                       length=(blocks - first[wraps]) * count, chunk=0)]
        yield Step.concat(pieces, label=f"bruck {step}")
