"""Per-rank pieces that several algorithms are built from: the binomial trees (the ring pass is
:mod:`collectives.mpi.algorithms.ring_stream`).

Each is the per-rank mirror of the simulator's schedule piece of the same name
(:mod:`collectives.sim.algorithms.phases`): the same index math, the same messages in the same
steps, so the bytes each rank sends to each peer are the simulator's. Reductions keep the
receiving rank's data on the left (``operand_first=False``), as the simulator's
``Action.REDUCE`` does.
"""

from __future__ import annotations

import numpy as np

from collectives.mpi.call import Call
from collectives.mpi.segments import segments
from collectives.tree import (
    absolute_block_runs,
    binomial_children,
    binomial_parent,
    binomial_subtree,
    to_absolute,
    to_relative,
)


def tree_broadcast(call: Call, root: int, length: int,
                   origin: np.ndarray | None = None) -> None:
    """Binomial broadcast of ``work[:length]`` from ``root``: receive from the parent, then send
    to each child, largest subtree first.

    Every message travels in segments (:mod:`collectives.mpi.segments`). A rank sends each
    segment on to its first child as soon as it has arrived, so that subtree forwards while its
    root still receives; then it serves its other children one after another, as the
    simulator's steps do. The root sends from ``origin`` (default ``work``); when that is
    another array it copies it into ``work`` while its first child receives.
    """
    n, transport, itemsize = call.size, call.transport, call.problem.itemsize
    data = call.work[:length]
    vrank = to_relative(call.rank, root, n)
    parent = binomial_parent(vrank)
    children = [to_absolute(c, root, n) for c in binomial_children(vrank, n)]
    pieces = segments(length, itemsize)
    sends: list = []
    if parent is None:
        apart = origin is not None and origin is not call.work
        sent = origin[:length] if apart else data
        for index, child in enumerate(children):
            transport.wait_all(sends)
            sends = [transport.isend(sent[piece], child) for piece in pieces]
            if apart and index == 0:
                np.copyto(data, sent)
        if apart and not children:
            np.copyto(data, sent)
        transport.wait_all(sends)
        return
    source = to_absolute(parent, root, n)
    receives = [transport.irecv(data[piece], source) for piece in pieces]
    for piece, receive in zip(pieces, receives, strict=True):
        transport.wait_recv(receive, data[piece], source)
        sends += [transport.isend(data[piece], child) for child in children[:1]]
    for child in children[1:]:
        transport.wait_all(sends)
        sends = [transport.isend(data[piece], child) for piece in pieces]
    transport.wait_all(sends)


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
