"""Pairwise all-to-all: at step s (1..N-1) rank r sends block r + s to rank r + s and receives
block r from rank r - s.

Assumes: nothing (any N). The working buffer is [input blocks | output blocks]; each rank's own
block is placed before the first step. Cost: N - 1 steps; every rank sends K(N - 1)/N bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("alltoall", "pairwise")
def pairwise_alltoall(problem: Problem) -> Iterator[Step]:
    """The N - 1 steps of pairwise all-to-all."""
    n, count = problem.ranks, problem.count
    rank = np.arange(n)
    for step in range(1, n):
        peer = (rank + step) % n
        yield Step(src=rank, dst=peer, src_start=peer * count,
                   dst_start=n * count + rank * count, length=count, chunk=rank,
                   label=f"exchange {step - 1}")
