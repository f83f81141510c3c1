"""The per-rank view of a group of ranks (a node, or the ranks of one place across nodes) for
the hierarchical algorithms: a :class:`~collectives.mpi.call.Call` numbered within the group, so
the flat ring functions run on it unchanged.

The group's call sends through :meth:`collectives.mpi.transport.Transport.group`, on the
communicator's private duplicate, named and counted by the communicator's ranks. Its scratch
comes from a second pool kept beside the communicator's (one per communicator, freed with it), so
a ring inside the group never takes the memory the hierarchical algorithm itself holds from the
first.
"""

from __future__ import annotations

import weakref
from dataclasses import replace

import numpy as np

from collectives.hierarchy import group_size_of
from collectives.mpi.call import Call, ScratchPool

# the communicator's pool -> the pool of the calls of its groups
_INNER: weakref.WeakKeyDictionary[ScratchPool, ScratchPool] = weakref.WeakKeyDictionary()


def group_size(call: Call) -> int:
    """G, the ranks per node of the call (N where it gives none: one node)."""
    return group_size_of(call.size, call.problem.group_size)


def group_call(call: Call, members: tuple[int, ...], count: int, work: np.ndarray,
               source: np.ndarray) -> Call:
    """This rank's call within the group ``members`` (communicator ranks, in ring order): the
    same collective on ``len(members)`` ranks with ``count`` elements a block, on ``work``
    reading ``source``."""
    pool = _INNER.get(call.pool)
    if pool is None:
        pool = _INNER[call.pool] = ScratchPool()
    problem = replace(call.problem, ranks=len(members), block_shape=(count,), group_size=None)
    return Call(problem, members.index(call.rank), work, call.transport.group(members),
                call.comm, pool, source)
