"""The MPI backend: one rank per process, all-reduces over ``collectives.mpi.Communicator``.

Each all-reduce runs inside the communicator's traffic recorder; the bytes this rank sent are
read from the recorded traffic matrix (gathered after the call, outside the recording), so the
log holds what went over the wire, not a formula. This module imports mpi4py's MPI; the rest of
``collectives.tensor_parallel`` does not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from collectives.mpi import Communicator
from collectives.tensor_parallel.group import Group


class MpiGroup(Group):
    """This process's rank of the tensor-parallel group ``comm`` (an mpi4py intracommunicator
    or a :class:`Communicator`), all-reducing with ``algorithm``."""

    def __init__(self, comm: Communicator | Any, algorithm: str = "ring") -> None:
        self.comm = comm if isinstance(comm, Communicator) else Communicator(comm)
        super().__init__(self.comm.rank, self.comm.size, algorithm)

    def _allreduce(self, x: np.ndarray, label: str) -> tuple[np.ndarray, int]:
        with self.comm.record_traffic():
            result = self.comm.allreduce(x, op="sum", algorithm=self.algorithm)
        sent = int(self.comm.traffic_matrix()[self.rank].sum())
        return result, sent
