"""Ring reduce-scatter: at step s rank r sends block (r - s - 1) mod N to r + 1, which combines
it with its own copy; after N - 1 steps rank r holds block r fully reduced.

Assumes: a commutative op. This rank's blocks are read where the caller left them (the input is
never copied). The algorithm works in the caller's result array
(:func:`~collectives.mpi.call.works_in_result`): no working buffer of N blocks is taken, and
nothing is copied out. The partial results of the last step, of the third-last and so on are
written to the result array, those of the steps between to one spare block, at the segment's offset
within its block (``place[piece] = x[block][piece] ∘ incoming``), and sent on from there; the last
step's combination is the result itself. Large blocks travel in segments of about 1 MiB
(:mod:`collectives.mpi.segments`), each received into one of two segment buffers while the one
before it is combined, and sent on as soon as it has been combined (as in
:mod:`collectives.mpi.algorithms.ring_stream`).

A partial result is needed only until its send completes (MPI: a send's buffer stays untouched
until then); before a segment is combined into a place, the send from that place two steps
earlier is completed. The right neighbour takes the messages in order, and that send left two
blocks of segments earlier, so it has nearly always been taken: with one place written every
step, ranks waited for their right neighbour and the call took twice as long (docs/mpi.md).
No cycle of waits: rank r overwriting a segment waits
only for rank r + 1 to have received an earlier message, which needs nothing of rank r + 1's
later ones.

Cost: its schedule's (:mod:`collectives.sim.algorithms.ring_reduce_scatter`), its messages cut
into segments. Memory: two segment buffers (one when a block travels whole, at most 2 MiB) and, for
N > 2, one spare block (K/N); why one and not two: docs/mpi.md.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from collectives.mpi.call import Call, works_in_result
from collectives.mpi.registry import register
from collectives.mpi.segments import segments
from collectives.ring import REDUCE_SCATTER_SHIFT, ring_chunk, ring_next, ring_prev


@register("reduce_scatter", "ring")
@works_in_result
def ring_reduce_scatter(call: Call) -> None:
    """N - 1 ring steps combining blocks on the way, every partial result in ``call.work``
    (the result, ``count`` elements)."""
    n, rank, result, source = call.size, call.rank, call.work, call.source
    count = call.problem.count

    def block(index: int) -> np.ndarray:
        return source[index * count:(index + 1) * count]

    if n == 1:
        np.copyto(result, block(0))  # alone, this rank's data is the result
        return
    transport, itemsize = call.transport, call.problem.itemsize
    right, left = ring_next(rank, n), ring_prev(rank, n)
    pieces = segments(count, itemsize)
    # every message from the left, in arrival order: (step, block, segment of that block)
    arriving = [(step, ring_chunk(left, step, n, REDUCE_SCATTER_SHIFT), piece)
                for step in range(n - 1) for piece in pieces]
    largest = max(piece.stop - piece.start for piece in pieces)
    received = 1 if len(pieces) == 1 else 2  # a block that travels whole: received after combine
    scratch = call.scratch(received * largest + (count if n > 2 else 0))
    buffers = (scratch[:largest], scratch[largest:2 * largest]) if received == 2 else \
        (scratch[:largest],) * 2
    # step s's partial results: the last step's in the result, the one before in a spare block,
    # and so on alternately, so a place is written again two steps after it was sent from
    places = [result if _place(n, step) == 0 else scratch[received * largest:]
              for step in range(n - 1)]
    reading: dict[tuple[int, int], MPI.Request] = {}  # (place, segment start) -> send reading it

    def post(index: int) -> tuple[MPI.Request, np.ndarray]:
        piece = arriving[index][2]
        into = buffers[index % 2][:piece.stop - piece.start]
        return transport.irecv(into, left), into

    pending = post(0)
    first = block(ring_chunk(rank, 0, n, REDUCE_SCATTER_SHIFT))
    sent = [transport.isend(first[piece], right) for piece in pieces]
    for index, (step, chunk, piece) in enumerate(arriving):
        request, into = pending
        transport.wait_recv(request, into, left)
        later = index + 1 < len(arriving)
        # the next message may arrive while this one is combined, unless into the same buffer
        ahead = later and received == 2
        if ahead:
            pending = post(index + 1)
        earlier = reading.pop((_place(n, step), piece.start), None)
        if earlier is not None:  # the previous step's partial result here is still being sent
            transport.wait_all([earlier])
        partial = places[step][piece]
        call.combine(partial, block(chunk)[piece], into)
        if later and not ahead:
            pending = post(index + 1)
        if step + 1 < n - 1:  # what arrived at step s leaves at step s + 1
            send = transport.isend(partial, right)
            sent.append(send)
            reading[_place(n, step), piece.start] = send
    transport.wait_all(sent)


def _place(n: int, step: int) -> int:
    """Where step ``step``'s partial results go: 0 the result array, 1 the spare block."""
    return (n - 2 - step) % 2
