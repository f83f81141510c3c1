"""Cutting one step's message into segments, so a large transfer can be reduced or forwarded
piece by piece while the rest is still arriving.

A message of ``length`` elements travels as ``ceil(bytes / SEGMENT_BYTES)`` MPI messages to the
same peer in the same step, cut as :mod:`collectives.partition` cuts a count (sizes differing by
at most one element). Both ends compute the cut from the length alone, so they agree on it, and
the bytes each rank sends each peer are the unsegmented step's: the traffic matrix is the
simulator's.

Segments are 1 MiB: a segment and its partner stay in a 2 MiB L2 cache while they are added,
and per-message overhead is still small beside the time a segment takes (measured:
docs/mpi.md).
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
