"""Binomial-tree reduce: each parent combines its children's partial results, smallest first.

Assumes: any N and root. A parent keeps its own (lower-rank) data on the left, so with root 0 the
result is x0 ∘ x1 ∘ ... ∘ x(N-1) for any associative op. For a non-commutative op and a root
other than 0 it reduces to rank 0 and sends the result to the root (MPICH's way).
Cost: ceil(lg N) steps (one more in that case); every non-root rank sends K bytes once.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.algorithms.phases import tree_reduce
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("reduce", "binomial")
def binomial_reduce(problem: Problem) -> Iterator[Step]:
    """The ceil(lg N) steps of binomial reduce (plus the hop to the root when needed)."""
    assert problem.op is not None
    in_order_via_zero = not problem.op.commutative and problem.root != 0
    tree_root = 0 if in_order_via_zero else problem.root
    yield from tree_reduce(problem.ranks, tree_root, problem.count, "reduce")
    if in_order_via_zero:
        yield Step(src=0, dst=problem.root, src_start=0, dst_start=0, length=problem.count,
                   label="to root")
