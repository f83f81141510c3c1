"""Recursive-doubling all-gather: at step k rank r swaps with rank r XOR 2**k the 2**k blocks it
holds (the aligned block of 2**k blocks around its own), so the blocks held double each step.

Assumes: N a power of two (other N are refused, naming the algorithms that take any N).
Cost: lg N steps; step k moves 2**k blocks each way, so every rank sends (N - 1) blocks in all,
K(N - 1)/N bytes (K = all N blocks): the reference's lg N·alpha + K(N - 1)/N·beta.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.halving_doubling import NATURAL
from collectives.sim.algorithms.halving_phases import doubling_pass
from collectives.sim.algorithms.phases import block_offsets
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem


@register("allgather", "recursive_doubling")
def recursive_doubling_allgather(problem: Problem) -> Iterator[Step]:
    """The lg N steps of recursive-doubling all-gather (unit i is block i)."""
    offsets = block_offsets(problem.ranks, problem.count)
    yield from doubling_pass(problem.ranks, offsets, NATURAL, "all-gather")
