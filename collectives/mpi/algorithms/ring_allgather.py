"""Ring all-gather: at step s rank r sends block (r - s) mod N to r + 1 and receives block
(r - 1 - s) mod N from r - 1, straight into its place.

The input is placed in the result before the first send, which goes from there: the
neighbour reads a block still in the shared cache (docs/mpi.md); blocks travel whole
(:mod:`collectives.mpi.algorithms.ring_stream`).

Assumes: nothing (any N). Cost: its schedule's (:mod:`collectives.sim.algorithms.ring_allgather`),
message for message.
"""

from __future__ import annotations

import numpy as np

from collectives.mpi.algorithms.ring_stream import ring_stream
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.ring import ALLGATHER_SHIFT


@register("allgather", "ring")
def ring_allgather(call: Call) -> None:
    """N - 1 ring steps passing blocks on."""
    offsets = np.arange(call.size + 1, dtype=np.int64) * call.problem.count
    ring_stream(call, offsets, ALLGATHER_SHIFT, steps=call.size - 1, reduce_steps=0)
