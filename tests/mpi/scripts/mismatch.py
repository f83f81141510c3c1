"""The last rank asks for one element more than the others: run under
``mpiexec -n 3 python -m mpi4py``, the job must end with a MismatchError, not hang."""

import numpy as np
from mpi4py import MPI

from collectives.mpi import Communicator

comm = Communicator(MPI.COMM_WORLD)
count = 100 + (comm.rank == comm.size - 1)
comm.allreduce(np.ones(count, dtype=np.float32), algorithm="ring")
print(f"rank {comm.rank} finished, which it should not have")
