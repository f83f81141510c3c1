"""A ring pass whose segments flow on without waiting for whole steps: the per-rank engine of
ring all-gather, reduce-scatter and all-reduce.

Ring property it relies on: what a rank sends at step s + 1 is exactly the chunk it received
(and, in a reducing step, combined with its own copy) at step s, since
``ring_chunk(rank, s + 1) == ring_chunk(left, s)`` (:mod:`collectives.ring`). So instead of
stepping in lock-step (receive a whole chunk, then send it on at the next step), each segment
(:mod:`collectives.mpi.segments`) is sent on to the right as soon as it has arrived from the left
and, in a reducing step, been combined. An all-reduce is 2(N - 1) such steps with one shift (the
all-gather phase's shift 1 at step t is shift 0 at step N - 1 + t), so a segment reduced at the
last reduce-scatter step leaves at once as the first all-gather step's.

The messages are the lock-step ring's, cut into segments: the same bytes to the same peer at the
same step as the simulator's schedule; only the waiting changed. MPI keeps the messages from one
source in order, and both ends cut a chunk from its length alone, so each receive, posted one
ahead of the message being handled, matches the segment it expects.

Memory: reducing steps receive into two segment buffers (one per message in flight), together
at most one chunk, from the communicator's scratch pool; chunks that travel whole share one
buffer of a chunk, and the next receive is posted once the last one has been combined. Every
other receive lands in place.
A receive into the working buffer first completes the send still reading that segment (the
first step's, in place, or the reduce-scatter's partial result), as MPI requires; the ring's
order means it has been received by then (it left N - 1 steps earlier).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from mpi4py import MPI

from collectives.mpi.call import Call
from collectives.mpi.segments import largest_segment, segment_count, segments
from collectives.ring import ring_chunk, ring_next, ring_prev


def ring_stream(call: Call, offsets: np.ndarray, shift: int, steps: int,
                reduce_steps: int) -> None:
    """``steps`` ring steps over the chunks ``offsets`` cuts the working buffer into; at step s
    this rank sends chunk ``(rank - s + shift) mod N`` right and receives chunk
    ``(left - s + shift) mod N`` from the left, the first ``reduce_steps`` steps combining it
    with this rank's own data (``work[chunk] = source[chunk] ∘ incoming``, ``call.source`` laid
    out like the working buffer), the rest writing it into place. Step 0 sends its chunk of
    ``call.source``."""
    n, rank, work, source = call.size, call.rank, call.work, call.source
    start = ring_chunk(rank, 0, n, shift)
    if n == 1:
        if source is not work:
            np.copyto(work, source)  # alone, this rank's data is the result
        return
    transport, itemsize = call.transport, call.problem.itemsize
    right, left = ring_next(rank, n), ring_prev(rank, n)
    cut = _cutter(reduce_steps, itemsize)
    # every message from the left, in arrival order: (step, chunk, segment of that chunk)
    arriving = [(step, chunk, piece) for step in range(steps)
                for chunk in [ring_chunk(left, step, n, shift)]
                for piece in cut(_length(offsets, chunk))]
    buffers = _reduce_buffers(call, offsets) if reduce_steps else (work, work)
    reading: dict[tuple[int, int], MPI.Request] = {}  # (chunk, segment start) -> its last send

    def post(index: int) -> tuple[MPI.Request, np.ndarray]:
        step, chunk, piece = arriving[index]
        if step < reduce_steps:
            into = buffers[index % 2][:piece.stop - piece.start]
        else:
            earlier = reading.pop((chunk, piece.start), None)
            if earlier is not None:  # MPI: a send's buffer stays untouched until it completes
                transport.wait_all([earlier])
            into = _chunk(work, offsets, chunk)[piece]
        return transport.irecv(into, left), into

    pending = post(0)
    first = _chunk(source, offsets, start)
    sent = []
    for piece in cut(len(first)):
        sent.append(transport.isend(first[piece], right))
        if source is work:  # in place: this chunk's result arrives later
            reading[start, piece.start] = sent[-1]
    for index, (step, chunk, piece) in enumerate(arriving):
        request, into = pending
        transport.wait_recv(request, into, left)
        later = index + 1 < len(arriving)
        # the next message may arrive while this one is combined, unless into the same buffer
        ahead = later and (step >= reduce_steps or buffers[0] is not buffers[1])
        if ahead:
            pending = post(index + 1)
        result = _chunk(work, offsets, chunk)[piece]
        if step < reduce_steps:
            call.combine(result, _chunk(source, offsets, chunk)[piece], into)
        if later and not ahead:
            pending = post(index + 1)
        if step + 1 < steps:  # what arrived at step s leaves at step s + 1
            send = transport.isend(result, right)
            sent.append(send)
            reading[chunk, piece.start] = send
    transport.wait_all(sent)


def _cutter(reduce_steps: int, itemsize: int) -> Callable[[int], list[slice]]:
    """How a chunk of a given length travels: in segments when the pass reduces (each is
    combined while the next arrives, and leaves again at once), whole when it only copies (an
    all-gather), where segments only add messages (docs/mpi.md)."""
    if reduce_steps == 0:
        return lambda length: [slice(0, length)]
    return lambda length: segments(length, itemsize)


def _chunk(array: np.ndarray, offsets: np.ndarray, chunk: int) -> np.ndarray:
    return array[offsets[chunk]:offsets[chunk + 1]]


def _length(offsets: np.ndarray, chunk: int) -> int:
    return int(offsets[chunk + 1] - offsets[chunk])


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
