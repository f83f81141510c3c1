"""The ring engine seen from one rank, with a recording transport in place of MPI: for ring
all-reduce (in place and not), reduce-scatter and all-gather, any N, rank, count and segment size,
it never writes memory that a send it started still reads or that a posted receive is filling,
never reads a receive before it completed, and sends and receives, step by step, the segments of
the chunks the ring schedule names (the lock-step ring's messages, cut into segments)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectives.mpi import segments
from collectives.mpi.call import Call, ScratchPool
from collectives.mpi.registry import MPI_ALGORITHMS
from collectives.ops import resolve_op
from collectives.partition import chunk_offsets
from collectives.ring import (
    ALLGATHER_SHIFT,
    ALLREDUCE_REDUCE_SCATTER_SHIFT,
    REDUCE_SCATTER_SHIFT,
    ring_chunk,
)
from collectives.spec import Problem

ITEMSIZE = 8  # float64


def _span(array: np.ndarray) -> tuple[int, int]:
    start = array.__array_interface__["data"][0]
    return start, start + array.nbytes


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    (a0, a1), (b0, b1) = _span(a), _span(b)
    return a0 < b1 and b0 < a1


@dataclass
class RecordingTransport:
    """Takes sends and receives as MPI would leave them in flight, and fails on a touch of their
    memory before they complete."""

    sends: list[tuple[int, int]] = field(default_factory=list)  # (peer, bytes), in order
    receives: list[tuple[int, int]] = field(default_factory=list)
    reading: dict[int, np.ndarray] = field(default_factory=dict)  # id(request) -> send's data
    filling: dict[int, np.ndarray] = field(default_factory=dict)  # id(request) -> receive's

    def touch(self, array: np.ndarray, what: str) -> None:
        """Fail if ``array`` overlaps a send or receive in flight."""
        for data in self.reading.values():
            assert not _overlap(array, data), f"{what} memory a send in flight still reads"
        for into in self.filling.values():
            assert not _overlap(array, into), f"{what} memory a receive in flight fills"

    def isend(self, data: np.ndarray, dest: int) -> object:
        for into in self.filling.values():
            assert not _overlap(data, into), "sends memory a receive in flight fills"
        request = object()
        self.reading[id(request)] = data
        self.sends.append((dest, data.nbytes))
        return request

    def irecv(self, into: np.ndarray, source: int) -> object:
        self.touch(into, "receives into")
        request = object()
        self.filling[id(request)] = into
        self.receives.append((source, into.nbytes))
        return request

    def wait_recv(self, request: object, into: np.ndarray, source: int) -> None:
        assert self.filling.pop(id(request)) is into

    def wait_all(self, requests: list[object]) -> None:
        for request in requests:
            self.reading.pop(id(request), None)


@dataclass
class CheckedCall(Call):
    """A call whose combinations are checked against the transport's messages in flight."""

    def combine(self, into: np.ndarray, mine: np.ndarray, incoming: np.ndarray) -> None:
        transport = self.transport
        assert isinstance(transport, RecordingTransport)
        transport.touch(into, "combines into")
        transport.touch(incoming, "combines from")
        super().combine(into, mine, incoming)


def _run(collective: str, n: int, rank: int, count: int, in_place: bool) -> RecordingTransport:
    """One rank's ring call on garbage data; what its transport saw."""
    problem = Problem(collective, ranks=n, block_shape=(count,), dtype=np.dtype("float64"),
                      op=None if collective == "allgather" else resolve_op("sum"))
    transport = RecordingTransport()
    source = np.zeros(count * (n if collective == "reduce_scatter" else 1))
    work = {"allreduce": source if in_place else np.empty(count), "reduce_scatter":
            np.empty(count), "allgather": np.zeros(n * count)}[collective]
    if collective == "allgather":
        source = work  # the input is placed in the result first
    call = CheckedCall(problem, rank, work, transport, None, ScratchPool(), source)
    MPI_ALGORITHMS.get(collective, "ring")(call)
    assert not transport.reading and not transport.filling, "returned with messages in flight"
    return transport


def _expected(collective: str, n: int, rank: int, count: int, sender: int) -> list[int]:
    """Bytes of the messages ``sender`` sends in the ring's order: each step's chunk, cut."""
    if collective == "allreduce":
        offsets, shift, steps = chunk_offsets(count, n), ALLREDUCE_REDUCE_SCATTER_SHIFT, 2 * n - 2
    else:
        offsets = np.arange(n + 1) * count
        shift = REDUCE_SCATTER_SHIFT if collective == "reduce_scatter" else ALLGATHER_SHIFT
        steps = n - 1
    sizes = []
    for step in range(steps):
        chunk = ring_chunk(sender, step, n, shift)
        length = int(offsets[chunk + 1] - offsets[chunk])
        pieces = segments.segments(length, ITEMSIZE) if collective != "allgather" else \
            [slice(0, length)]
        sizes += [(piece.stop - piece.start) * ITEMSIZE for piece in pieces]
    return sizes


@pytest.mark.parametrize("collective, in_place", [("allreduce", False), ("allreduce", True),
                                                  ("reduce_scatter", False),
                                                  ("allgather", True)])
@given(n=st.integers(2, 8), data=st.data(), count=st.integers(0, 60),
       segment_bytes=st.sampled_from([8, 24, 40, 1 << 20]))
def test_one_rank_keeps_mpis_buffer_rules_and_the_rings_messages(
        collective: str, in_place: bool, n: int, data: st.DataObject, count: int,
        segment_bytes: int) -> None:
    """No write into memory in flight, no read of a receive before it completed, nothing in
    flight at return; the segments sent right and received from the left are the schedule's."""
    rank = data.draw(st.integers(0, n - 1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segments, "SEGMENT_BYTES", segment_bytes)
        transport = _run(collective, n, rank, count, in_place)
        right, left = (rank + 1) % n, (rank - 1) % n
        assert transport.sends == [(right, size) for size in
                                   _expected(collective, n, rank, count, rank)]
        assert transport.receives == [(left, size) for size in
                                      _expected(collective, n, rank, count, left)]
