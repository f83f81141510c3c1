"""Linear gather: at step s (1..N-1) rank root + s sends the root its block.

Assumes: nothing. Cost: N - 1 steps; every non-root rank sends K/N bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("gather", "linear")
def linear_gather(problem: Problem) -> Iterator[Step]:
    """The N - 1 steps of linear gather."""
    n, root, count = problem.ranks, problem.root, problem.count
    for step in range(1, n):
        peer = (root + step) % n
        yield Step(src=peer, dst=root, src_start=peer * count, dst_start=peer * count,
                   length=count, chunk=peer, label=f"gather {step - 1}")
