"""Binomial-tree broadcast: each rank that has the data sends it on, largest subtree first.

Assumes: nothing (any N, any root). Cost: ceil(lg N) steps; the root sends ceil(lg N)·K bytes,
every rank receives K once, all together (N - 1)K.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.algorithms.phases import tree_broadcast
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("broadcast", "binomial")
def binomial_broadcast(problem: Problem) -> Iterator[Step]:
    """The ceil(lg N) steps of binomial broadcast."""
    yield from tree_broadcast(problem.ranks, problem.root, problem.count, "broadcast")
