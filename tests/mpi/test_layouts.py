"""Buffers of any numpy layout on the receiving side of a broadcast."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from collectives.mpi import Communicator


@pytest.mark.parallel(3)
def test_fortran_ordered_and_strided_buffers_receive_a_broadcast() -> None:
    """A Fortran-ordered or strided buf off the root gets the root's elements in their places
    (before, it was refused there while the root sent), for every algorithm, root 0 and 2."""
    comm = Communicator(MPI.COMM_WORLD)
    failures = []
    for algorithm in ("binomial", "scatter_allgather", "pipeline", "mpi"):
        for root in (0, 2):
            data = np.arange(6 * 5, dtype=np.float64).reshape(6, 5) * (root + 1)
            for layout in ("fortran", "strided"):
                if comm.rank == root:
                    buf = data.copy()
                elif layout == "fortran":
                    buf = np.asfortranarray(np.zeros((6, 5)))
                else:
                    buf = np.zeros((12, 5))[::2]
                got = comm.broadcast(buf, root=root, algorithm=algorithm)
                if got is not buf or not np.array_equal(buf, data):
                    failures.append(f"{algorithm} root={root} {layout} rank {comm.rank}")
    everyone = [line for lines in MPI.COMM_WORLD.allgather(failures) for line in lines]
    assert not everyone, everyone
