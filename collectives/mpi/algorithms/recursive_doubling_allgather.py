"""Recursive-doubling all-gather: at step k this rank swaps the 2**k blocks it holds (the
aligned block of 2**k blocks around its own) with rank XOR 2**k, receiving straight into place.

Assumes: N a power of two (other N are refused before any message, naming the algorithms that
take any N). Cost: its schedule's (:mod:`collectives.sim.algorithms.recursive_doubling_allgather`),
message for message, each step one ``Sendrecv``-like exchange. No scratch.
"""

from __future__ import annotations

import numpy as np

from collectives.halving_doubling import NATURAL
from collectives.mpi.algorithms.halving_phases import doubling
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("allgather", "recursive_doubling")
def recursive_doubling_allgather(call: Call) -> None:
    """lg N exchanges of the blocks held (unit i is block i; newrank = rank)."""
    offsets = np.arange(call.size + 1, dtype=np.int64) * call.problem.count
    doubling(call, offsets, NATURAL, call.rank)
