"""Hierarchical all-reduce (Horovod's, NCCL's over nodes, MPICH's and Open MPI's node-aware):
ring reduce-scatter inside each node, ring all-reduce of each rank's 1/G across nodes, ring
all-gather inside each node (:mod:`collectives.hierarchy` has the index math).

Assumes: a commutative op; nodes of G = ``Problem.group_size`` consecutive ranks (None: one node),
G dividing N (M = N / G nodes). Chunks: the count cut into G chunks c0..c(G-1) differing by at most
one element; rank r at place p works across nodes on chunk q = p + 1 mod G, cut into M pieces.
Cost: 2(G - 1) + 2(M - 1) steps. Inside its node rank r sends 2K - c(p+1) - c(p+2) bytes
(2K(G-1)/G when G divides the count), across nodes 2c(q) - d(m+1) - d(m+2) for the pieces d of
chunk q (2K(M-1)/(G·M) when N divides the count), where the flat ring sends 2K(N-1)/N across
the ring. With G = N or G = 1 it is the flat ring, step for step.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.hierarchy import grid, group_size_of, node_count, reduced_chunk
from collectives.partition import chunk_offsets
from collectives.ring import ALLREDUCE_ALLGATHER_SHIFT, ALLREDUCE_REDUCE_SCATTER_SHIFT
from collectives.sim.algorithms.phases import rings_pass
from collectives.sim.registry import register
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem


@register("allreduce", "hierarchical")
def hierarchical_allreduce(problem: Problem) -> Iterator[Step]:
    """The 2(G - 1) + 2(M - 1) steps of hierarchical all-reduce."""
    n = problem.ranks
    g = group_size_of(n, problem.group_size)
    m = node_count(n, g)
    nodes = grid(n, g)  # row: a node; column: a cross-node group
    offsets = chunk_offsets(problem.count, g)
    starts = np.broadcast_to(offsets[:-1][None, :, None], (m, g, 1))
    lengths = np.broadcast_to(np.diff(offsets)[None, :, None], (m, g, 1))
    # across nodes, the ring of place p works on the chunk p holds reduced, in M pieces
    pieces = np.stack([offsets[q] + chunk_offsets(int(offsets[q + 1] - offsets[q]), m)
                       for q in reduced_chunk(np.arange(g), g)])
    cross_starts, cross_lengths = pieces[:, :-1, None], np.diff(pieces, axis=1)[:, :, None]
    yield from rings_pass(nodes, starts, lengths, ALLREDUCE_REDUCE_SCATTER_SHIFT, Action.REDUCE,
                          "node reduce-scatter")
    yield from rings_pass(nodes.T, cross_starts, cross_lengths, ALLREDUCE_REDUCE_SCATTER_SHIFT,
                          Action.REDUCE, "cross reduce-scatter")
    yield from rings_pass(nodes.T, cross_starts, cross_lengths, ALLREDUCE_ALLGATHER_SHIFT,
                          Action.COPY, "cross all-gather")
    yield from rings_pass(nodes, starts, lengths, ALLREDUCE_ALLGATHER_SHIFT, Action.COPY,
                          "node all-gather")
