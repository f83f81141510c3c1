"""The power-of-two fold for algorithms that need N = 2**k (MPICH's way).

``pof2`` is the largest power of two <= N and ``rem = N - pof2``. Among the first ``2 * rem``
ranks, each even rank hands its data to the odd rank above it and sits out; the ``pof2``
survivors are renumbered ``0..pof2-1`` and run the power-of-two algorithm; afterwards the
survivors send the results back to the ranks that sat out. One extra step at each end, and the
folded ranks' data (K bytes) crosses once more on each of those ``rem`` pairs.
"""

from __future__ import annotations


def largest_power_of_two(size: int) -> int:
    """The largest power of two <= ``size`` (``size`` >= 1)."""
    if size < 1:
        raise ValueError(f"expected a size >= 1, got {size}")
    return 1 << (size.bit_length() - 1)


def is_power_of_two(size: int) -> bool:
    """True when ``size`` is 1, 2, 4, 8, ..."""
    return size >= 1 and size & (size - 1) == 0


def folded_rank(rank: int, size: int) -> int | None:
    """Rank among the survivors after the fold, or None for a rank that sits out."""
    rem = size - largest_power_of_two(size)
    if rank < 2 * rem:
        return None if rank % 2 == 0 else rank // 2
    return rank - rem


def unfolded_rank(new_rank: int, size: int) -> int:
    """The real rank of survivor ``new_rank``."""
    rem = size - largest_power_of_two(size)
    return 2 * new_rank + 1 if new_rank < rem else new_rank + rem


def fold_partner(rank: int, size: int) -> int | None:
    """The rank this rank pairs with in the fold, or None when it is not among the first 2·rem."""
    rem = size - largest_power_of_two(size)
    if rank >= 2 * rem:
        return None
    return rank + 1 if rank % 2 == 0 else rank - 1
