"""Pairwise reduce-scatter: at step s (1..N-1) rank r sends its block r + s to rank r + s and
adds the block r it receives from rank r - s into its own.

Assumes: a commutative op (rank r combines its block in the order r, r - 1, r - 2, ...).
Cost: N - 1 steps; every rank sends K(N - 1)/N bytes and reduces as many.
Time on uniform links: ``(N - 1)·alpha + K(N - 1)/N·(beta + gamma)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.sim.registry import register
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem


@register("reduce_scatter", "pairwise")
def pairwise_reduce_scatter(problem: Problem) -> Iterator[Step]:
    """The N - 1 steps of pairwise reduce-scatter."""
    n, count = problem.ranks, problem.count
    rank = np.arange(n, dtype=np.int64)
    for step in range(1, n):
        peer = (rank + step) % n
        yield Step(src=rank, dst=peer, src_start=peer * count, dst_start=peer * count,
                   length=count, action=Action.REDUCE, chunk=peer,
                   label=f"exchange {step - 1}")
