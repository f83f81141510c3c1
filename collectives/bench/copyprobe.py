"""The physical ceiling: how fast N processes copy memory when they all copy at once.

Each rank copies a large buffer (``numpy.copyto``, bigger than the caches) into another, all
ranks at the same time: every iteration starts at a barrier and takes the slowest rank's time;
the median over the iterations is kept. A copy of B bytes counts B bytes (each byte is read once
and written once; STREAM's "Copy" would count 2B). Per rank GB/s = B / t; aggregate = N · B / t.

Every byte a collective moves through shared memory is copied at least once by some rank, so
a rank's busbw cannot beat the per-rank copy rate while all ranks work: busbw / per-rank copy
GB/s is the fraction of the machine's ceiling a row reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter
from typing import Any

import numpy as np

from collectives.bench.bandwidth import GIGA
from collectives.errors import InvalidInputError
from collectives.timing_loop import slowest_times

DEFAULT_COPY_BYTES = 128 * 1024**2
DEFAULT_COPY_ITERATIONS = 10


@dataclass(frozen=True)
class CopyBandwidth:
    """The copy probe's result: bytes each rank copied, ranks, and the median slowest time."""

    nbytes: int
    ranks: int
    seconds: float

    @property
    def per_rank_gbs(self) -> float:
        """GB/s one rank copies while all N copy."""
        return self.nbytes / self.seconds / GIGA

    @property
    def aggregate_gbs(self) -> float:
        """GB/s all N ranks copy together."""
        return self.ranks * self.per_rank_gbs

    def fraction(self, busbw_gbs: float) -> float:
        """``busbw_gbs`` as a fraction of the per-rank copy bandwidth."""
        return busbw_gbs / self.per_rank_gbs

    def to_dict(self) -> dict[str, float | int]:
        """Plain numbers for JSON."""
        return {"bytes": self.nbytes, "ranks": self.ranks, "seconds": self.seconds,
                "per_rank_gbs": self.per_rank_gbs, "aggregate_gbs": self.aggregate_gbs}


def measure_copy_bandwidth(comm: Any, nbytes: int = DEFAULT_COPY_BYTES,
                           iterations: int = DEFAULT_COPY_ITERATIONS) -> CopyBandwidth:
    """Copy ``nbytes`` on every rank at once, ``iterations`` times after one warm-up copy."""
    if nbytes < 1 or iterations < 1:
        raise InvalidInputError(
            f"expected a copy size >= 1 byte and >= 1 iteration, got {nbytes} and {iterations}"
        )
    source = np.ones(nbytes, dtype=np.uint8)
    target = np.zeros(nbytes, dtype=np.uint8)  # zeros are lazily mapped: the warm-up touches it
    np.copyto(target, source)
    times = np.empty(iterations)
    for i in range(iterations):
        comm.Barrier()
        start = perf_counter()
        np.copyto(target, source)
        times[i] = perf_counter() - start
    seconds = float(np.median(slowest_times(comm, times)))
    return CopyBandwidth(nbytes, comm.Get_size(), seconds)
