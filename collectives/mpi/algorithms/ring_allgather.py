"""Ring all-gather: at step s rank r sends block (r - s) mod N to r + 1 and receives block
(r - 1 - s) mod N from r - 1, straight into its place.

Assumes: nothing (any N). Cost: N - 1 steps; every rank sends K(N - 1)/N bytes.
"""

from __future__ import annotations

import numpy as np

from collectives.mpi.algorithms.phases import ring_pass
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.ring import ALLGATHER_SHIFT


@register("allgather", "ring")
def ring_allgather(call: Call) -> None:
    """N - 1 ring steps passing blocks on."""
    offsets = np.arange(call.size + 1, dtype=np.int64) * call.problem.count
    ring_pass(call, offsets, ALLGATHER_SHIFT, reduce=False)
