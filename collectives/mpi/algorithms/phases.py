"""Per-rank pieces that several algorithms are built from: a ring pass and the binomial trees.

Each is the per-rank mirror of the simulator's schedule piece of the same name
(:mod:`collectives.sim.algorithms.phases`): the same index math, the same messages in the same
steps, so the bytes each rank sends to each peer are the simulator's. Reductions keep the
receiving rank's data on the left (``operand_first=False``), as the simulator's
``Action.REDUCE`` does.
"""

from __future__ import annotations

import numpy as np

from collectives.mpi.call import Call
from collectives.ring import ring_chunk, ring_next, ring_prev
from collectives.tree import (
    absolute_block_runs,
    binomial_children,
    binomial_parent,
    binomial_subtree,
    to_absolute,
    to_relative,
)


def ring_pass(call: Call, offsets: np.ndarray, shift: int, *, reduce: bool) -> None:
    """N - 1 steps; at step s this rank sends chunk ``(rank - s + shift) mod N`` to its right
    neighbour and receives chunk ``(left - s + shift) mod N`` from its left one, copying it in
    place or (``reduce``) combining it into its own copy of that chunk.

    ``offsets`` are the N + 1 chunk boundaries in the working buffer.
    """
    n, rank, work = call.size, call.rank, call.work
    right, left = ring_next(rank, n), ring_prev(rank, n)
    incoming = call.scratch(int(np.max(np.diff(offsets)))) if reduce and n > 1 else None
    for step in range(n - 1):
        send = ring_chunk(rank, step, n, shift)
        recv = ring_chunk(left, step, n, shift)
        outgoing = work[offsets[send]:offsets[send + 1]]
        mine = work[offsets[recv]:offsets[recv + 1]]
        if incoming is None:
            call.transport.sendrecv(outgoing, right, mine, left)
        else:
            received = incoming[:len(mine)]
            call.transport.sendrecv(outgoing, right, received, left)
            call.op.reduce_into(mine, received)


def tree_broadcast(call: Call, root: int, length: int) -> None:
    """Binomial broadcast of ``work[:length]`` from ``root``: receive from the parent, then send
    to each child, largest subtree first."""
    n = call.size
    data = call.work[:length]
    vrank = to_relative(call.rank, root, n)
    parent = binomial_parent(vrank)
    if parent is not None:
        call.transport.recv(data, to_absolute(parent, root, n))
    for child in binomial_children(vrank, n):
        call.transport.send(data, to_absolute(child, root, n))


def tree_reduce(call: Call, root: int, length: int) -> None:
    """Binomial reduce of ``work[:length]`` to ``root``: combine each child's partial result,
    smallest subtree first, own data on the left; then send the result to the parent."""
    n = call.size
    data = call.work[:length]
    vrank = to_relative(call.rank, root, n)
    incoming = call.scratch(length)
    for child in reversed(binomial_children(vrank, n)):
        call.transport.recv(incoming, to_absolute(child, root, n))
        call.op.reduce_into(data, incoming)
    parent = binomial_parent(vrank)
    if parent is not None:
        call.transport.send(data, to_absolute(parent, root, n))


def _subtree_pieces(call: Call, vrank: int, root: int, count: int) -> list[np.ndarray]:
    """The blocks of ``vrank``'s subtree in the working buffer: one view, or two when the
    subtree wraps past rank N - 1."""
    runs = absolute_block_runs(*binomial_subtree(vrank, call.size), root, call.size)
    return [call.work[first * count:(first + blocks) * count] for first, blocks in runs]


def tree_scatter(call: Call, root: int, count: int) -> None:
    """Binomial scatter of N blocks of ``count`` elements: receive the blocks of this rank's
    subtree from the parent, then send each child the blocks of the child's subtree."""
    n = call.size
    vrank = to_relative(call.rank, root, n)
    parent = binomial_parent(vrank)
    if parent is not None:
        for piece in _subtree_pieces(call, vrank, root, count):
            call.transport.recv(piece, to_absolute(parent, root, n))
    for child in binomial_children(vrank, n):
        for piece in _subtree_pieces(call, child, root, count):
            call.transport.send(piece, to_absolute(child, root, n))


def tree_gather(call: Call, root: int, count: int) -> None:
    """Binomial gather: receive each child's subtree blocks, smallest subtree first, then send
    the blocks of this rank's subtree to the parent."""
    n = call.size
    vrank = to_relative(call.rank, root, n)
    for child in reversed(binomial_children(vrank, n)):
        for piece in _subtree_pieces(call, child, root, count):
            call.transport.recv(piece, to_absolute(child, root, n))
    parent = binomial_parent(vrank)
    if parent is not None:
        for piece in _subtree_pieces(call, vrank, root, count):
            call.transport.send(piece, to_absolute(parent, root, n))
