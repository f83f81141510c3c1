"""Binomial-tree scatter: each parent sends each child the blocks of the child's whole subtree.

Assumes: any N and root (a subtree that wraps past rank N - 1 travels as one message in two
pieces). Cost: ceil(lg N) steps; the root sends K(N - 1)/N bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.algorithms.phases import tree_scatter
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("scatter", "binomial")
def binomial_scatter(problem: Problem) -> Iterator[Step]:
    """The ceil(lg N) steps of binomial scatter."""
    yield from tree_scatter(problem.ranks, problem.root, problem.count, "scatter")
