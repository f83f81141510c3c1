"""Pipelined chain broadcast (NCCL's picture of a broadcast): root -> root + 1 -> ... ->
root + N - 1, the data cut into S segments (:attr:`Problem.segments`, cut as
:func:`collectives.partition.chunk_counts` does).

At step t the rank at position p of the chain sends segment ``t - p`` to the next one
(:mod:`collectives.chain`), so segments follow each other down the chain one step apart.

Assumes: nothing (any N, root and S; a segment may be empty when S exceeds the count).
Cost: N - 2 + S steps (none for N = 1); every rank but the last in the chain sends K once.
Time on uniform links, S dividing the count: ``(N - 2 + S)(alpha + K·beta/S)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.chain import chain_segment, chain_steps
from collectives.partition import chunk_offsets
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem
from collectives.tree import to_absolute


@register("broadcast", "pipeline")
def pipeline_broadcast(problem: Problem) -> Iterator[Step]:
    """The N - 2 + S steps of the pipelined chain."""
    n, root, segments = problem.ranks, problem.root, problem.segments
    offsets = chunk_offsets(problem.count, segments)
    senders = np.arange(n - 1, dtype=np.int64)  # chain positions that have a successor
    for step in range(chain_steps(n, segments)):
        segment = chain_segment(senders, step)
        moving = (segment >= 0) & (segment < segments)
        position, segment = senders[moving], segment[moving]
        yield Step(src=to_absolute(position, root, n), dst=to_absolute(position + 1, root, n),
                   src_start=offsets[segment], dst_start=offsets[segment],
                   length=offsets[segment + 1] - offsets[segment], chunk=segment,
                   label=f"pipeline {step}")
