"""Hierarchical all-gather: ring all-gather of each column's M blocks across nodes, then ring
all-gather of the G columns inside each node (:mod:`collectives.hierarchy`: column p is blocks
p, p + G, ..., the blocks of the ranks at place p).

Assumes: nodes of G = ``Problem.group_size`` consecutive ranks (None: one node), G dividing N
(M = N / G nodes). Cost: (M - 1) + (G - 1) steps; a step inside a node moves a column, M blocks,
as M pieces of one message. Every rank sends M - 1 + (G - 1)·M = N - 1 blocks, K(N - 1)/N as the
flat ring, of which M - 1 blocks, K(M - 1)/N, across nodes. With G = N or G = 1 it is the flat
ring, step for step.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectives.hierarchy import grid, group_size_of
from collectives.ring import ALLGATHER_SHIFT
from collectives.sim.algorithms.hierarchical_reduce_scatter import column_pieces
from collectives.sim.algorithms.phases import rings_pass
from collectives.sim.registry import register
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem


@register("allgather", "hierarchical")
def hierarchical_allgather(problem: Problem) -> Iterator[Step]:
    """The (M - 1) + (G - 1) steps of hierarchical all-gather."""
    nodes = grid(problem.ranks, group_size_of(problem.ranks, problem.group_size))
    node_starts, node_lengths, cross_starts, cross_lengths = column_pieces(problem)
    yield from rings_pass(nodes.T, cross_starts, cross_lengths, ALLGATHER_SHIFT, Action.COPY,
                          "cross all-gather")
    yield from rings_pass(nodes, node_starts, node_lengths, ALLGATHER_SHIFT, Action.COPY,
                          "node all-gather")
