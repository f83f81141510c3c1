"""Bruck's algorithms (any N, ceil(lg N) steps): which blocks travel at each step.

Both sides cut their messages here, so they agree block for block.

- All-gather (blocks at their absolute positions, block i belongs to rank i): at step k rank r
  sends the ``min(2**k, N - 2**k)`` blocks ``r, r + 1, ...`` (mod N) that it holds to rank
  ``r - 2**k`` and receives blocks ``r + 2**k, ...`` from ``r + 2**k``. After step k it holds the
  consecutive blocks ``r .. r + min(2**(k+1), N) - 1`` (mod N), so after the last step all N,
  each already in its place: no final rotation.
- All-to-all: rank r numbers its blocks by distance, block i being the one for rank ``r + i``
  (a local rotation). At step k it sends every block whose index has bit k set to ``r + 2**k``,
  which keeps it at the same index; at the end index i holds the block from rank ``r - i``.
  Step k moves the blocks whose indices in ``1..N-1`` have bit k set; over all steps, rank r
  sends ``sum(popcount(i) for i < N)`` blocks, ``(N/2)·lg N`` for N = 2**k: ``(K/2)·lg N``.
"""

from __future__ import annotations

import numpy as np

from collectives.tree import binomial_rounds


def bruck_steps(size: int) -> int:
    """ceil(lg N), 0 for one rank."""
    return binomial_rounds(size)


def allgather_blocks(step: int, size: int) -> int:
    """Blocks each rank sends at all-gather step ``step``: ``min(2**step, N - 2**step)``."""
    distance = 1 << step
    return min(distance, size - distance)


def travels(distance: np.ndarray, step: int) -> np.ndarray:
    """Whether the all-to-all block of each ``distance`` travels at step ``step``: bit ``step``
    of its distance is set."""
    return (distance >> step) & 1 == 1


def alltoall_runs(step: int, size: int) -> list[tuple[int, int]]:
    """The distances of 0..N-1 that travel at step ``step`` (:func:`travels`), as runs of
    consecutive ones: (first, how many)."""
    distance = 1 << step
    return [(first, min(distance, size - first))
            for first in range(distance, size, 2 * distance)]


def alltoall_total_blocks(size: int) -> int:
    """Blocks each rank sends over all the steps: ``sum(popcount(i) for i < N)``."""
    return sum(bin(i).count("1") for i in range(size))
