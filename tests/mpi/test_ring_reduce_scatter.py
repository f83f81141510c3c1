"""Ring reduce-scatter working in the caller's result array: partial results in the result and a
spare block, the last step combined straight into the result. With segments shrunk so that a
block travels in several (a send completes only once the receiver has taken it), every calling
mode gives numpy's and MPI's results and the simulator's traffic, at N = 1 to 5, and no working
buffer of N blocks is taken."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import Case, check_cases, gather_failures, report

from collectives.mpi import Communicator, segments

SEGMENT = 16 * 1024  # above MPICH's 8 KiB single-copy threshold: sends complete when taken
PER_BLOCK = 7 * SEGMENT // 16 + 3  # float64 elements: 3.5 segments and a bit (odd)


COUNTS = {"uneven_segments": PER_BLOCK, "two_segments": 2 * SEGMENT // 8, "one": 1, "zero": 0}


@pytest.mark.parallel([1, 2, 3, 4, 5])
def test_segmented_blocks_in_every_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of several segments (uneven, even), of one element and of none, in every mode:
    numpy's result, MPI's, the simulator's traffic, the input untouched. From N = 2, a 2-D
    block of several segments and ops other than sum (max on int32, prod on complex64): the
    partial results stored away from their block's place still combine right. From N = 3, ten
    calls into one ``out`` take no working buffer of N blocks (a fresh communicator)."""
    monkeypatch.setattr(segments, "SEGMENT_BYTES", SEGMENT)
    comm = Communicator(MPI.COMM_WORLD)
    cases = [Case("reduce_scatter", "ring", count, "float64", "sum", mode=mode)
             for mode in ("new", "out", "strided") for count in COUNTS.values()]
    if comm.size >= 2:
        cases += [Case("reduce_scatter", "ring", 3 * 1501, "float64", "sum", mode="out",
                       block=(3, 1501)),
                  Case("reduce_scatter", "ring", PER_BLOCK, "int32", "max"),
                  Case("reduce_scatter", "ring", PER_BLOCK, "complex64", "prod")]
    failures = check_cases(comm, cases)
    if comm.size >= 3:
        failures += _working_buffer_failures(Communicator(MPI.COMM_WORLD))
    failures = gather_failures(failures)
    assert not failures, report(failures)


def _working_buffer_failures(comm: Communicator) -> list[str]:
    """Ten calls in a row into one ``out`` give the sum every time; the communicator's working
    buffer is never taken, and the scratch is two segments and one spare block."""
    n, rank = comm.size, comm.rank
    name = f"N={n} reduce_scatter/ring count={PER_BLOCK} float64 op=sum mode=out, ten calls"
    failures = []
    out = np.empty(PER_BLOCK, dtype=np.float64)
    expected = sum(np.arange(PER_BLOCK) * (r + 1) + rank for r in range(n))
    for call in range(10):
        x = np.stack([np.arange(PER_BLOCK, dtype=np.float64) * (rank + 1) + block
                      for block in range(n)])
        if comm.reduce_scatter(x, algorithm="ring", out=out) is not out:
            failures.append(f"{name}: call {call} rank {rank} did not return its out array")
        if not np.array_equal(out, expected):
            failures.append(f"{name}: call {call} rank {rank} result differs from the sum")
    if comm._work_pool._bytes.nbytes != 0:
        failures.append(f"{name}: rank {rank} took the working buffer "
                        f"({comm._work_pool._bytes.nbytes} bytes)")
    if comm._pool._bytes.nbytes > 2 * SEGMENT + PER_BLOCK * 8:
        failures.append(f"{name}: rank {rank} scratch is {comm._pool._bytes.nbytes} bytes, "
                        f"expected at most {2 * SEGMENT + PER_BLOCK * 8}")
    return failures
