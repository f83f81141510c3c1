"""The launch command starts more ranks than the machine has cores, as this user, with either
MPI; and it names the MPI that mpi4py runs on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from mpi4py import MPI

from collectives.errors import InvalidInputError
from collectives.launcher import is_open_mpi, mpiexec_command, mpiexec_path

# Rank 0 prints every rank's (rank, size), gathered: one line, whatever the launcher interleaves.
PRINT_RANKS = ("from mpi4py import MPI; world = MPI.COMM_WORLD; "
               "ranks = world.gather((world.rank, world.size)); world.rank or print(ranks)")


def _launcher_free_env() -> dict[str, str]:
    """This environment without the variables an MPI launcher sets or Open MPI reads (the leave
    to run as root among them: the command must give what it needs itself)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PMI_", "OMPI_", "PRTE_", "PMIX_", "_PYTEST_MPI"))}


def test_mpiexec_is_the_one_of_mpi4py_s_mpi() -> None:
    """The mpiexec found is Open MPI's exactly when mpi4py runs on Open MPI."""
    assert is_open_mpi(mpiexec_path()) == MPI.Get_library_version().startswith("Open MPI")


def test_the_command_starts_more_ranks_than_cores() -> None:
    """``os.cpu_count() + 1`` ranks start, as this user, in one job of that size."""
    ranks = (os.cpu_count() or 1) + 1
    completed = subprocess.run([*mpiexec_command(ranks), sys.executable, "-c", PRINT_RANKS],
                               capture_output=True, text=True, timeout=120, check=False,
                               env=_launcher_free_env())
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.splitlines() == [str([(rank, ranks) for rank in range(ranks)])]


def test_the_command_refuses_fewer_than_one_rank() -> None:
    """``mpiexec -n 0`` (which MPICH runs as one process) is never made."""
    for ranks in (0, -2, True, 1.5):
        with pytest.raises(InvalidInputError, match=f"expected at least 1 rank for mpiexec -n, "
                                                     f"got {ranks!r}"):
            mpiexec_command(ranks)  # type: ignore[arg-type]
