"""Rank 1's reduction raises in the middle of a ring all-reduce: run under
``mpiexec -n 3 python -m mpi4py``, the whole job must end promptly with a non-zero exit."""

import numpy as np
from mpi4py import MPI

from collectives import Op
from collectives.mpi import Communicator

comm = Communicator(MPI.COMM_WORLD)
calls = 0


def add_until_the_second_step(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b, except that rank 1 gives up on its second reduction."""
    global calls
    calls += 1
    if comm.rank == 1 and calls == 2:
        raise RuntimeError("rank 1 gives up in the middle of the collective")
    return a + b


comm.allreduce(np.ones(30), op=Op(add_until_the_second_step), algorithm="ring")
print(f"rank {comm.rank} finished, which it should not have")
