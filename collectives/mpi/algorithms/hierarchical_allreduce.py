"""Hierarchical all-reduce: ring reduce-scatter inside this rank's node, ring all-reduce of the
chunk it then holds across nodes (with the ranks of the same place), ring all-gather inside the
node (:mod:`collectives.hierarchy` has the index math).

Assumes: a commutative op; nodes of G = ``Problem.group_size`` consecutive ranks, G dividing N
(the communicator fills it from ``Split_type`` or ``group_size=``). Each phase is the flat ring's
per-rank code (:mod:`collectives.mpi.algorithms.ring_stream`, ``ring_allreduce``) on the group's
call (:mod:`collectives.mpi.algorithms.groups`), so the caller's ``x`` is read where it is and
every element of the result is written by a reduction or a receive. With G = N or G = 1 it is the
flat ring's call itself.
Cost: its schedule's (:mod:`collectives.sim.algorithms.hierarchical_allreduce`): the same bytes to
the same peer in the same step. Memory: the rings' scratch, at most one chunk.
"""

from __future__ import annotations

from collectives.hierarchy import cross_members, node_members, place_of, reduced_chunk
from collectives.mpi.algorithms.groups import group_call, group_size
from collectives.mpi.algorithms.ring_allreduce import ring_allreduce
from collectives.mpi.algorithms.ring_stream import ring_stream
from collectives.mpi.call import Call, reads_source
from collectives.mpi.registry import register
from collectives.partition import chunk_offsets
from collectives.ring import ALLREDUCE_ALLGATHER_SHIFT, ALLREDUCE_REDUCE_SCATTER_SHIFT


@register("allreduce", "hierarchical")
@reads_source
def hierarchical_allreduce(call: Call) -> None:
    """Reduce-scatter in the node, all-reduce across nodes, all-gather in the node."""
    n, g, rank = call.size, group_size(call), call.rank
    if g in (1, n):  # one phase of each pair is empty: the flat ring
        ring_allreduce(call)
        return
    count, work = call.problem.count, call.work
    offsets = chunk_offsets(count, g)
    node = node_members(rank, n, g)
    # in the node: this rank ends with chunk q reduced over its node
    ring_stream(group_call(call, node, count, work, call.source), offsets,
                ALLREDUCE_REDUCE_SCATTER_SHIFT, steps=g - 1, reduce_steps=g - 1)
    q = reduced_chunk(place_of(rank, g), g)
    mine = work[offsets[q]:offsets[q + 1]]
    # across nodes, in place: chunk q reduced over every node
    ring_allreduce(group_call(call, cross_members(rank, n, g), len(mine), mine, mine))
    # in the node: every chunk to every rank, chunk q first
    ring_stream(group_call(call, node, count, work, work), offsets, ALLREDUCE_ALLGATHER_SHIFT,
                steps=g - 1, reduce_steps=0)
