"""Bruck all-gather: at step k this rank sends the ``min(2^k, N - 2^k)`` blocks it holds,
``rank, rank + 1, ...`` (mod N), to ``rank - 2^k`` and receives as many, ``rank + 2^k, ...``,
from ``rank + 2^k`` (:mod:`collectives.bruck`).

Blocks stay at their absolute positions in the working buffer, so no rotation is needed; a run
that wraps past block N - 1 travels as two messages to the same peer in the same step (the
simulator's one message in two pieces).

Assumes: nothing (any N). Cost: its schedule's (:mod:`collectives.sim.algorithms.bruck_allgather`),
message for message.
"""

from __future__ import annotations

import numpy as np

from collectives.bruck import allgather_blocks, bruck_steps
from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.tree import absolute_block_runs


def _pieces(call: Call, first_block: int, blocks: int) -> list[np.ndarray]:
    """Blocks ``first_block, first_block + 1, ...`` (mod N) of the working buffer: one view,
    or two when they wrap."""
    count = call.problem.count
    return [call.work[first * count:(first + length) * count]
            for first, length in absolute_block_runs(0, blocks, first_block, call.size)]


@register("allgather", "bruck")
def bruck_allgather(call: Call) -> None:
    """ceil(lg N) exchanges; the blocks held double each step."""
    n, rank, transport = call.size, call.rank, call.transport
    for step in range(bruck_steps(n)):
        blocks, distance = allgather_blocks(step, n), 1 << step
        to, source = (rank - distance) % n, (rank + distance) % n
        incoming = _pieces(call, source, blocks)
        receives = [transport.irecv(piece, source) for piece in incoming]
        sends = [transport.isend(piece, to) for piece in _pieces(call, rank, blocks)]
        for request, piece in zip(receives, incoming, strict=True):
            transport.wait_recv(request, piece, source)
        transport.wait_all(sends)
