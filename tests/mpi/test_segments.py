"""segments=S under a real mpiexec: pipelined chain broadcast and the double binary tree give
numpy's answer with the simulator's traffic for several S, counts and roots; other algorithms
and MPI's built-in collective refuse S > 1 (ranks that disagree on S: test_disagreement.py)."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import gather_failures, report

from collectives.errors import InvalidInputError, UnsupportedError
from collectives.mpi import Communicator
from collectives.sim import Simulation
from collectives.spec import example_input

SEGMENTS = (2, 3, 7)
COUNTS = (0, 1, 10, 23)  # also fewer elements than S (or 2S for the double tree)


def _simulated(collective: str, algorithm: str, size: int, count: int, root: int,
               segments: int) -> np.ndarray:
    return Simulation.count_only(collective, ranks=size, count=count, dtype="float64",
                                 algorithm=algorithm, root=root, segments=segments).run().traffic


def _pipeline_failures(comm: Communicator) -> list[str]:
    failures = []
    for segments in SEGMENTS:
        for count in COUNTS:
            for root in range(comm.size):
                data = example_input("broadcast", root, comm.size, count, "float64", root=root)
                buf = data.copy() if comm.rank == root else np.zeros(count)
                with comm.record_traffic():
                    comm.broadcast(buf, root, algorithm="pipeline", segments=segments)
                case = f"N={comm.size} pipeline S={segments} count={count} root={root}"
                if not np.array_equal(buf, data):
                    failures.append(f"{case}: rank {comm.rank} holds other data")
                if not np.array_equal(comm.traffic_matrix(), _simulated(
                        "broadcast", "pipeline", comm.size, count, root, segments)):
                    failures.append(f"{case}: traffic differs from the simulator's")
    return failures


def _double_tree_failures(comm: Communicator) -> list[str]:
    failures = []
    for segments in SEGMENTS:
        for count in COUNTS:
            inputs = [example_input("allreduce", r, comm.size, count, "float64")
                      for r in range(comm.size)]
            x = inputs[comm.rank].copy()
            with comm.record_traffic():
                result = comm.allreduce(x, algorithm="double_binary_tree", segments=segments,
                                        out=x)
            case = f"N={comm.size} double_binary_tree S={segments} count={count}"
            if not np.allclose(result, np.sum(inputs, axis=0), rtol=1e-12, atol=1e-12):
                failures.append(f"{case}: rank {comm.rank} result differs from numpy's")
            if len(set(MPI.COMM_WORLD.allgather(result.tobytes()))) != 1:
                failures.append(f"{case}: ranks hold different bits")
            if not np.array_equal(comm.traffic_matrix(), _simulated(
                    "allreduce", "double_binary_tree", comm.size, count, 0, segments)):
                failures.append(f"{case}: traffic differs from the simulator's")
    return failures


@pytest.mark.parallel([4, 5])
def test_segments_give_numpys_answer_and_the_simulators_traffic() -> None:
    """Pipelined chain broadcast (every root) and the double binary tree with S = 2, 3, 7 and
    counts 0, 1, 10, 23: numpy's answer, and the traffic the simulator counts for the same S."""
    comm = Communicator(MPI.COMM_WORLD)
    failures = gather_failures(_pipeline_failures(comm) + _double_tree_failures(comm))
    assert not failures, report(failures)
    x = np.ones(8)
    with pytest.raises(UnsupportedError, match=r"'ring' does not pipeline.*use algorithm "
                                               r"'double_binary_tree'"):
        comm.allreduce(x, algorithm="ring", segments=2)
    with pytest.raises(UnsupportedError, match=r"'mpi' .* does not pipeline.*got segments=4"):
        comm.broadcast(x, algorithm="mpi", segments=4)
    with pytest.raises(InvalidInputError, match=r"expected segments, an integer >= 1, got 0"):
        comm.broadcast(x, algorithm="pipeline", segments=0)
