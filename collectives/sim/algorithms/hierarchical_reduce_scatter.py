"""Hierarchical reduce-scatter: ring reduce-scatter of the G columns of blocks inside each node,
then ring reduce-scatter of each column's M blocks across nodes (:mod:`collectives.hierarchy`:
column p is blocks p, p + G, ..., the blocks of the ranks at place p).

Assumes: a commutative op; nodes of G = ``Problem.group_size`` consecutive ranks (None: one node),
G dividing N (M = N / G nodes). Cost: (G - 1) + (M - 1) steps; a step inside a node moves a
column, M blocks, as M pieces of one message. Every rank sends (G - 1)·M + M - 1 = N - 1 blocks,
K(N - 1)/N as the flat ring, of which M - 1 blocks, K(M - 1)/N, across nodes (the flat ring's
can all cross). With G = N or G = 1 it is the flat ring, step for step.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.hierarchy import grid, group_size_of, node_count
from collectives.ring import REDUCE_SCATTER_SHIFT
from collectives.sim.algorithms.phases import rings_pass
from collectives.sim.registry import register
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem


def column_pieces(problem: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Starts and lengths of the pieces of the node passes (chunk p: column p's M blocks) and of
    the cross passes (chunk j of the ring of place p: block jG + p), in elements."""
    n, c = problem.ranks, problem.count
    g = group_size_of(n, problem.group_size)
    m = node_count(n, g)
    columns = grid(n, g).T  # row p: the blocks of column p
    node_starts = np.broadcast_to((columns * c)[None, :, :], (m, g, m))
    cross_starts = (columns * c)[:, :, None]
    return (node_starts, np.full(node_starts.shape, c), cross_starts,
            np.full(cross_starts.shape, c))


@register("reduce_scatter", "hierarchical")
def hierarchical_reduce_scatter(problem: Problem) -> Iterator[Step]:
    """The (G - 1) + (M - 1) steps of hierarchical reduce-scatter."""
    nodes = grid(problem.ranks, group_size_of(problem.ranks, problem.group_size))
    node_starts, node_lengths, cross_starts, cross_lengths = column_pieces(problem)
    yield from rings_pass(nodes, node_starts, node_lengths, REDUCE_SCATTER_SHIFT, Action.REDUCE,
                          "node reduce-scatter")
    yield from rings_pass(nodes.T, cross_starts, cross_lengths, REDUCE_SCATTER_SHIFT,
                          Action.REDUCE, "cross reduce-scatter")
