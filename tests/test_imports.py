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
], ids=["collectives", "collectives.sim", "collectives.cli-parser"])
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
