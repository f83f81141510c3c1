"""Large messages travel in segments: with a tiny segment size every step is cut into several
uneven MPI messages, and the results still equal numpy's and MPI's built-in ones, and the
bytes per peer still equal the simulator's traffic matrix. Ring all-reduce's scratch stays
within one chunk, and out of place it copies nothing of the size of the buffer."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import Case, check_cases, gather_failures, report

from collectives.mpi import Communicator, segments
from collectives.partition import chunk_counts

# (collective, algorithm, op): the algorithms that segment their steps
SEGMENTED = [("allreduce", "ring", "sum"), ("reduce_scatter", "ring", "sum"),
             ("broadcast", "binomial", None)]
MODES = {"allreduce": ["new", "out", "in_place", "strided"], "reduce_scatter": ["new", "out"],
         "broadcast": ["new", "out", "strided"]}


@pytest.fixture
def tiny_segments(monkeypatch: pytest.MonkeyPatch) -> int:
    """Segments of 24 bytes: three float64 elements each."""
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 24)
    return 24


def test_segments_cover_a_message_in_order(tiny_segments: int) -> None:
    """The slices tile the message, differ by at most one element, and one slice when it fits."""
    pieces = segments.segments(11, 8)
    assert [(p.start, p.stop) for p in pieces] == [(0, 3), (3, 6), (6, 9), (9, 11)]
    assert segments.segments(3, 8) == [slice(0, 3)]
    assert segments.segments(0, 8) == [slice(0, 0)]
    assert segments.largest_segment((11, 10), 8) == 3


@pytest.mark.parallel([2, 3, 5])
def test_segmented_steps_match_numpy_mpi_and_simulator(tiny_segments: int) -> None:
    """Every segmenting algorithm, rank, root and calling mode gives numpy's result and the
    simulator's traffic."""
    comm = Communicator(MPI.COMM_WORLD)
    cases = []
    for collective, algorithm, op in SEGMENTED:
        roots = range(comm.size) if collective == "broadcast" else [0]
        cases += [Case(collective, algorithm, count, "float64", op, root, mode)
                  for count in (7 * comm.size + 2, 13) for root in roots
                  for mode in MODES[collective]]
        cases.append(Case(collective, algorithm, 5 * comm.size, "float32", op, mode="new"))
    failures = gather_failures(check_cases(comm, cases))
    assert not failures, report(failures)


@pytest.mark.parallel(3)
def test_ring_allreduce_scratch_is_at_most_one_chunk() -> None:
    """Out of place and in place, a 6 MiB ring all-reduce allocates at most one chunk (K/N) of
    scratch on its first call and nothing of note on the next."""
    comm = Communicator(MPI.COMM_WORLD)
    count = 6 * 2**20 // 4 + 1
    x = np.full(count, comm.rank + 1, dtype=np.float32)
    out = np.empty_like(x)
    chunk_bytes = int(chunk_counts(count, comm.size).max()) * 4
    tracemalloc.start()
    try:
        peaks = []
        for target in (out, out, x):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            comm.allreduce(x, algorithm="ring", out=target)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()
    total = sum(range(1, comm.size + 1))
    assert np.array_equal(out, np.full(count, total, dtype=np.float32))
    assert np.array_equal(x, out)
    assert peaks[0] <= chunk_bytes + 64 * 1024, (peaks, chunk_bytes)
    assert max(peaks[1:]) <= 64 * 1024, peaks
