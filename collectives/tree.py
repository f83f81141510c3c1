"""Binomial trees relative to any root: parent, children, subtrees and rounds.

Ranks are renumbered relative to the root, ``vrank = (rank - root) mod N``, so the root is vrank 0
(MPICH's convention). The tree has ``R = ceil(lg N)`` levels:

- the parent of vrank ``v > 0`` is ``v`` with its lowest set bit cleared;
- the children of ``v`` are ``v + m`` for the powers of two ``m`` below ``lowbit(v)``
  (below ``2**R`` for the root) with ``v + m < N``;
- the subtree of ``v`` is the vrank range ``[v, min(v + lowbit(v), N))``.

Downward collectives (broadcast, scatter) run round ``t = 0..R-1`` with ``m = 2**(R-1-t)``:
every ``v`` that is a multiple of ``2m`` with ``v + m < N`` sends to ``v + m`` (largest subtree
first). Upward collectives (reduce, gather) are the mirror image: round ``t`` has ``m = 2**t`` and
``v + m`` sends to ``v``; a parent has then already combined the vranks ``[v, v + m)``, so it keeps
rank order by putting its own data on the left.
"""

from __future__ import annotations

import numpy as np


def binomial_rounds(size: int) -> int:
    """Levels of the binomial tree on ``size`` ranks: ``ceil(lg size)``, 0 for one rank."""
    return (size - 1).bit_length()


def to_relative(rank: int, root: int, size: int) -> int:
    """The vrank of ``rank`` in a tree rooted at ``root``."""
    return (rank - root) % size


def to_absolute(vrank: int, root: int, size: int) -> int:
    """The rank of ``vrank`` in a tree rooted at ``root``."""
    return (vrank + root) % size


def _lowbit(vrank: int, size: int) -> int:
    """Lowest set bit of ``vrank``; for the root, the first power of two >= ``size``."""
    return vrank & -vrank if vrank else 1 << binomial_rounds(size)


def binomial_parent(vrank: int) -> int | None:
    """Parent vrank of ``vrank``, or None for the root."""
    return vrank & (vrank - 1) if vrank else None


def binomial_children(vrank: int, size: int) -> list[int]:
    """Children of ``vrank``, largest subtree first (the order a downward collective sends)."""
    children = []
    mask = _lowbit(vrank, size) >> 1
    while mask:
        if vrank + mask < size:
            children.append(vrank + mask)
        mask >>= 1
    return children


def binomial_subtree(vrank: int, size: int) -> tuple[int, int]:
    """The vranks ``[start, stop)`` in the subtree of ``vrank``."""
    return vrank, min(vrank + _lowbit(vrank, size), size)


def _round_parents(mask: int, size: int) -> np.ndarray:
    parents = np.arange(0, size, 2 * mask, dtype=np.int64)
    return parents[parents + mask < size]


def binomial_down_round(round_index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Senders and receivers (vranks) of round ``round_index`` of a downward collective."""
    mask = 1 << (binomial_rounds(size) - 1 - round_index)
    parents = _round_parents(mask, size)
    return parents, parents + mask


def binomial_up_round(round_index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Senders and receivers (vranks) of round ``round_index`` of an upward collective."""
    mask = 1 << round_index
    parents = _round_parents(mask, size)
    return parents + mask, parents


def absolute_block_runs(vstart: int, vstop: int, root: int, size: int) -> list[tuple[int, int]]:
    """The blocks of vranks ``[vstart, vstop)`` as runs of consecutive ranks: (first, how many).

    A subtree is contiguous in vranks; in real ranks it wraps past rank N - 1 at most once, so
    this gives one run, or two when it wraps.
    """
    if vstop <= vstart:
        return []
    first = to_absolute(vstart, root, size)
    length = vstop - vstart
    if first + length <= size:
        return [(first, length)]
    return [(first, size - first), (0, first + length - size)]
