"""Test setup: mpiexec on PATH, hung MPI jobs killed, one rank's failure ends its whole job.

Multi-rank tests carry ``@pytest.mark.parallel(N)`` (the mpi-pytest plugin): a plain ``pytest``
run spawns ``mpiexec -n N`` for each of them (with ``--oversubscribe`` under Open MPI). Under
Open MPI as root those launches need Open MPI's leave in the environment, which is set here.
``MPIEXEC_TIMEOUT`` makes the launcher (MPICH's or Open MPI's) kill a job that runs too long,
so a deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from collectives.launcher import OPEN_MPI_AS_ROOT

# The mpich wheel installs mpiexec beside the interpreter; make sure the spawned one is it.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("MPIEXEC_TIMEOUT", "180")
if os.geteuid() == 0:
    for _name, _value in OPEN_MPI_AS_ROOT.items():
        os.environ.setdefault(_name, _value)
# A calibration in the user's cache would change what algorithm="auto" picks: the tests get an
# empty cache folder of their own (the ranks mpiexec starts inherit it).
if "_PYTEST_MPI_CHILD_PROCESS" not in os.environ:
    os.environ["COLLECTIVES_CACHE_DIR"] = tempfile.mkdtemp(prefix="collectives-test-cache-")

settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

_IN_MPI_CHILD = "_PYTEST_MPI_CHILD_PROCESS" in os.environ


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Inside an mpiexec job, a failing rank prints its failure and aborts the whole job, so the
    other ranks never wait for it."""
    outcome = yield
    report = outcome.get_result()
    if _IN_MPI_CHILD and report.failed:
        from mpi4py import MPI

        if MPI.COMM_WORLD.size > 1:
            sys.stderr.write(f"\n[rank {MPI.COMM_WORLD.rank}] {item.nodeid} failed:\n"
                             f"{report.longreprtext}\n")
            sys.stderr.flush()
            MPI.COMM_WORLD.Abort(1)
