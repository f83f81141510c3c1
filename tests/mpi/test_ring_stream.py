"""The streamed ring (each segment sent on as soon as it has arrived and been combined) with
segments large enough for MPI's rendezvous protocol, where a send completes only once the
receiver has taken it: several segments per chunk, in place and out of place, give numpy's and
MPI's results and the simulator's traffic, and never wait in a cycle around the ring."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import Case, check_case, check_cases, gather_failures, report

from collectives.mpi import Communicator, segments

SEGMENT = 16 * 1024  # above MPICH's 8 KiB single-copy threshold: sends complete when taken
STREAMED = [("allreduce", ["new", "out", "in_place"]), ("reduce_scatter", ["new", "out"]),
            ("allgather", ["new", "out"])]


@pytest.mark.parallel([1, 2, 3, 4, 5])
def test_streamed_ring_with_rendezvous_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of about 3.5 segments (uneven), float64: numpy's result, MPI's, the simulator's
    traffic, for all-reduce, reduce-scatter and all-gather in every calling mode, at every N
    from 1 to 5."""
    monkeypatch.setattr(segments, "SEGMENT_BYTES", SEGMENT)
    comm = Communicator(MPI.COMM_WORLD)
    per_chunk = 7 * SEGMENT // 16 + 3  # float64 elements: 3.5 segments and a bit
    cases = []
    for collective, modes in STREAMED:
        count = per_chunk * comm.size + 1 if collective == "allreduce" else per_chunk
        cases += [Case(collective, "ring", count, "float64",
                       "sum" if collective != "allgather" else None, mode=mode)
                  for mode in modes]
    failures = gather_failures(check_cases(comm, cases))
    assert not failures, report(failures)


@pytest.mark.parallel(4)
def test_repeated_large_in_place_allreduce_completes() -> None:
    """Ten 4 MiB in-place ring all-reduces in a row (1 MiB segments, four per chunk) end with
    the sum every time: a send still reading a segment is never overwritten."""
    comm = Communicator(MPI.COMM_WORLD)
    count = 2**20
    for _ in range(10):
        x = np.full(count, comm.rank + 1, dtype=np.float32)
        comm.allreduce(x, algorithm="ring", out=x)
        assert np.array_equal(x, np.full(count, 10, dtype=np.float32))


@pytest.mark.parallel([2, 3])
def test_patient_waits_give_the_same_results_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """With waits that yield the core (as on a node with more ranks than cores), the ring and
    the binomial tree give numpy's results (ranks that disagree: test_disagreement.py)."""
    monkeypatch.setattr(segments, "SEGMENT_BYTES", SEGMENT)
    comm = Communicator(MPI.COMM_WORLD)
    comm._crowded = True  # every transport made from now on is patient
    failures: list[str] = []
    for collective, mode in (("allreduce", "in_place"), ("broadcast", "new"),
                             ("allgather", "out")):
        failures += check_case(comm, Case(collective, "binomial" if collective == "broadcast"
                                          else "ring", 5000 * comm.size + 1, "float64",
                                          "sum" if collective == "allreduce" else None,
                                          mode=mode))
    assert not failures, report(failures)
