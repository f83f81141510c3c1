"""Linear scatter: at step s (1..N-1) the root sends rank root + s its block.

Assumes: nothing. Cost: N - 1 steps; the root sends K(N - 1)/N bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("scatter", "linear")
def linear_scatter(problem: Problem) -> Iterator[Step]:
    """The N - 1 steps of linear scatter."""
    n, root, count = problem.ranks, problem.root, problem.count
    for step in range(1, n):
        peer = (root + step) % n
        yield Step(src=root, dst=peer, src_start=peer * count, dst_start=peer * count,
                   length=count, chunk=peer, label=f"scatter {step - 1}")
