"""Ring neighbours and which chunk a rank handles at each step of a ring algorithm.

Every function works on Python ints and, elementwise, on numpy integer arrays of ranks, so the
MPI side asks "what do I send now" and the simulator asks "what does every rank send now" with
the same code.

Ring chunk schedule (Patarasuk and Yuan; the reference's indexing): at step ``s`` rank ``r``
sends chunk ``(r - s + shift) mod N`` to its right neighbour ``r + 1``.

- all-reduce, reduce-scatter phase: shift 0, so rank r ends holding chunk r + 1 fully reduced;
- all-reduce, all-gather phase: shift 1, so rank r first forwards the chunk it completed;
- reduce-scatter (block j belongs to rank j): shift -1, so rank r ends holding block r;
- all-gather (rank r starts with block r): shift 0.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

RankLike = TypeVar("RankLike", int, np.ndarray)


def ring_next(rank: RankLike, size: int) -> RankLike:
    """The rank a ring algorithm sends to: ``rank + 1`` modulo ``size``."""
    return (rank + 1) % size


def ring_prev(rank: RankLike, size: int) -> RankLike:
    """The rank a ring algorithm receives from: ``rank - 1`` modulo ``size``."""
    return (rank - 1) % size


def ring_chunk(rank: RankLike, step: int, size: int, shift: int = 0) -> RankLike:
    """Chunk that ``rank`` sends at ``step``: ``(rank - step + shift) mod size``."""
    return (rank - step + shift) % size


# Shifts of the ring phases named in the module docstring.
ALLREDUCE_REDUCE_SCATTER_SHIFT = 0
ALLREDUCE_ALLGATHER_SHIFT = 1
REDUCE_SCATTER_SHIFT = -1
ALLGATHER_SHIFT = 0
