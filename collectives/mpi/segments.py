"""Cutting one step's message into segments, so a large transfer can be reduced or forwarded
piece by piece while the rest is still arriving.

A message of ``length`` elements travels as ``ceil(bytes / SEGMENT_BYTES)`` MPI messages to the
same peer in the same step, cut as :mod:`collectives.partition` cuts a count (sizes differing by
at most one element). Both ends compute the cut from the length alone, so they agree on it, and
the bytes each rank sends each peer are the unsegmented step's: the traffic matrix is the
simulator's.

Segment size (measured on the benchmark machine, 2 ranks, 32 MiB received and added per step,
median of 15): receive-and-add through two cache-sized buffers took 6.4 ms with 256 KiB
segments, 5.0 ms with 1 MiB, 5.2 ms with 2 MiB, 7.1 ms with 4 MiB and 8.5 ms with 8 MiB,
against 9.2 ms for one 32 MiB receive followed by one 32 MiB add: a 1 MiB segment and its
partner stay in the 2 MiB L2 cache while they are added, and per-message overhead (about
10 µs in Python) is still small beside the ~130 µs a segment takes.
"""

from __future__ import annotations

from collectives.partition import chunk_slice

SEGMENT_BYTES = 1 << 20


def segment_count(length: int, itemsize: int) -> int:
    """How many segments a message of ``length`` elements travels in (at least one)."""
    return max(1, -(-length * itemsize // SEGMENT_BYTES))


def segments(length: int, itemsize: int) -> list[slice]:
    """The slices of a message of ``length`` elements, one per segment, in order."""
    parts = segment_count(length, itemsize)
    if parts == 1:
        return [slice(0, length)]
    return [chunk_slice(length, parts, index) for index in range(parts)]


def largest_segment(lengths: list[int] | tuple[int, ...], itemsize: int) -> int:
    """Elements of the largest segment of any message of the given lengths."""
    return max((-(-length // segment_count(length, itemsize)) for length in lengths), default=0)
