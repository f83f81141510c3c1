"""A ring pass whose segments flow on without waiting for whole steps: the one per-rank engine of
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

Where each step's data goes is the caller's hook, a :data:`Place`: :func:`ring_stream` puts it in
its chunk of the working buffer (all-reduce, all-gather); ring reduce-scatter alternates the
result array and one spare block (:mod:`collectives.mpi.algorithms.ring_reduce_scatter`). A
segment of a place is written again (by a combination or a receive) only once the send still
reading it has completed, as MPI requires: the first step's, in place, or the one that sent on
an earlier step's data from there. The right neighbour takes the messages in order and that send
left earlier, so it has nearly always been taken; rank r waits only for rank r + 1 to receive an
earlier message, which needs nothing of rank r + 1's later ones, so the waits form no cycle.

Memory: reducing steps receive into two segment buffers (one per message in flight), together
at most one chunk, from the communicator's scratch pool; chunks that travel whole share one
buffer of a chunk, and the next receive is posted once the last one has been combined. Every
other receive lands in its place; places outside the working buffer (reduce-scatter's spare
block) come from the same take of scratch (:func:`receive_buffers`). Cost per segment: one
receive, one send and, in a reducing step, one combination of the segment; a few dictionary and
list operations in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

import numpy as np
from mpi4py import MPI

from collectives.mpi.call import Call
from collectives.mpi.segments import largest_segment, segment_count, segments
from collectives.ring import ring_chunk, ring_next, ring_prev

Place = Callable[[int, int], tuple[Hashable, np.ndarray]]
"""``place(step, chunk) -> (key, array)``: where step ``step``'s data of chunk ``chunk`` goes, an
array of the chunk's length, and a key naming that memory (equal keys, the same memory)."""

Buffers = tuple[np.ndarray, np.ndarray]
"""The two receive buffers of the reducing steps (the same array twice when chunks travel
whole), from :func:`receive_buffers`."""


def ring_stream(call: Call, offsets: np.ndarray, shift: int, steps: int,
                reduce_steps: int) -> None:
    """``steps`` ring steps over the chunks ``offsets`` cuts the working buffer into; at step s
    this rank sends chunk ``(rank - s + shift) mod N`` right and receives chunk
    ``(left - s + shift) mod N`` from the left, the first ``reduce_steps`` steps combining it
    with this rank's own data (``work[chunk] = source[chunk] ∘ incoming``, ``call.source`` laid
    out like the working buffer), the rest writing it into place. Step 0 sends its chunk of
    ``call.source``. Scratch: :func:`receive_buffers` of the chunks, when a step reduces."""
    work, source = call.work, call.source
    if call.size == 1:
        if source is not work:
            np.copyto(work, source)  # alone, this rank's data is the result
        return
    lengths = set(np.diff(offsets).tolist())
    buffers = receive_buffers(call, lengths)[0] if reduce_steps else None

    def in_work(step: int, chunk: int) -> tuple[int, np.ndarray]:
        return chunk, work[offsets[chunk]:offsets[chunk + 1]]

    ring_pipeline(call, offsets, shift, steps, reduce_steps, in_work, buffers)


