"""Any intracommunicator works: COMM_SELF, a Split, one with ranks in reversed order; and the
private duplicate keeps the library's messages away from the caller's own."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import PAIRS, Case, check_case, gather_failures, report, runs_at

from collectives.mpi import Communicator


def _sub_communicators() -> dict[str, MPI.Intracomm]:
    world = MPI.COMM_WORLD
    rank = world.rank
    return {
        "self": MPI.COMM_SELF,
        "split by parity": world.Split(rank % 2, rank),
        "reversed": world.Split(0, -rank),
        "split 3 + 1": world.Split(int(rank < 3), rank),
    }


@pytest.mark.parallel(4)
def test_every_algorithm_on_sub_communicators() -> None:
    """Every collective and algorithm gives numpy's result and the simulator's traffic on
    COMM_SELF, on Split communicators and on a reversed one (ranks are the sub-communicator's)."""
    failures: list[str] = []
    for name, raw in _sub_communicators().items():
        comm = Communicator(raw)
        if name == "reversed":
            assert comm.rank == MPI.COMM_WORLD.size - 1 - MPI.COMM_WORLD.rank
        for collective, algorithm in (p for p in PAIRS if runs_at(*p, comm.size)):
            for count in (0, 2 * comm.size + 1):
                case = Case(collective, algorithm, count, "float64",
                            "sum" if collective in ("reduce", "reduce_scatter", "allreduce")
                            else None, root=comm.size - 1)
                failures += [f"[{name}] {line}" for line in check_case(comm, case, raw)]
    failures = gather_failures(failures)
    assert not failures, report(failures)


@pytest.mark.parallel(3)
def test_callers_own_messages_are_not_touched() -> None:
    """A receive the caller posted for any source and tag is left for the caller's own send,
    whatever the collectives send meanwhile."""
    world = MPI.COMM_WORLD
    rank, size = world.rank, world.size
    comm = Communicator(world)
    mine = np.full(2, -1.0)
    pending = world.Irecv(mine, MPI.ANY_SOURCE, MPI.ANY_TAG)
    for algorithm in ("ring", "tree", "mpi"):
        total = comm.allreduce(np.arange(5.0) + rank, algorithm=algorithm)
        assert np.array_equal(total, size * np.arange(5.0) + sum(range(size)))
    world.Barrier()  # every rank is done with the collectives ...
    assert not pending.Test()
    world.Barrier()  # ... and has looked before any rank sends its own message
    world.Send(np.full(2, float(rank)), (rank + 1) % size, tag=7)
    status = MPI.Status()
    pending.Wait(status)
    assert (status.source, status.tag) == ((rank - 1) % size, 7)
    assert np.array_equal(mine, np.full(2, float((rank - 1) % size)))
