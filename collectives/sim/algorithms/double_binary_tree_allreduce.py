"""NCCL's double binary tree all-reduce: two binary trees, each carrying half the buffer, built
so that every rank is a leaf in at least one of them (:mod:`collectives.double_tree`: NCCL's
in-order tree and its mirror image for even N; for odd N that tree on N + 1 positions without its
root, and its shift by one rank). Each half is reduced up its tree, then broadcast down it,
pipelined in S segments (:attr:`Problem.segments`).

Schedule (one send and one receive per rank per step): the reduce, then the broadcast, each in
``S + D - 1`` rounds of two steps, D the trees' depth (``ceil(lg N)`` for even N,
``ceil(lg(N + 1)) - 1`` for odd N). In round t a rank at depth d sends segment ``t - (D - d)``
of its tree's half to its parent (reduce) or segment ``t - d`` to its children (broadcast); the
step within the round is the colour of the edge, and the colours keep every rank to one message
out and one in per step. Both steps of every round carry segments; a rank posts a round's
messages together (the second step is ``posted_with_previous``), as the MPI twin does.

Assumes: a commutative op (each parent adds its children's partial sums into its own, in tree
order). Every rank ends with the roots' bits.
Cost: ``4(S + D - 1)`` steps (none for N = 1). Rank r sends, in each tree h whose half holds
``K_h`` bytes (K_0 the larger when the count is odd), ``K_h`` up unless it is the root and
``K_h`` to each child: ``K/2`` as a leaf, ``3K/2`` as an inner node with two children, about 2K
in all. Time on uniform links, 2S dividing the count:
``2(S + D - 1)(alpha + K/(2S)·(beta + gamma)) + 2(S + D - 1)(alpha + K/(2S)·beta)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from collectives.double_tree import (
    TREES,
    double_binary_tree,
    down_segment,
    half_offsets,
    phase_rounds,
    tree_colour,
    up_segment,
)
from collectives.sim.registry import register
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem


@lru_cache(maxsize=16)
def _edges(ranks: int, tree_index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every edge of a tree as (child, parent, child's depth, colour) arrays (read only)."""
    tree = double_binary_tree(ranks)[tree_index]
    child = np.array([r for r in range(ranks) if r != tree.root], dtype=np.int64)
    parent = np.array([tree.parent[r] for r in child], dtype=np.int64)
    depth = np.array([tree.depth[r] for r in child], dtype=np.int64)
    colour = np.array([tree_colour(tree_index, int(r), ranks) for r in child], dtype=np.int64)
    for column in (child, parent, depth, colour):
        column.flags.writeable = False
    return child, parent, depth, colour


def _round(ranks: int, segments: int, offsets, round_index: int, colour: int,
           upward: bool) -> Step:
    pieces = []
    for tree_index in TREES:
        child, parent, depth, edge_colour = _edges(ranks, tree_index)
        segment = (up_segment(depth, round_index, ranks) if upward
                   else down_segment(depth - 1, round_index))
        use = (edge_colour == colour) & (segment >= 0) & (segment < segments)
        start = offsets[tree_index][segment[use]]
        length = offsets[tree_index][segment[use] + 1] - start
        src, dst = (child[use], parent[use]) if upward else (parent[use], child[use])
        pieces.append(Step(src=src, dst=dst, src_start=start, dst_start=start, length=length,
                           action=Action.REDUCE if upward else Action.COPY,
                           chunk=segment[use]))
    name = "reduce" if upward else "broadcast"
    return Step.concat(pieces, label=f"{name} {2 * round_index + colour}",
                       posted_with_previous=colour == 1)


@register("allreduce", "double_binary_tree")
def double_binary_tree_allreduce(problem: Problem) -> Iterator[Step]:
    """The 2(S + D - 1) reduce steps, then the 2(S + D - 1) broadcast steps."""
    n, segments = problem.ranks, problem.segments
    offsets = half_offsets(problem.count, segments)
    for upward in (True, False):
        for round_index in range(phase_rounds(n, segments)):
            for colour in (0, 1):
                yield _round(n, segments, offsets, round_index, colour, upward)
