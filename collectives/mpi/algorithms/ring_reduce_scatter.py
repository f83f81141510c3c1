"""Ring reduce-scatter: at step s rank r sends block (r - s - 1) mod N to r + 1, which adds it
into its copy; after N - 1 steps rank r holds block r fully reduced.

Assumes: a commutative op. Cost: N - 1 steps; every rank sends K(N - 1)/N bytes. One scratch
block holds what arrives.
"""

from __future__ import annotations

import numpy as np

from collectives.mpi.algorithms.phases import ring_pass
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.ring import REDUCE_SCATTER_SHIFT


@register("reduce_scatter", "ring")
def ring_reduce_scatter(call: Call) -> None:
    """N - 1 ring steps combining blocks on the way."""
    offsets = np.arange(call.size + 1, dtype=np.int64) * call.problem.count
    ring_pass(call, offsets, REDUCE_SCATTER_SHIFT, reduce=True)
