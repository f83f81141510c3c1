"""Broadcast by binomial scatter, then ring all-gather (van de Geijn; MPICH's long-message
broadcast).

Chunks as in the simulator (:mod:`collectives.sim.algorithms.scatter_allgather_broadcast`): the
count cut into N chunks differing by at most one element, chunk v belonging to vrank
``v = (rank - root) mod N``, so a binomial subtree's chunks are one contiguous piece.
Per rank: receive its subtree's chunks from its parent, send each child the child's subtree's
chunks (largest first), then N - 1 ring steps over vranks: send chunk ``(v - s) mod N`` to
vrank v + 1 while receiving chunk ``(v - 1 - s) mod N`` from vrank v - 1, in place.

Assumes: nothing (any N, any root). Cost: its schedule's, message for message.
"""

from __future__ import annotations

import numpy as np

from collectives.mpi.call import Call
from collectives.mpi.registry import register
from collectives.partition import chunk_offsets
from collectives.ring import ring_chunk, ring_next, ring_prev
from collectives.tree import (
    binomial_children,
    binomial_parent,
    binomial_subtree,
    to_absolute,
    to_relative,
)


@register("broadcast", "scatter_allgather")
def scatter_allgather_broadcast(call: Call) -> None:
    """Scatter the root's chunks down a binomial tree, then all-gather them around a ring."""
    n, root, work = call.size, call.problem.root, call.work
    offsets = chunk_offsets(call.problem.count, n)  # chunk v is vrank v's

    def chunks(first: int, stop: int) -> np.ndarray:
        return work[offsets[first]:offsets[stop]]

    vrank = to_relative(call.rank, root, n)
    # scatter: this rank's subtree from the parent, each child's subtree to the child
    parent = binomial_parent(vrank)
    if parent is not None:
        call.transport.recv(chunks(*binomial_subtree(vrank, n)), to_absolute(parent, root, n))
    for child in binomial_children(vrank, n):
        call.transport.send(chunks(*binomial_subtree(child, n)), to_absolute(child, root, n))
    # all-gather around the ring of vranks
    right = to_absolute(ring_next(vrank, n), root, n)
    left = to_absolute(ring_prev(vrank, n), root, n)
    for step in range(n - 1):
        send = ring_chunk(vrank, step, n)
        receive = ring_chunk(ring_prev(vrank, n), step, n)
        call.transport.sendrecv(chunks(send, send + 1), right, chunks(receive, receive + 1), left)
