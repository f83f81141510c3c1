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
other receive lands in its place. A hook's own memory (reduce-scatter's spare block) comes from
the same take of scratch, after the buffers. Cost per segment: one receive, one send and, in a
reducing step, one combination; in Python, a few calls and dictionary operations. The list of
arriving segments is worked out once per call signature and kept (the last 64), and the offsets
are Python ints, quicker to slice with than numpy's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from functools import lru_cache

import numpy as np
from mpi4py import MPI

from collectives.mpi import segments
from collectives.mpi.call import Call
from collectives.ring import ring_chunk, ring_next, ring_prev

Place = Callable[[int, int, np.ndarray], tuple[Hashable, np.ndarray]]
"""``place(step, chunk, spare) -> (key, array)``: where step ``step``'s data of chunk ``chunk``
goes, an array of the chunk's length, and a key naming that memory (equal keys, the same
memory); ``spare`` is the scratch the pass set aside for the hook."""

Arrival = tuple[int, int, slice]  #: a message from the left: (step, chunk, segment of the chunk)


def ring_stream(call: Call, offsets: np.ndarray, shift: int, steps: int,
                reduce_steps: int) -> None:
    """``steps`` ring steps over the chunks ``offsets`` cuts the working buffer into; at step s
    this rank sends chunk ``(rank - s + shift) mod N`` right and receives chunk
    ``(left - s + shift) mod N`` from the left, the first ``reduce_steps`` steps combining it
    with this rank's own data (``work[chunk] = source[chunk] ∘ incoming``, ``call.source`` laid
    out like the working buffer), the rest writing it into place. Step 0 sends its chunk of
    ``call.source``. Memory: the engine's receive buffers, when a step reduces."""
    work, source = call.work, call.source
    if call.size == 1:
        if source is not work:
            np.copyto(work, source)  # alone, this rank's data is the result
        return
    bounds = np.asarray(offsets).tolist()  # Python ints: quicker to slice with

    def in_work(step: int, chunk: int, spare: np.ndarray) -> tuple[int, np.ndarray]:
        return chunk, work[bounds[chunk]:bounds[chunk + 1]]

    ring_pipeline(call, bounds, shift, steps, reduce_steps, in_work)


def ring_pipeline(call: Call, offsets: Sequence[int], shift: int, steps: int,
                  reduce_steps: int, place: Place, spare: int = 0) -> None:
    """The engine, N > 1: ``steps`` ring steps over the chunks ``offsets`` (N + 1 Python ints)
    cuts ``call.source`` into. At step s this rank sends chunk ``(rank - s + shift) mod N`` right
    and receives chunk ``c = (left - s + shift) mod N``: in the first ``reduce_steps`` steps into
    a receive buffer, then ``place(s, c) = source[c] ∘ incoming``; later straight into
    ``place(s, c)``. Step s + 1 sends from step s's place, step 0 from ``call.source`` (in place,
    the working buffer's chunks are keyed by index). The hook gets ``spare`` elements of scratch.
    Returns once every send has completed."""
    n, rank, source, transport = call.size, call.rank, call.source, call.transport
    right, left = ring_next(rank, n), ring_prev(rank, n)
    itemsize = call.problem.itemsize if reduce_steps else 0  # 0: chunks travel whole
    arriving, cuts = _arrivals(tuple(offsets), left, n, shift, steps, itemsize,
                               segments.SEGMENT_BYTES)
    buffers, extra = _scratch(call, cuts.values() if reduce_steps else (), spare)
    last, overlap = len(arriving) - 1, buffers[0] is not buffers[1]
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
            key, array = place(step, chunk, extra)
            release(key, piece)
            into = array[piece]
        return transport.irecv(into, left), into

    pending = post(0)
    start = ring_chunk(rank, 0, n, shift)
    first, in_place, sent = source[offsets[start]:offsets[start + 1]], source is call.work, []
    for piece in cuts[len(first)]:
        sent.append(transport.isend(first[piece], right))
        if in_place:  # this chunk's result arrives later, into the memory being sent
            reading[start, piece.start] = sent[-1]
    for index, (step, chunk, piece) in enumerate(arriving):
        request, into = pending
        transport.wait_recv(request, into, left)
        # the next message may arrive while this one is combined, unless into the same buffer
        ahead = index < last and (step >= reduce_steps or overlap)
        if ahead:
            pending = post(index + 1)
        key, array = place(step, chunk, extra)
        result = array[piece]
        if step < reduce_steps:
            release(key, piece)
            call.combine(result, source[offsets[chunk]:offsets[chunk + 1]][piece], into)
        if index < last and not ahead:
            pending = post(index + 1)
        if step + 1 < steps:  # what arrived at step s leaves at step s + 1
            sent.append(transport.isend(result, right))
            reading[key, piece.start] = sent[-1]
    transport.wait_all(sent)


@lru_cache(maxsize=64)
def _arrivals(offsets: tuple[int, ...], left: int, n: int, shift: int, steps: int,
              itemsize: int, segment_bytes: int) -> tuple[tuple[Arrival, ...],
                                                           dict[int, list[slice]]]:
    """Every message from the left, in arrival order, and the cut of every chunk's length (both
    only read), kept for the next calls with the same arguments (``segment_bytes``, the size
    :mod:`~collectives.mpi.segments` cuts by, is one), so a loop of small calls works them out
    once."""
    cuts: dict[int, list[slice]] = {}
    for chunk in range(n):
        length = offsets[chunk + 1] - offsets[chunk]
        if length not in cuts:
            cuts[length] = _cut(length, itemsize)
    arriving: list[Arrival] = []
    for step in range(steps):
        chunk = ring_chunk(left, step, n, shift)
        for piece in cuts[offsets[chunk + 1] - offsets[chunk]]:
            arriving.append((step, chunk, piece))
    return tuple(arriving), cuts


def _cut(length: int, itemsize: int) -> list[slice]:
    """How a chunk travels: in segments when the pass reduces (each is combined while the next
    arrives, and leaves again at once), whole (``itemsize`` 0) when it only copies (an
    all-gather), where segments only add messages (docs/mpi.md)."""
    return segments.segments(length, itemsize) if itemsize else [slice(0, length)]


def _scratch(call: Call, cuts: Collection[list[slice]],
             spare: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """One take of the call's scratch: two receive buffers, each as large as the largest segment
    of ``cuts`` (one, shared, when every chunk travels whole), then ``spare`` elements for the
    hook; at most one chunk plus ``spare``. Without cuts or spare, nothing is taken."""
    largest, received = 0, 1
    for pieces in cuts:
        # the first segment is the largest (collectives.partition gives it the extra element)
        largest = max(largest, pieces[0].stop - pieces[0].start)
        if len(pieces) > 1:
            received = 2
    if not cuts and not spare:  # nothing to take (no step reduces): the buffers stay unused
        return (call.work, call.work), call.work[:0]
    scratch = call.scratch(received * largest + spare)
    first = scratch[:largest]
    pair = (first, first) if received == 1 else (first, scratch[largest:2 * largest])
    return pair, scratch[received * largest:]
