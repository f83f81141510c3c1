"""Ring reduce-scatter: at step s rank r sends block (r - s - 1) mod N to r + 1, which adds it
into its copy; after N - 1 steps rank r holds block r fully reduced.

Assumes: a commutative op. Cost: N - 1 steps; every rank sends K(N - 1)/N bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.ring import REDUCE_SCATTER_SHIFT
from collectives.sim.algorithms.phases import block_offsets, ring_pass
from collectives.sim.registry import register
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem


@register("reduce_scatter", "ring")
def ring_reduce_scatter(problem: Problem) -> Iterator[Step]:
    """The N - 1 steps of ring reduce-scatter."""
    offsets = block_offsets(problem.ranks, problem.count)
    yield from ring_pass(offsets, problem.ranks, REDUCE_SCATTER_SHIFT, Action.REDUCE,
                         "reduce-scatter")
