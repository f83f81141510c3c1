"""The collectives for real: every algorithm over mpi4py point-to-point messages.

    >>> from mpi4py import MPI
    >>> from collectives.mpi import Communicator
    >>> comm = Communicator(MPI.COMM_WORLD)
    >>> comm.allreduce(x, op="sum", algorithm="ring")

Importing this package initialises MPI (through mpi4py). Run scripts as
``mpiexec -n N python -m mpi4py script.py`` so that one rank's failure ends the whole job.
"""

from collectives.mpi import algorithms as _algorithms  # noqa: F401  (registers them)
from collectives.mpi.communicator import DEFAULT_ALGORITHMS, Communicator, default_algorithm
from collectives.mpi.registry import BUILTIN, MPI_ALGORITHMS
from collectives.mpi.transport import CallSignature

__all__ = ["BUILTIN", "DEFAULT_ALGORITHMS", "MPI_ALGORITHMS", "CallSignature", "Communicator",
           "default_algorithm"]
