"""algorithm="auto" asks the calibrated cost model when there is a calibration."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from collectives.calibration import Calibration, fastest_algorithm, save_calibration
from collectives.mpi import Communicator
from collectives.mpi.auto import choose
from collectives.mpi.registry import BUILTIN, MPI_ALGORITHMS
from collectives.ops import resolve_op

# Nearly free messages, costly bytes and reductions: bytes-optimal algorithms win even small
# all-reduces, where the measured thresholds pick recursive doubling.
BANDWIDTH_BOUND = Calibration(alpha=1e-12, beta=1e-9, gamma=1e-9)


@pytest.mark.parallel(4)
def test_auto_uses_the_calibrated_model():
    """With a calibration saved in the cache folder, auto runs the algorithm the simulator
    predicts fastest on that model (not the threshold's choice), the same on every rank, and
    the result is still right."""
    world = MPI.COMM_WORLD
    cache = Path(os.environ["COLLECTIVES_CACHE_DIR"]) / "model"
    if world.rank == 0:
        save_calibration(BANDWIDTH_BOUND, cache / "calibration.json")
    world.Barrier()
    threshold_choice = choose("allreduce", 4096, world.size, resolve_op("sum"))
    os.environ["COLLECTIVES_CACHE_DIR"] = str(cache)
    candidates = [name for name in MPI_ALGORITHMS.names("allreduce") if name != BUILTIN]
    expected = fastest_algorithm(BANDWIDTH_BOUND, "allreduce", 4096, world.size, candidates,
                                 resolve_op("sum"))
    comm = Communicator(world)
    x = np.arange(1024, dtype=np.float32) * (world.rank + 1)
    total = comm.allreduce(x)
    assert comm.last_algorithm == expected != threshold_choice
    np.testing.assert_array_equal(total, np.arange(1024, dtype=np.float32) * 10)
    assert world.allgather(comm.last_algorithm) == [expected] * world.size
