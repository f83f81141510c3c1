"""The MPI backend: one rank per process, all-reduces over ``collectives.mpi.Communicator``.

The all-reduce and its byte count are :class:`~collectives.tensor_parallel.group.
CommunicatorGroup`'s, the same code the simulated backend runs. This module imports mpi4py's
MPI; the rest of ``collectives.tensor_parallel`` does not.
"""

from __future__ import annotations

from typing import Any

from collectives.mpi import Communicator
from collectives.tensor_parallel.group import CommunicatorGroup


class MpiGroup(CommunicatorGroup):
    """This process's rank of the tensor-parallel group ``comm`` (an mpi4py intracommunicator
    or a :class:`Communicator`), all-reducing with ``algorithm``."""

    def __init__(self, comm: Communicator | Any, algorithm: str = "ring") -> None:
        super().__init__(comm if isinstance(comm, Communicator) else Communicator(comm),
                         algorithm)
