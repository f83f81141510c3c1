"""Importing the package, the simulator and the command line does not start MPI."""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import sys
{imports}
started = sorted(name for name in sys.modules if name == "mpi4py.MPI")
print(",".join(started) or "none")
"""


@pytest.mark.parametrize("imports", [
    "import collectives",
    "import collectives.sim\nfrom collectives.sim import Simulation, simulate",
    "import collectives.cli\ncollectives.cli.build_parser()",
    "import collectives.world\nfrom collectives.sim import run_world\n"
    "run_world(lambda comm: collectives.world.communicator().allreduce([1.0]), 2)",
], ids=["collectives", "collectives.sim", "collectives.cli-parser", "collectives.world"])
def test_importing_does_not_import_mpi(imports):
    """In a fresh interpreter, the import (and building the CLI parser with every command)
    leaves mpi4py.MPI unimported, so no MPI runtime starts."""
    done = subprocess.run([sys.executable, "-c", _PROBE.format(imports=imports)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


def test_the_probe_would_see_mpi():
    """The same probe reports mpi4py.MPI once it is imported (so the test above can fail)."""
    done = subprocess.run([sys.executable, "-c", _PROBE.format(imports="from mpi4py import MPI")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "mpi4py.MPI"


def test_importing_the_mpi_side_leaves_the_simulator_unloaded():
    """``import collectives.mpi`` loads no module of the simulator (auto consults the
    calibrated model only when there is a calibration); the probe sees it once loaded."""
    probe = ("import sys\n{imports}\n"
             "print(sorted(m for m in sys.modules if m.startswith('collectives.sim')))")
    for imports, expected in (("import collectives.mpi", "[]"),
                              ("import collectives.mpi, collectives.sim.engine", "engine")):
        done = subprocess.run([sys.executable, "-c", probe.format(imports=imports)],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout, (imports, done.stdout)
