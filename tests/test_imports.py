"""Importing the package, the simulator and the command line does not start MPI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "collectives"

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


@pytest.mark.parametrize("layer", ["collectives.sim", "collectives.bench"])
def test_importing_the_mpi_side_leaves_the_simulator_and_the_benchmark_unloaded(layer):
    """``import collectives.mpi`` loads no module of the simulator (auto consults the
    calibrated model only when there is a calibration) nor of the benchmark; the probe sees
    one once loaded."""
    probe = ("import sys\n{imports}\n"
             f"print(sorted(m for m in sys.modules if m.startswith('{layer}')))")
    for imports, expected in (("import collectives.mpi", "[]"),
                              (f"import collectives.mpi, {layer}", f"'{layer}'")):
        done = subprocess.run([sys.executable, "-c", probe.format(imports=imports)],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout, (imports, done.stdout)


def _imported(source: str) -> set[str]:
    """Every module an ``import`` or ``from ... import`` names in ``source``, at any depth
    (imports inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _layer_violations(folder: str, below: str) -> list[str]:
    """``path: module`` for every import of ``below`` by a module under ``folder``."""
    return [f"{path.relative_to(PACKAGE.parent)}: {name}"
            for path in sorted((PACKAGE / folder).rglob("*.py"))
            for name in sorted(_imported(path.read_text()))
            if name == below or name.startswith(f"{below}.")]


def test_the_mpi_side_imports_neither_the_benchmark_nor_the_command_line():
    """No module of collectives/mpi/ imports collectives.bench or collectives.cli, not even
    inside a function (the timing loop they share is collectives.timing_loop)."""
    assert _layer_violations("mpi", "collectives.bench") == []
    assert _layer_violations("mpi", "collectives.cli") == []


def test_the_layer_check_sees_an_import_inside_a_function():
    """The scan finds ``from collectives.bench.runner import x`` in a function body and
    ``import collectives.bench``, and not ``collectives.benchmarks``."""
    source = ("def f():\n    from collectives.bench.runner import x\n"
              "import collectives.bench\nimport collectives.benchmarks\n")
    found = {name for name in _imported(source) if name == "collectives.bench"
             or name.startswith("collectives.bench.")}
    assert found == {"collectives.bench", "collectives.bench.runner",
                     "collectives.bench.runner.x"}


def test_the_simulator_draws_no_progress_bar():
    """No module of collectives/sim/ imports tqdm: bars belong to the command line
    (collectives.cli.progress), which drives a run's steps from outside."""
    assert _layer_violations("sim", "tqdm") == []
    assert _layer_violations("cli", "tqdm") != []  # the scan sees the bar where it is