def ring_pipeline(call: Call, offsets: np.ndarray, shift: int, steps: int, reduce_steps: int,
                  place: Place, buffers: Buffers | None) -> None:
    """The engine, N > 1: ``steps`` ring steps over the chunks ``offsets`` cuts ``call.source``
    into. At step s this rank sends chunk ``(rank - s + shift) mod N`` right and receives chunk
    ``c = (left - s + shift) mod N``: in the first ``reduce_steps`` steps into ``buffers`` (None
    if none reduces), then ``place(s, c) = source[c] ∘ incoming``; later straight into
    ``place(s, c)``. Step s + 1 sends from step s's place, step 0 from ``call.source`` (in place,
    the working buffer's chunks are keyed by index). Returns once every send has completed."""
    n, rank, source, transport = call.size, call.rank, call.source, call.transport
    right, left = ring_next(rank, n), ring_prev(rank, n)
    cut = _cutter(reduce_steps, call.problem.itemsize)
    arriving = _arrivals(offsets, left, n, shift, steps, cut)
    overlap = buffers is not None and buffers[0] is not buffers[1]
    reading: dict[tuple[Hashable, int], MPI.Request] = {}  # (place, segment start) -> its send

    def release(key: Hashable, piece: slice) -> None:
        earlier = reading.pop((key, piece.start), None)
        if earlier is not None:  # MPI: a send's buffer stays untouched until it completes
            transport.wait_all([earlier])

    def post(index: int) -> tuple[MPI.Request, np.ndarray]:
        step, chunk, piece = arriving[index]
        if step < reduce_steps:
            into = buffers[index % 2][:piece.stop - piece.start]
        else:
            key, array = place(step, chunk)
            release(key, piece)
            into = array[piece]
        return transport.irecv(into, left), into

    pending = post(0)
    start = ring_chunk(rank, 0, n, shift)
    sent = _send_first(call, _chunk(source, offsets, start), start, right, cut, reading)
    for index, (step, chunk, piece) in enumerate(arriving):
        request, into = pending
        transport.wait_recv(request, into, left)
        later = index + 1 < len(arriving)
        # the next message may arrive while this one is combined, unless into the same buffer
        ahead = later and (step >= reduce_steps or overlap)
        if ahead:
            pending = post(index + 1)
        key, array = place(step, chunk)
        result = array[piece]
        if step < reduce_steps:
            release(key, piece)
            call.combine(result, _chunk(source, offsets, chunk)[piece], into)
        if later and not ahead:
            pending = post(index + 1)
        if step + 1 < steps:  # what arrived at step s leaves at step s + 1
            sent.append(transport.isend(result, right))
            reading[key, piece.start] = sent[-1]
    transport.wait_all(sent)


def receive_buffers(call: Call, lengths: Iterable[int], spare: int = 0) -> tuple[Buffers,
                                                                                 np.ndarray]:
    """The reducing steps' two receive buffers, each as large as the largest segment of a
    message of one of ``lengths`` elements (one, shared, when every such message travels whole),
    and ``spare`` elements after them: one take of the call's scratch, at most one chunk plus
    ``spare``."""
    itemsize = call.problem.itemsize
    lengths = tuple(lengths)
    largest = largest_segment(lengths, itemsize)
    if all(segment_count(length, itemsize) == 1 for length in lengths):
        scratch = call.scratch(largest + spare)
        return (scratch[:largest],) * 2, scratch[largest:]
    scratch = call.scratch(2 * largest + spare)
    return (scratch[:largest], scratch[largest:2 * largest]), scratch[2 * largest:]


def _send_first(call: Call, first: np.ndarray, start: int, right: int,
                cut: Callable[[int], list[slice]],
                reading: dict[tuple[Hashable, int], MPI.Request]) -> list[MPI.Request]:
    """Start step 0's sends, of ``first``, chunk ``start`` of ``call.source``; in place, note
    them as reading that chunk of the working buffer, keyed by the chunk's index."""
    in_place = call.source is call.work  # this chunk's result arrives later
    sent = []
    for piece in cut(len(first)):
        sent.append(call.transport.isend(first[piece], right))
        if in_place:
            reading[start, piece.start] = sent[-1]
    return sent


def _arrivals(offsets: np.ndarray, left: int, n: int, shift: int, steps: int,
              cut: Callable[[int], list[slice]]) -> list[tuple[int, int, slice]]:
    """Every message from the left, in arrival order: (step, chunk, segment of that chunk)."""
    return [(step, chunk, piece) for step in range(steps)
            for chunk in [ring_chunk(left, step, n, shift)]
            for piece in cut(_length(offsets, chunk))]


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
