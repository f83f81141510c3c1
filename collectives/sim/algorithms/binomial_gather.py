"""Binomial-tree gather: each child sends its parent the blocks of its whole subtree.

Assumes: any N and root. Cost: ceil(lg N) steps; the root receives K(N - 1)/N bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.algorithms.phases import tree_gather
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("gather", "binomial")
def binomial_gather(problem: Problem) -> Iterator[Step]:
    """The ceil(lg N) steps of binomial gather."""
    yield from tree_gather(problem.ranks, problem.root, problem.count, "gather")
