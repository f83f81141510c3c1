"""Ring reduce-scatter: at step s rank r sends block (r - s - 1) mod N to r + 1, which combines
it with its own copy; after N - 1 steps rank r holds block r fully reduced.

Assumes: a commutative op. This rank's blocks are read where the caller left them, each
reduction writing ``work[block] = x[block] ∘ incoming`` (the input is never copied); large blocks
travel in segments of about 1 MiB, each added while the next arrives, from two segment buffers,
and each sent on as soon as it has been added (:mod:`collectives.mpi.algorithms.ring_stream`).
Cost: N - 1 steps; every rank sends K(N - 1)/N bytes.
"""

from __future__ import annotations

import numpy as np

from collectives.mpi.algorithms.ring_stream import ring_stream
from collectives.mpi.call import Call, reads_source
from collectives.mpi.registry import register
from collectives.ring import REDUCE_SCATTER_SHIFT


@register("reduce_scatter", "ring")
@reads_source
def ring_reduce_scatter(call: Call) -> None:
    """N - 1 ring steps combining blocks on the way."""
    offsets = np.arange(call.size + 1, dtype=np.int64) * call.problem.count
    n = call.size
    ring_stream(call, offsets, REDUCE_SCATTER_SHIFT, steps=n - 1, reduce_steps=n - 1)
