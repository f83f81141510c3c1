"""Bandwidth as nccl-tests reports it: algbw = S / t and busbw = algbw × factor, in GB/s (1e9).

S is :func:`collectives.bench.sizes.size_of_count`: ``count · itemsize`` for all-reduce,
broadcast and reduce, ``count · itemsize · N`` for all-gather, reduce-scatter, all-to-all,
gather and scatter. The bus factor turns algbw into the rate at which the busiest rank moves
bytes, the figure to hold against a link's (or here, memory copy's) bandwidth: all-reduce
2(N−1)/N; reduce-scatter, all-gather, all-to-all, gather, scatter (N−1)/N; broadcast, reduce 1.
"""

from __future__ import annotations

from collectives.catalogue import check_collective
from collectives.errors import InvalidInputError

GIGA = 1e9

_BUS_FACTOR_KIND = {
    "allreduce": "twice",
    "reduce_scatter": "share", "allgather": "share", "alltoall": "share",
    "gather": "share", "scatter": "share",
    "broadcast": "one", "reduce": "one",
}


def bus_factor(collective: str, ranks: int) -> float:
    """busbw / algbw for ``collective`` on ``ranks`` ranks."""
    check_collective(collective)
    if ranks < 1:
        raise InvalidInputError(f"expected at least 1 rank, got {ranks}")
    kind = _BUS_FACTOR_KIND[collective]
    if kind == "twice":
        return 2 * (ranks - 1) / ranks
    if kind == "share":
        return (ranks - 1) / ranks
    return 1.0


def algbw(nbytes: int, seconds: float) -> float:
    """S / t in GB/s (0 for an empty message)."""
    if seconds <= 0:
        raise InvalidInputError(f"expected a positive time, got {seconds} s")
    return nbytes / seconds / GIGA


def busbw(collective: str, ranks: int, nbytes: int, seconds: float) -> float:
    """algbw × the bus factor, in GB/s."""
    return algbw(nbytes, seconds) * bus_factor(collective, ranks)
