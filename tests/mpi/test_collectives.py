"""Every collective and algorithm under a real mpiexec: the result equals numpy's and MPI's
built-in collective's, and the bytes each rank sent to each peer equal the simulator's traffic
matrix, for every root, several counts, dtypes, ops and calling modes (one launch per N)."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import (
    FIRST,
    PAIRS,
    SIZES,
    cases_for,
    check_case,
    check_non_commutative,
    report,
    runs_at,
)

from collectives.catalogue import CATALOGUE, REDUCING
from collectives.errors import UnsupportedError
from collectives.mpi import Communicator


@pytest.mark.parallel(SIZES)
@pytest.mark.parametrize(("collective", "algorithm"), PAIRS, ids=[f"{c}-{a}" for c, a in PAIRS])
def test_matches_numpy_mpi_and_simulator(collective: str, algorithm: str) -> None:
    """Results equal numpy's and MPI's built-in ones; traffic equals the simulator's. An
    algorithm that needs a power of two refuses other N, naming one that takes any N."""
    comm = Communicator(MPI.COMM_WORLD)
    if not runs_at(collective, algorithm, comm.size):
        with pytest.raises(UnsupportedError, match=rf"expected a power-of-two number of ranks, "
                                                   rf"got {comm.size}; use algorithm"):
            getattr(comm, collective)(np.zeros((comm.size, 3)), algorithm=algorithm)
        return
    failures: list[str] = []
    for case in cases_for(collective, algorithm, comm.size):
        failures += check_case(comm, case)
    if collective in REDUCING and CATALOGUE[collective][algorithm].keeps_rank_order:
        failures += check_non_commutative(comm, collective, algorithm)
    elif collective in REDUCING:
        x = np.arange(4 * comm.size, dtype=np.int32).reshape(comm.size, 4)
        with pytest.raises(UnsupportedError, match=r"non-commutative op 'first'.*use algorithm"):
            getattr(comm, collective)(x, op=FIRST, algorithm=algorithm)
    assert not failures, report(failures)
