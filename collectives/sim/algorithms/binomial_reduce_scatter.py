"""Reduce-scatter by binomial reduce of all N blocks to rank 0, then binomial scatter.

Assumes: any N; keeps rank order, so it serves non-commutative ops that ring cannot.
Cost: 2·ceil(lg N) steps; every rank but 0 sends K in the reduce; rank 0 sends K(N - 1)/N in the
scatter.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.algorithms.phases import tree_reduce, tree_scatter
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("reduce_scatter", "binomial")
def binomial_reduce_scatter(problem: Problem) -> Iterator[Step]:
    """The 2·ceil(lg N) steps of reduce-then-scatter."""
    n, count = problem.ranks, problem.count
    yield from tree_reduce(n, 0, n * count, "reduce")
    yield from tree_scatter(n, 0, count, "scatter")
