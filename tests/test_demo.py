"""The README's demo command runs the simulated walk-through and then the real thing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_simulates_then_runs_for_real():
    """``python -m collectives demo`` prints the ring walk-through, then a 4-process MPI run whose
    traffic equals the simulator's and whose result equals numpy's and MPI's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "OMPI_", "_PYTEST_MPI"))}
    done = subprocess.run([sys.executable, "-m", "collectives", "demo"], capture_output=True,
                          text=True, timeout=180, check=False, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    walkthrough = (ROOT / "sims" / "ring_allreduce.out").read_text()
    assert done.stdout.startswith(walkthrough)
    real = done.stdout[len(walkthrough):]
    assert "== The real thing: 4 MPI processes ==" in real
    for verdict in ("traffic equals the simulator's: yes", "result equals numpy's answer: yes",
                    "result equals MPI's built-in collective: yes"):
        assert verdict in real


def test_demo_refuses_fewer_than_one_rank_before_it_starts():
    """``demo -n 0`` is refused at once, before the walk-through (mpiexec -n 0 would start one
    process and report a run of 0)."""
    done = subprocess.run([sys.executable, "-m", "collectives", "demo", "-n", "0"],
                          capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "expected at least 1 rank for mpiexec -n, got 0" in done.stderr
