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
from collectives.mpi.segments import largest_segment, segment_count, segments
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
    neighbour and receives chunk ``(left - s + shift) mod N`` from its left one, straight into
    place or (``reduce``) combined with its own copy of that chunk into place.

    ``offsets`` are the N + 1 chunk boundaries in the working buffer. Reducing, this rank's own
    data is read from ``call.source`` (laid out like the working buffer): the first step sends
    a chunk of it, and every step writes ``work[chunk] = source[chunk] ∘ incoming``, so out of
    place the input is never copied; each later step sends the chunk the step before reduced.
    """
    n, rank, work = call.size, call.rank, call.work
    if reduce and n == 1 and call.source is not work:
        np.copyto(work, call.source)  # alone, this rank's data is the reduction
    right, left = ring_next(rank, n), ring_prev(rank, n)
    buffers = _reduce_buffers(call, offsets) if reduce and n > 1 else None
    for step in range(n - 1):
        send = ring_chunk(rank, step, n, shift)
        recv = ring_chunk(left, step, n, shift)
        into = slice(offsets[recv], offsets[recv + 1])
        if buffers is None:
            call.transport.sendrecv(work[offsets[send]:offsets[send + 1]], right, work[into],
                                    left)
        else:
            sent_from = call.source if step == 0 else work
            _reduce_step(call, sent_from[offsets[send]:offsets[send + 1]], right,
                         call.source[into], work[into], left, buffers)


def _reduce_buffers(call: Call, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two scratch buffers, each as large as the largest segment that arrives: together at
    most one chunk (a chunk that travels whole needs one, of its own size)."""
    lengths = tuple(int(length) for length in set(np.diff(offsets).tolist()))
    largest = largest_segment(lengths, call.problem.itemsize)
    if all(segment_count(length, call.problem.itemsize) == 1 for length in lengths):
        only = call.scratch(largest)
        return only, only
    pair = call.scratch(2 * largest)
    return pair[:largest], pair[largest:]


def _reduce_step(call: Call, outgoing: np.ndarray, right: int, mine: np.ndarray,
                 into: np.ndarray, left: int, buffers: tuple[np.ndarray, np.ndarray]) -> None:
    """One reduce step, pipelined: send ``outgoing`` right in segments; receive the left
    neighbour's copy of ``mine``'s chunk segment by segment, alternating between the two
    buffers, and reduce each segment (``into = mine ∘ incoming``) while the next one arrives,
    so what arrived is still in cache when it is added."""
    transport, itemsize = call.transport, call.problem.itemsize
    pieces = segments(len(mine), itemsize)
    incoming = [buffers[i % 2][:piece.stop - piece.start] for i, piece in enumerate(pieces)]
    pending = transport.irecv(incoming[0], left)
    sends = [transport.isend(outgoing[piece], right) for piece in segments(len(outgoing),
                                                                          itemsize)]
    for i, piece in enumerate(pieces):
        transport.wait_recv(pending, incoming[i], left)
        if i + 1 < len(pieces):
            pending = transport.irecv(incoming[i + 1], left)
        call.combine(into[piece], mine[piece], incoming[i])
    transport.wait_all(sends)


def tree_broadcast(call: Call, root: int, length: int,
                   origin: np.ndarray | None = None) -> None:
    """Binomial broadcast of ``work[:length]`` from ``root``: receive from the parent, then send
    to each child, largest subtree first.

    A message to a rank that forwards it travels in segments (:mod:`collectives.mpi.segments`),
    and that rank sends each segment on as soon as it has arrived; a message to a leaf travels
    whole. A rank's sends to all its children are under way together, so children receive at
    the same time rather than one after another (the bytes each pair exchanges are the
    unsegmented tree's). The root sends from ``origin`` (default ``work``); when that is
    another array it copies it into ``work`` while its children receive.
    """
    n, transport, itemsize = call.size, call.transport, call.problem.itemsize
    data = call.work[:length]
    vrank = to_relative(call.rank, root, n)
    parent = binomial_parent(vrank)
    children = binomial_children(vrank, n)
    forwarders = [to_absolute(c, root, n) for c in children if binomial_children(c, n)]
    leaves = [to_absolute(c, root, n) for c in children if not binomial_children(c, n)]
    pieces = segments(length, itemsize)
    if parent is None:
        apart = origin is not None and origin is not call.work
        sent = origin[:length] if apart else data
        sends = [transport.isend(sent[piece], child) for child in forwarders for piece in pieces]
        sends += [transport.isend(sent, child) for child in leaves]
        if apart:
            np.copyto(data, sent)
        transport.wait_all(sends)
        return
    source = to_absolute(parent, root, n)
    if not children:
        transport.recv(data, source)
        return
    receives = [transport.irecv(data[piece], source) for piece in pieces]
    sends = []
    for piece, receive in zip(pieces, receives, strict=True):
        transport.wait_recv(receive, data[piece], source)
        sends += [transport.isend(data[piece], child) for child in forwarders]
    sends += [transport.isend(data, child) for child in leaves]
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
