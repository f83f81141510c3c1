"""sims/tensor_parallel.py's golden output (compared by tests/test_sims_golden.py) checks out, and
the script prints the same figures under ``mpiexec -n 4``.

After a deliberate change of the report, regenerate the golden file with
``python sims/tensor_parallel.py > sims/tensor_parallel.out``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from collectives.launcher import mpiexec_command

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "sims" / "tensor_parallel.py"
GOLDEN = ROOT / "sims" / "tensor_parallel.out"


def _without_run_line(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("run: ")]


def _launcher_free_env() -> dict[str, str]:
    """The environment without the variables an MPI launcher sets (the script would take
    itself for an MPI rank)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PMI_", "OMPI_", "_PYTEST_MPI"))}


def test_golden_output_checks_out():
    """The golden output says both blocks equal the unsplit ones and shows the 2(N−1)/N·bsh·8
    bytes (24576 for b = 2, s = 16, h = 64, N = 4) on every rank for every all-reduce."""
    golden = GOLDEN.read_text()
    assert golden.count("equal the unsplit block's: yes") == 2
    rows = [line.split() for line in golden.splitlines()
            if line.strip().startswith(("g forward", "f backward"))]
    assert len(rows) == 4
    for row in rows:
        assert row[-6:] == ["24576"] * 5 + ["32768"]


def test_mpiexec_run_prints_the_simulator_figures():
    """``mpiexec -n 4 python -m mpi4py sims/tensor_parallel.py`` prints, from rank 0, the golden
    output but for the run line: the same shapes, bytes per rank and parameter counts."""
    completed = subprocess.run(
        [*mpiexec_command(4), sys.executable, "-m", "mpi4py", str(SCRIPT)],
        capture_output=True, text=True, check=False, env=_launcher_free_env(), cwd=ROOT,
        timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "run: mpiexec, 4 processes" in completed.stdout
    assert _without_run_line(completed.stdout) == _without_run_line(GOLDEN.read_text())
