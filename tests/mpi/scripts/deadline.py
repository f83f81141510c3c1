"""A rank that leaves a call midway, or comes to it late: run under
``mpiexec -n N python -m mpi4py deadline.py SCENARIO``. The ranks left waiting raise
DeadlineError once the communicator's deadline (2 s) has passed, instead of hanging.

- ``uncaught``: rank 1's reduction raises in the middle of a ring all-reduce and nobody catches
  it: ``python -m mpi4py`` ends the whole job (no rank prints);
- ``leave``: the same, but rank 1 catches it;
- ``leave-tree``: the same, at its first reduction, in a double binary tree all-reduce of
  32 MiB whose input is a temporary array: rank 1 leaves sends that a peer reads later and
  receives still posted, and their buffers must outlive the call;
- ``late``: rank 1 makes its call 4 s after the others;
- ``late-traffic``: rank 1 asks for the traffic matrix 4 s after the others.

Every rank prints what its call did, then the job ends at a barrier on COMM_WORLD.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from mpi4py import MPI

from collectives import Op
from collectives.mpi import Communicator

DEADLINE = 2.0

comm = Communicator(MPI.COMM_WORLD, deadline=DEADLINE)
scenario = sys.argv[1]
calls = 0


def add_until_the_second_step(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b, except that rank 1 gives up on its second reduction (its first, in
    ``leave-tree``)."""
    global calls
    calls += 1
    if comm.rank == 1 and calls == (1 if scenario == "leave-tree" else 2):
        raise RuntimeError("rank 1 gives up in the middle of the collective")
    return a + b


start = time.monotonic()
if scenario == "uncaught":
    comm.allreduce(np.ones(30), op=Op(add_until_the_second_step), algorithm="ring")
try:
    if scenario == "leave":
        comm.allreduce(np.ones(30), op=Op(add_until_the_second_step), algorithm="ring")
    elif scenario == "leave-tree":
        comm.allreduce(np.ones(1 << 22), op=Op(add_until_the_second_step),
                       algorithm="double_binary_tree")
    else:
        if comm.rank == 1:
            time.sleep(2 * DEADLINE)
        if scenario == "late-traffic":
            comm.traffic_matrix()
        else:
            comm.allreduce(np.ones(30), algorithm="recursive_doubling")
    outcome = "returned"
except Exception as error:  # what each rank raised is the scenario's result
    outcome = f"raised {type(error).__name__}: {error}"
line = f"RANK {comm.rank} after {time.monotonic() - start:.1f} s {outcome}\n"
os.write(sys.stdout.fileno(), line.encode())  # one write: the ranks' lines do not interleave
MPI.COMM_WORLD.Barrier()
