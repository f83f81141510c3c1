"""Hierarchical all-gather: ring all-gather of this rank's column across nodes (the blocks of the
ranks at its place), then ring all-gather of the G columns inside its node
(:mod:`collectives.hierarchy`: column p is blocks p, p + G, ...).

Assumes: nodes of G = ``Problem.group_size`` consecutive ranks, G dividing N. The blocks are
gathered into a buffer laid out by columns, so a column is one contiguous chunk, and copied into
the result in rank order at the end; each phase is the flat ring's per-rank code
(``ring_allgather``) on the group's call (:mod:`collectives.mpi.algorithms.groups`). With G = N or
G = 1 it is the flat ring's call itself.
Cost: its schedule's (:mod:`collectives.sim.algorithms.hierarchical_allgather`): the same bytes
to the same peer in the same step. Memory: K for the columns.
"""

from __future__ import annotations

from collectives.hierarchy import cross_members, node_count, node_members, node_of, place_of
from collectives.mpi.algorithms.groups import group_call, group_size
from collectives.mpi.algorithms.ring_allgather import ring_allgather
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("allgather", "hierarchical")
def hierarchical_allgather(call: Call) -> None:
    """All-gather of a column across nodes, then of the columns in the node."""
    n, g, rank = call.size, group_size(call), call.rank
    if g in (1, n):  # one phase is empty: the flat ring
        ring_allgather(call)
        return
    m, c = node_count(n, g), call.problem.count
    flat = call.scratch(n * c)
    columns = flat.reshape(g, m, c)
    place = place_of(rank, g)
    columns[place, node_of(rank, g)] = call.work[rank * c:(rank + 1) * c]
    mine = flat[place * m * c:(place + 1) * m * c]
    # across nodes: the blocks of this rank's place
    ring_allgather(group_call(call, cross_members(rank, n, g), c, mine, mine))
    # in the node: every column
    ring_allgather(group_call(call, node_members(rank, n, g), m * c, flat, flat))
    call.work.reshape(m, g, c)[...] = columns.transpose(1, 0, 2)
