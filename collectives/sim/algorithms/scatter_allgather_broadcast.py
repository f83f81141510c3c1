"""Broadcast by binomial scatter, then ring all-gather (van de Geijn; MPICH's long-message
broadcast).

The count is cut into N chunks differing by at most one element
(:func:`collectives.partition.chunk_offsets`); chunk v belongs to vrank v (ranks numbered from
the root, ``v = (rank - root) mod N``), so the chunks of a binomial subtree are contiguous and
travel as one piece. Scatter: each parent sends each child the chunks of the child's subtree,
largest subtree first. All-gather: at step s vrank v sends chunk ``(v - s) mod N`` to vrank
``v + 1``, N - 1 steps (every rank receives every chunk but its own, also those the scatter
brought it).

Assumes: nothing (any N, any root). Cost: ceil(lg N) + N - 1 steps. A vrank v sends the chunks of
its children's subtrees in the scatter (the root K - c0, about K(N - 1)/N) and
``K - c(v+1 mod N)`` in the all-gather, about K(N - 1)/N: the root sends about 2K(N - 1)/N. Time
on uniform links, N dividing the count: ``(ceil(lg N) + N - 1)·alpha + 2K(N - 1)/N·beta``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.partition import chunk_offsets
from collectives.ring import ring_chunk, ring_next
from collectives.sim.registry import register
from collectives.sim.schedule import Step
from collectives.spec import Problem
from collectives.tree import binomial_down_round, binomial_rounds, binomial_subtree, to_absolute


@register("broadcast", "scatter_allgather")
def scatter_allgather_broadcast(problem: Problem) -> Iterator[Step]:
    """The ceil(lg N) scatter steps, then the N - 1 ring all-gather steps."""
    n, root = problem.ranks, problem.root
    offsets = chunk_offsets(problem.count, n)  # chunk v is vrank v's
    for round_index in range(binomial_rounds(n)):
        parents, children = binomial_down_round(round_index, n)
        stops = np.array([binomial_subtree(int(c), n)[1] for c in children], dtype=np.int64)
        yield Step(src=to_absolute(parents, root, n), dst=to_absolute(children, root, n),
                   src_start=offsets[children], dst_start=offsets[children],
                   length=offsets[stops] - offsets[children], chunk=children,
                   label=f"scatter {round_index}")
    vrank = np.arange(n, dtype=np.int64)
    for step in range(n - 1):
        chunk = ring_chunk(vrank, step, n)
        yield Step(src=to_absolute(vrank, root, n), dst=to_absolute(ring_next(vrank, n), root, n),
                   src_start=offsets[chunk], dst_start=offsets[chunk],
                   length=offsets[chunk + 1] - offsets[chunk], chunk=chunk,
                   label=f"all-gather {step}")
