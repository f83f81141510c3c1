"""Tree all-reduce: binomial reduce to rank 0, then binomial broadcast from rank 0.

Assumes: any N; keeps rank order, so non-commutative ops are fine.
Cost: 2·ceil(lg N) steps; rank 0 sends ceil(lg N)·K bytes, every other rank K (reduce) plus K
per child (broadcast).
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.algorithms.phases import tree_broadcast, tree_reduce
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("allreduce", "tree")
def tree_allreduce(problem: Problem) -> Iterator[Step]:
    """The 2·ceil(lg N) steps of tree all-reduce."""
    yield from tree_reduce(problem.ranks, 0, problem.count, "reduce")
    yield from tree_broadcast(problem.ranks, 0, problem.count, "broadcast")
