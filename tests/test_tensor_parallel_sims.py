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


def test_golden_output_shows_both_variants_of_the_layer():
    """The golden layer section says every variant equals the unsplit layer; per block, forward,
    both variants send 2(t−1)/t·K = 24576 bytes a rank (K = bsh·8 = 16384 at t = 4), training
    49152 (tensor, inputs kept) and 61440 (re-gathered); each rank keeps 35328, 19968 and 26112
    activation bytes, measured and by the paper's formulas."""
    golden = GOLDEN.read_text()
    assert ("equal the unsplit layer's: tensor yes, sequence yes, sequence, inputs kept yes"
            in golden)
    blocks = {tuple(line.split()[:-5]): line.split()[-5:] for line in golden.splitlines()
              if line.strip().startswith(("tensor ", "sequence")) and "(fwd" in line}
    assert blocks == {
        ("tensor", "inference", "(fwd)"): ["24576", "24576", "2(t−1)/t·K", "=", "24576"],
        ("tensor", "training", "(fwd", "+", "bwd)"): ["49152", "49152", "4(t−1)/t·K", "=",
                                                      "49152"],
        ("sequence", "inference", "(fwd)"): ["24576", "24576", "2(t−1)/t·K", "=", "24576"],
        ("sequence", "training", "(fwd", "+", "bwd)"): ["61440", "61440", "5(t−1)/t·K", "=",
                                                        "61440"],
        ("sequence,", "inputs", "kept", "inference", "(fwd)"): ["24576", "24576", "2(t−1)/t·K",
                                                                "=", "24576"],
        ("sequence,", "inputs", "kept", "training", "(fwd", "+", "bwd)"): [
            "49152", "49152", "4(t−1)/t·K", "=", "49152"],
    }
    totals = next(line for line in golden.splitlines() if "all arrays kept" in line).split()
    assert totals[3:] == ["sum", "=", "35328", "35328", "sum", "=", "19968", "19968", "sum", "=",
                          "26112", "26112"]
    assert "sbh(10 + 24/t + 5as/ht) = 35328" in golden
    assert "(sbh/t)(34 + 5as/h) = 19968" in golden
    assert "(sbh/t)(34 + 5as/h) + 4sbh(t − 1)/t = 26112" in golden
