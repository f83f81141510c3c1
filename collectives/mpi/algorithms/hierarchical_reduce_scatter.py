"""Hierarchical reduce-scatter: ring reduce-scatter of the G columns of blocks inside this
rank's node, then ring reduce-scatter of its column's M blocks across nodes
(:mod:`collectives.hierarchy`: column p is blocks p, p + G, ...).

Assumes: a commutative op; nodes of G = ``Problem.group_size`` consecutive ranks, G dividing N.
The input is copied once into a buffer laid out by columns, so a column is one contiguous chunk;
each phase is the flat ring's per-rank code (``ring_reduce_scatter``) on the group's call
(:mod:`collectives.mpi.algorithms.groups`); the last writes the caller's result array. With
G = N or G = 1 it is the flat ring's call itself.
Cost: its schedule's (:mod:`collectives.sim.algorithms.hierarchical_reduce_scatter`): the same
bytes to the same peer in the same step. Memory: K for the columns and K/G for this rank's
column, plus the rings' scratch.
"""

from __future__ import annotations

from collectives.hierarchy import cross_members, node_count, node_members
from collectives.mpi.algorithms.groups import group_call, group_size
from collectives.mpi.algorithms.ring_reduce_scatter import ring_reduce_scatter
from collectives.mpi.call import Call, works_in_result
from collectives.mpi.registry import register


@register("reduce_scatter", "hierarchical")
@works_in_result
def hierarchical_reduce_scatter(call: Call) -> None:
    """Reduce-scatter of columns in the node, then of blocks across nodes."""
    n, g, rank = call.size, group_size(call), call.rank
    if g in (1, n):  # one phase is empty: the flat ring
        ring_reduce_scatter(call)
        return
    m, c = node_count(n, g), call.problem.count
    held = call.scratch((n + m) * c)
    columns, column = held[:n * c], held[n * c:]
    columns.reshape(g, m, c)[...] = call.source.reshape(m, g, c).transpose(1, 0, 2)
    # in the node: this rank's column (the blocks of its place) reduced over its node
    ring_reduce_scatter(group_call(call, node_members(rank, n, g), m * c, column, columns))
    # across nodes: its own block reduced over every node, into the result
    ring_reduce_scatter(group_call(call, cross_members(rank, n, g), c, call.work, column))
