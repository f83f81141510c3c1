"""One program, two worlds: the same per-rank code gives the same results on simulated ranks
and under mpiexec with the real Communicator (every collective and algorithm, auto included),
the same script file prints the same under ``collectives run`` and ``mpiexec``, and
``sims/data_parallel.py`` prints the same losses on 8 simulated ranks and 4 MPI processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from world_cases import PAIRS, Case, run_cases, runs_at, same_bits

from collectives.catalogue import REDUCING
from collectives.launcher import mpiexec_command
from collectives.sim.world import run_world

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


def _cases(size: int) -> list[Case]:
    """Every collective and algorithm (and auto) on float64 and int32, new, out and in place,
    rooted at the last rank."""
    cases = []
    for collective, algorithm in [*PAIRS, *((c, "auto") for c in dict(PAIRS))]:
        if algorithm != "auto" and not runs_at(collective, algorithm, size):
            continue
        op = "sum" if collective in REDUCING else None
        for dtype, mode in (("float64", "new"), ("int32", "out"), ("float64", "in_place")):
            if mode == "in_place" and collective not in ("allreduce", "reduce", "alltoall"):
                continue
            cases.append(Case(collective, algorithm, 2 * size + 1, dtype, op, size - 1, mode))
    return cases


def program(comm):
    """The program both worlds run: every case, with clock calls between (no-ops under MPI)."""
    results = []
    with comm.phase("cases"):
        for case in _cases(comm.size):
            comm.compute(1e-6 * comm.rank)
            with comm.measure(scale=0.5):
                results += run_cases(comm, [case])
            results.append(comm.last_algorithm)
    return results


@pytest.mark.parallel([2, 3, 4])
def test_the_same_program_gives_the_same_results_in_both_worlds():
    """Run under mpiexec with the real Communicator, then on as many simulated ranks in this
    process: every result has the same bits, and auto ran the same algorithm."""
    from mpi4py import MPI

    from collectives.mpi import Communicator

    comm = Communicator(MPI.COMM_WORLD)
    over_mpi = program(comm)
    simulated = run_world(program, comm.size).results[comm.rank]
    assert len(over_mpi) == len(simulated)
    different = [f"{case}: {a!r} != {b!r}" for case, a, b in zip(
        [c for c in _cases(comm.size) for _ in range(2)], over_mpi, simulated, strict=True)
        if not (a == b if isinstance(a, str) or a is None else same_bits(a, b))]
    assert not different, "\n".join(different[:10])


def _launcher_free_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "OMPI_", "_PYTEST_MPI"))}
    return {**env, "PYTHONIOENCODING": "utf-8"}


SCRIPT = """
import numpy as np
from collectives.world import communicator

comm = communicator()
n, r = comm.size, comm.rank
comm.compute(1e-3)
with comm.phase("demo"):
    a = comm.allreduce(np.arange(10, dtype=np.int64) * (r + 1))
    b = comm.reduce_scatter(np.arange(3 * n, dtype=np.int32).reshape(n, 3) + r, algorithm="ring")
    c = comm.allgather(np.array([r, r * r]), algorithm="bruck")
    d = comm.alltoall(np.arange(n) + 10 * r, algorithm="pairwise")
    e = comm.broadcast(np.arange(5.0) if r == n - 1 else np.zeros(5), root=n - 1)
    f = comm.gather(b, root=1)
    g = comm.reduce(a, op="max", root=0)
    # one rank prints: under mpiexec two ranks' lines can interleave within a line
    gathered = comm.broadcast(f if r == 1 else np.zeros((n, 3), dtype=np.int32), root=1)
if r == 0:
    print("gathered", gathered.tolist())
    print(a.tolist(), c.tolist(), d.tolist(), e.tolist(), g.tolist(), comm.last_algorithm)
"""


def test_one_script_prints_the_same_under_run_and_mpiexec(tmp_path):
    """The same file under ``python -m collectives run -n 4 --quiet`` and ``mpiexec -n 4
    python -m mpi4py`` prints the same lines."""
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    simulated = subprocess.run([sys.executable, "-m", "collectives", "run", "-n", "4",
                                "--quiet", str(script)], capture_output=True, text=True,
                               timeout=TIMEOUT, check=False, env=_launcher_free_env())
    assert simulated.returncode == 0, simulated.stderr
    over_mpi = subprocess.run([*mpiexec_command(4), sys.executable, "-m", "mpi4py",
                               str(script)], capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)
    assert over_mpi.returncode == 0, over_mpi.stderr
    assert sorted(simulated.stdout.splitlines()) == sorted(over_mpi.stdout.splitlines())
    assert "gathered [[6, 10, 14], [18, 22, 26], [30, 34, 38], [42, 46, 50]]" in over_mpi.stdout


def test_data_parallel_prints_the_golden_losses_under_mpiexec():
    """``mpiexec -n 4 python -m mpi4py sims/data_parallel.py`` prints, step for step, the
    losses of the golden output (8 simulated ranks)."""
    done = subprocess.run([*mpiexec_command(4), sys.executable, "-m", "mpi4py",
                           str(ROOT / "sims" / "data_parallel.py")], capture_output=True,
                          text=True, timeout=TIMEOUT, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    pattern = re.compile(r"^(step +\d+  loss \d+\.\d+)", re.MULTILINE)
    golden = pattern.findall((ROOT / "sims" / "data_parallel.out").read_text(encoding="utf-8"))
    assert len(golden) == 20
    assert done.stdout.splitlines()[0] == "run: mpiexec, 4 processes"
    assert pattern.findall(done.stdout) == golden
    assert np.isfinite([float(line.split()[-1]) for line in golden]).all()
