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
from collectives.sim import simulate


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


def _mixed_magnitudes(rank: int, shape: tuple[int, ...]) -> np.ndarray:
    """float32 values of magnitudes 1e-3 to 1e3, so that a sum's bits depend on its order."""
    rng = np.random.default_rng(rank)
    scale = (10.0 ** rng.integers(-3, 4, shape)).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32) * scale


@pytest.mark.parallel([3, 6])
def test_reductions_are_the_simulators_bit_for_bit() -> None:
    """Every reducing algorithm sums float32 in the simulator's order: each rank's result is the
    simulator's bit for bit (one segment, and three where the algorithm pipelines)."""
    comm = Communicator(MPI.COMM_WORLD)
    size, rank = comm.size, comm.rank
    failures: list[str] = []
    for collective, algorithm in PAIRS:
        if collective not in REDUCING or not runs_at(collective, algorithm, size):
            continue
        for count in (7, 1000):
            shape = (size, count) if collective == "reduce_scatter" else (count,)
            inputs = [_mixed_magnitudes(r, shape) for r in range(size)]
            for segments in (1, 3) if CATALOGUE[collective][algorithm].pipelines else (1,):
                got = getattr(comm, collective)(inputs[rank], algorithm=algorithm,
                                                segments=segments)
                simulated = simulate(collective, inputs, algorithm=algorithm,
                                     segments=segments).outputs[rank]
                same = (got is None and simulated is None) or (
                    got is not None and got.tobytes() == np.asarray(simulated).tobytes())
                if not same:
                    failures.append(f"N={size} {collective}/{algorithm} count={count} "
                                    f"S={segments}: rank {rank}'s result is not the simulator's")
    failures = gather_failures(failures)
    assert not failures, report(failures)
