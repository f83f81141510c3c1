"""Bruck all-to-all: ceil(lg N) steps; at step k this rank sends every block whose distance has
bit k set to ``rank + 2^k`` and receives as many from ``rank - 2^k`` (:mod:`collectives.bruck`).

Per rank, the textbook way: the blocks are first rotated into the call's scratch buffer by
distance (block i is the one for rank + i); each step packs the travelling blocks into the
front of the input area (free once rotated), receives into its second half and unpacks them at
the same distances; at the end the block of distance i, which came from rank - i, is copied to
output block ``(rank - i) mod N``. The rotations and packing move no bytes between ranks; the
simulator folds the same rotations into its first and last steps, so both send the same
messages.

Assumes: nothing (any N). Cost: its schedule's (:mod:`collectives.sim.algorithms.bruck_alltoall`),
message for message. Scratch: K bytes.
"""

from __future__ import annotations

from collectives.bruck import alltoall_runs, bruck_steps
from collectives.mpi.call import Call
from collectives.mpi.registry import register


@register("alltoall", "bruck")
def bruck_alltoall(call: Call) -> None:
    """Rotate, ceil(lg N) packed exchanges, rotate back into the output."""
    n, count, rank, work = call.size, call.problem.count, call.rank, call.work
    if n == 1:
        return  # the own block was placed in the output already
    inputs, outputs = work[:n * count], work[n * count:]
    by_distance = call.scratch(n * count)  # block i: the one for rank + i
    by_distance[:(n - rank) * count] = inputs[rank * count:]
    by_distance[(n - rank) * count:] = inputs[:rank * count]
    half = n // 2 * count  # no step moves more than N // 2 blocks
    for step in range(bruck_steps(n)):
        runs = alltoall_runs(step, n)
        packed = sum(length for _, length in runs) * count
        outgoing, incoming = inputs[:packed], inputs[half:half + packed]
        at = 0
        for first, length in runs:
            outgoing[at:at + length * count] = by_distance[first * count:(first + length) * count]
            at += length * count
        distance = 1 << step
        call.transport.sendrecv(outgoing, (rank + distance) % n, incoming, (rank - distance) % n)
        at = 0
        for first, length in runs:
            by_distance[first * count:(first + length) * count] = incoming[at:at + length * count]
            at += length * count
    blocks, out = by_distance.reshape(n, count), outputs.reshape(n, count)
    out[:rank] = blocks[rank:0:-1]  # output j < rank came from distance rank - j
    out[rank + 1:] = blocks[n - 1:rank:-1]  # output j > rank from distance N + rank - j
