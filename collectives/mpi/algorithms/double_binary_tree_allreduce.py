"""NCCL's double binary tree all-reduce: half the buffer reduced up and broadcast down each of
two trees (:mod:`collectives.double_tree`), pipelined in S segments (:attr:`Problem.segments`).

Per rank, round by round as in the simulator
(:mod:`collectives.sim.algorithms.double_binary_tree_allreduce`): in reduce round t it receives
from its children (in the tree where it is an inner node) the segment ``t - (D - d - 1)`` into
scratch and adds it into its own copy, while it sends segment ``t - (D - d)`` of each tree's half
to that tree's parent (d its depth there), combining the children in their edges' colour order
as the simulator's steps do; in broadcast round t it receives segment
``t - d + 1`` from each parent, in place, and sends segment ``t - d`` to its children. A round's
sends read only what earlier rounds completed, so all its messages are posted at once.

Assumes: a commutative op. Cost: its schedule's, message for message. Scratch: two segments.
"""

from __future__ import annotations

import numpy as np

from collectives.double_tree import (
    double_binary_tree,
    down_segment,
    half_offsets,
    phase_rounds,
    tree_colour,
    up_segment,
)
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("allreduce", "double_binary_tree")
def double_binary_tree_allreduce(call: Call) -> None:
    """Reduce each half up its tree, then broadcast it down, S segments in flight."""
    n, rank, segments, work = call.size, call.rank, call.problem.segments, call.work
    if n == 1:
        return
    trees = double_binary_tree(n)
    offsets = half_offsets(call.problem.count, segments)
    transport = call.transport

    def segment(half: int, index: int) -> np.ndarray | None:
        if not 0 <= index < segments:
            return None
        return work[offsets[half][index]:offsets[half][index + 1]]

    largest = int(np.diff(offsets[0]).max())  # the first half is the larger
    scratch = call.scratch(2 * largest)
    rounds = phase_rounds(n, segments)
    for round_index in range(rounds):  # reduce
        receives, sends, spare = [], [], 0
        for half, tree in enumerate(trees):
            for child in tree.children[rank]:
                mine = segment(half, up_segment(tree.depth[child], round_index, n))
                if mine is not None:
                    into = scratch[spare * largest:spare * largest + len(mine)]
                    spare += 1
                    receives.append((tree_colour(half, child, n), transport.irecv(into, child),
                                     into, child, mine))
            up = None if rank == tree.root else \
                segment(half, up_segment(tree.depth[rank], round_index, n))
            if up is not None:
                sends.append(transport.isend(up, tree.parent[rank]))
        # the children's segments are combined in their edges' colour order, the simulator's
        # steps' order, so both give the same bits (a floating-point sum depends on it)
        for _, request, into, child, mine in sorted(receives, key=lambda receive: receive[0]):
            transport.wait_recv(request, into, child)
            call.op.reduce_into(mine, into)
        transport.wait_all(sends)
    for round_index in range(rounds):  # broadcast
        receives, sends = [], []
        for half, tree in enumerate(trees):
            if rank != tree.root:
                mine = segment(half, down_segment(tree.depth[rank] - 1, round_index))
                if mine is not None:
                    receives.append((transport.irecv(mine, tree.parent[rank]), mine,
                                     tree.parent[rank]))
            down = segment(half, down_segment(tree.depth[rank], round_index))
            if down is not None:
                sends += [transport.isend(down, child) for child in tree.children[rank]]
        for request, into, parent in receives:
            transport.wait_recv(request, into, parent)
        transport.wait_all(sends)
