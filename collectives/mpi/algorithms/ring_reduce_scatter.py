"""Ring reduce-scatter: at step s rank r sends block (r - s - 1) mod N to r + 1, which combines
it with its own copy; after N - 1 steps rank r holds block r fully reduced.

Assumes: a commutative op. This rank's blocks are read where the caller left them (the input is
never copied). The algorithm works in the caller's result array
(:func:`~collectives.mpi.call.works_in_result`): no working buffer of N blocks is taken, and
nothing is copied out. It is the ring engine's pass
(:func:`~collectives.mpi.algorithms.ring_stream.ring_pipeline`: segments of about 1 MiB, each
received into one of two segment buffers while the one before it is combined, and sent on as
soon as it has been combined) with its own places for the partial results: those of the last
step, of the third-last and so on in the result array, those of the steps between in one spare
block, at the segment's offset within its block (``place[piece] = x[block][piece] ∘ incoming``),
and sent on from there; the last step's combination is the result itself.

A partial result is needed only until its send completes, and the engine completes that send
before it combines into the same segment again: here two steps later, so the right neighbour,
which takes the messages in order, has nearly always taken it by then. With one place written
every step, ranks waited for their right neighbour and the call took twice as long (docs/mpi.md).

Cost: its schedule's (:mod:`collectives.sim.algorithms.ring_reduce_scatter`), its messages cut
into segments. Memory: two segment buffers (one when a block travels whole, at most 2 MiB) and, for
N > 2, one spare block (K/N); why one and not two: docs/mpi.md.
"""

from __future__ import annotations

import numpy as np

from collectives.mpi.algorithms.ring_stream import ring_pipeline
from collectives.mpi.call import Call, works_in_result
from collectives.mpi.registry import register
from collectives.ring import REDUCE_SCATTER_SHIFT


@register("reduce_scatter", "ring")
@works_in_result
def ring_reduce_scatter(call: Call) -> None:
    """N - 1 ring steps combining blocks on the way, every partial result in ``call.work``
    (the result, ``count`` elements) or, for N > 2, one spare block of scratch."""
    n, result, count = call.size, call.work, call.problem.count
    if n == 1:
        np.copyto(result, call.source[:count])  # alone, this rank's data is the result
        return

    def place(step: int, block: int, spare: np.ndarray) -> tuple[str, np.ndarray]:
        """Step ``step``'s partial results: the last step's in the result, the one before in
        the spare block, and so on alternately, so a place is written again two steps after it
        was sent from."""
        return ("result", result) if (n - 2 - step) % 2 == 0 else ("spare", spare)

    offsets = [block * count for block in range(n + 1)]
    ring_pipeline(call, offsets, REDUCE_SCATTER_SHIFT, n - 1, n - 1, place,
                  spare=count if n > 2 else 0)
