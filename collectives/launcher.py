"""Where ``mpiexec`` is: the one the ``mpich`` wheel installs beside this interpreter, so that
``python -m collectives ...`` launches jobs with its own environment's MPI."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from collectives.errors import CollectivesError


class MissingMpiexecError(CollectivesError, FileNotFoundError):
    """No ``mpiexec`` beside the interpreter nor on PATH."""


def mpiexec_path() -> str:
    """The mpiexec beside this interpreter (the mpich wheel's), else the first on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise MissingMpiexecError("expected an mpiexec beside the interpreter or on PATH, got "
                                  "none; pip install mpich")
    return found
