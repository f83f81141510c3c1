"""Partition a count into N chunks whose sizes differ by at most one element.

The first ``count % parts`` chunks get one element more, as ``numpy.array_split`` does. Count 0
and count < parts give empty chunks. Both the simulator and the MPI side cut buffers here, so the
two agree on every chunk boundary.
"""

from __future__ import annotations

import numpy as np


def chunk_counts(count: int, parts: int) -> np.ndarray:
    """Elements in each of ``parts`` chunks of ``count`` elements (int64 array)."""
    if parts < 1:
        raise ValueError(f"expected at least one part, got {parts}")
    if count < 0:
        raise ValueError(f"expected a count >= 0, got {count}")
    base, extra = divmod(count, parts)
    counts = np.full(parts, base, dtype=np.int64)
    counts[:extra] += 1
    return counts


def chunk_offsets(count: int, parts: int) -> np.ndarray:
    """Boundaries of the chunks: ``parts + 1`` offsets, chunk i is ``[off[i], off[i+1])``."""
    offsets = np.zeros(parts + 1, dtype=np.int64)
    np.cumsum(chunk_counts(count, parts), out=offsets[1:])
    return offsets


def chunk_slice(count: int, parts: int, index: int) -> slice:
    """The slice of chunk ``index`` (taken modulo ``parts``)."""
    base, extra = divmod(count, parts)
    index %= parts
    start = index * base + min(index, extra)
    return slice(start, start + base + (1 if index < extra else 0))
