"""Ring all-gather: at step s rank r sends block (r - s) mod N to r + 1.

Assumes: nothing (any N). Cost: N - 1 steps; every rank sends K(N - 1)/N bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.ring import ALLGATHER_SHIFT
from collectives.sim.algorithms.phases import block_offsets, ring_pass
from collectives.sim.registry import register
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem


@register("allgather", "ring")
def ring_allgather(problem: Problem) -> Iterator[Step]:
    """The N - 1 steps of ring all-gather."""
    offsets = block_offsets(problem.ranks, problem.count)
    yield from ring_pass(offsets, problem.ranks, ALLGATHER_SHIFT, Action.COPY, "all-gather")
