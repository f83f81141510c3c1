"""One file, two worlds: the communicator of the rank running this code, simulated or over MPI.

A script written per rank asks for its communicator and runs unchanged either way::

    from collectives.world import communicator

    comm = communicator()
    comm.compute(1e-3)                           # simulated clock; nothing under MPI
    total = comm.allreduce(np.ones(1024) * comm.rank)
    if comm.rank == 0:
        print(total[:4])

- ``python -m collectives run --ranks 8 [--topology ring ...] script.py``: every rank runs the
  script in its own thread of one process, and :func:`communicator` gives each its
  :class:`~collectives.sim.world_comm.WorldCommunicator` (so does a program given to
  :func:`collectives.sim.world.run_world`, for a function instead of a file);
- ``mpiexec -n 8 python -m mpi4py script.py``: every rank is a process, and :func:`communicator`
  gives :class:`collectives.mpi.Communicator` over ``MPI.COMM_WORLD`` (one per process, made on
  first use).

Both give the same results: the collectives are the same algorithms, ``auto`` picks the same
one, and the clock calls (:mod:`collectives.clock`) are no-ops under MPI. This module imports
mpi4py's MPI only when a process outside a simulated world asks for its communicator.
"""

from __future__ import annotations

import os
from typing import Any

from collectives.sim.world import current_communicator

# Set by MPICH's Hydra (PMI_*) and Open MPI's launcher (OMPI_*) in every rank they start.
_LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK")

_mpi_communicator: Any = None


def launched_by_mpiexec() -> bool:
    """True when an MPI launcher (MPICH's Hydra or Open MPI's) started this process."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def in_simulated_world() -> bool:
    """True in the thread of a simulated rank."""
    return current_communicator() is not None


def communicator() -> Any:
    """This rank's communicator: the simulated rank's in a simulated world, else (made once)
    ``collectives.mpi.Communicator(MPI.COMM_WORLD)``."""
    simulated = current_communicator()
    if simulated is not None:
        return simulated
    global _mpi_communicator
    if _mpi_communicator is None:
        from mpi4py import MPI

        from collectives.mpi import Communicator

        _mpi_communicator = Communicator(MPI.COMM_WORLD)
    return _mpi_communicator
