"""Every collective and algorithm under a real mpiexec: the result equals numpy's and MPI's
built-in collective's, and the bytes each rank sent to each peer equal the simulator's traffic
matrix, for every root, several counts, dtypes, ops and calling modes (one launch per N carries
every collective and algorithm; each failure names its case)."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import (
    FIRST,
    PAIRS,
    SIZES,
    cases_for,
    check_cases,
    check_non_commutative,
    check_refusal,
    gather_failures,
    report,
    runs_at,
)

from collectives.catalogue import CATALOGUE, REDUCING
from collectives.errors import UnsupportedError
from collectives.mpi import Communicator


def _algorithm_failures(comm: Communicator, collective: str, algorithm: str) -> list[str]:
    """Every case of one algorithm at this N; an algorithm that needs a power of two refuses
    other N, naming one that takes any N; one that rotates rank order refuses a non-commutative
    op, naming one that keeps it."""
    name = f"N={comm.size} {collective}/{algorithm}"
    if not runs_at(collective, algorithm, comm.size):
        return check_refusal(
            name, UnsupportedError,
            rf"expected a power-of-two number of ranks, got {comm.size}; use algorithm",
            lambda: getattr(comm, collective)(np.zeros((comm.size, 3)), algorithm=algorithm))
    failures = check_cases(comm, cases_for(collective, algorithm, comm.size))
    if collective in REDUCING and CATALOGUE[collective][algorithm].keeps_rank_order:
        failures += check_non_commutative(comm, collective, algorithm)
    elif collective in REDUCING:
        x = np.arange(4 * comm.size, dtype=np.int32).reshape(comm.size, 4)
        failures += check_refusal(
            f"{name} op=first", UnsupportedError, r"non-commutative op 'first'.*use algorithm",
            lambda: getattr(comm, collective)(x, op=FIRST, algorithm=algorithm))
    return failures


@pytest.mark.parallel(SIZES)
def test_matches_numpy_mpi_and_simulator() -> None:
    """For every collective and algorithm: results equal numpy's and MPI's built-in ones,
    traffic equals the simulator's, and the N or op it cannot take is refused by name."""
    comm = Communicator(MPI.COMM_WORLD)
    failures: list[str] = []
    for collective, algorithm in PAIRS:
        failures += _algorithm_failures(comm, collective, algorithm)
    failures = gather_failures(failures)
    assert not failures, report(failures)
