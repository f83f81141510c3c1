"""Nodes of G consecutive ranks, and which ranks and data each phase of a hierarchical algorithm
handles.

N ranks sit in M = N / G nodes: node m holds ranks mG .. mG + G - 1, and rank r is at place
r mod G of node r // G. The ranks at place p of every node (p, p + G, ..., p + (M - 1)G) form the
cross-node group of place p. Laid out as an M x G grid (:func:`grid`), a node is a row and a
cross-node group a column; a ring inside a node passes along a row, one across nodes along a
column. Every function takes an int or, elementwise, a numpy array, so the MPI side asks "what do
I do?" and the simulator "what does every rank do?" with the same code.

The phases (each a ring pass of :mod:`collectives.ring`, shifts named there):

- all-reduce of C elements, cut into G chunks (:func:`collectives.partition.chunk_offsets`):
  ring reduce-scatter inside each node, after which place p holds chunk
  :func:`reduced_chunk` (p + 1 mod G) reduced over its node; ring all-reduce of that chunk, cut
  into M pieces, across nodes; ring all-gather inside each node (shift 1).
- reduce-scatter of N blocks: column p of the blocks is blocks p, p + G, ... (the blocks the
  cross-node group of place p ends with). Ring reduce-scatter of the G columns inside each node
  (place p ends with column p reduced over its node), then ring reduce-scatter of column p's M
  blocks across nodes (node m's rank ends with block mG + p, its own).
- all-gather: the reverse: ring all-gather of column p across nodes, then of the G columns
  inside each node.

N = 6, G = 3 (M = 2): nodes {0, 1, 2} and {3, 4, 5}; cross-node groups {0, 3}, {1, 4}, {2, 5};
column 1 of the blocks is blocks 1 and 4, :func:`column_order` is 0 3 1 4 2 5.

With G = N (one node) or G = 1 (one rank per node) one phase of each pair is empty and what is
left is the flat ring, step for step. Nodes of different sizes (N not a multiple of G) are not
handled: :func:`collectives.catalogue.check_supported` refuses them.
"""

from __future__ import annotations

import numpy as np

from collectives.ring import RankLike


def group_size_of(ranks: int, group_size: int | None) -> int:
    """G: ``group_size``, or N where there is none (the whole job is one node)."""
    return ranks if group_size is None else group_size


def node_count(ranks: int, group_size: int) -> int:
    """M = N / G, the number of nodes (G divides N)."""
    return ranks // group_size


def node_of(rank: RankLike, group_size: int) -> RankLike:
    """The node of ``rank``: ``rank // G``."""
    return rank // group_size


def place_of(rank: RankLike, group_size: int) -> RankLike:
    """``rank``'s place in its node: ``rank mod G``."""
    return rank % group_size


def grid(ranks: int, group_size: int) -> np.ndarray:
    """The ranks as an M x G grid: row m is node m, column p the cross-node group of place p."""
    return np.arange(ranks, dtype=np.int64).reshape(node_count(ranks, group_size), group_size)


def node_members(rank: int, ranks: int, group_size: int) -> tuple[int, ...]:
    """The ranks of ``rank``'s node, by place."""
    return tuple(int(r) for r in grid(ranks, group_size)[node_of(rank, group_size)])


def cross_members(rank: int, ranks: int, group_size: int) -> tuple[int, ...]:
    """The ranks of ``rank``'s cross-node group (its place in every node), by node."""
    return tuple(int(r) for r in grid(ranks, group_size)[:, place_of(rank, group_size)])


def reduced_chunk(place: RankLike, group_size: int) -> RankLike:
    """All-reduce: the chunk place p holds reduced over its node after the ring reduce-scatter
    inside it (shift 0, G - 1 steps): ``p + 1 mod G``."""
    return (place + 1) % group_size


def column_order(ranks: int, group_size: int) -> np.ndarray:
    """The blocks column by column: position i of a buffer laid out by columns holds block
    ``column_order(N, G)[i]``; column p occupies positions pM .. pM + M - 1."""
    return grid(ranks, group_size).T.reshape(-1)
