"""An ordinary MPI program for the lab tests: all-reduce with one algorithm, checked against
numpy (exactly: the values are integers); rank 0 writes what it found as JSON. Nothing else
crosses the network, so the links carry the algorithm's bytes and MPI's own set-up.

    python -m mpi4py allreduce_job.py ALGORITHM COUNT OUT.json [--fail-rank R]
"""

import json
import sys

import numpy as np
from mpi4py import MPI

from collectives.mpi import Communicator

algorithm, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fail_rank = int(sys.argv[5]) if sys.argv[4:5] == ["--fail-rank"] else None
world = MPI.COMM_WORLD
comm = Communicator(world)
if comm.rank == fail_rank:
    raise RuntimeError(f"rank {comm.rank} fails on purpose")
x = (np.arange(count, dtype=np.float64) * (comm.rank + 1)) % 1009
result = comm.allreduce(x, algorithm=algorithm)
expected = sum((np.arange(count, dtype=np.float64) * (r + 1)) % 1009 for r in range(comm.size))
gathered = world.gather(bool(np.array_equal(result, expected)))
if comm.rank == 0:
    with open(out, "w") as handle:
        json.dump({"ranks": comm.size, "equal_to_numpy": gathered,
                   "host": MPI.Get_processor_name()}, handle)
