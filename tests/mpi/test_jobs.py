"""Whole jobs under ``mpiexec ... python -m mpi4py``, run by subprocess with a timeout: one
rank's failure ends the job promptly, and the ``traffic`` command checks itself."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collectives.launcher import mpiexec_command

SCRIPTS = Path(__file__).parent / "scripts"
TIMEOUT = 60  # seconds; a job that hangs fails the test instead of the suite
# How the launcher reports a job ended by a rank's MPI_Abort: MPICH's, then Open MPI's.
ABORTED = (r"application called MPI_Abort\(MPI_COMM_WORLD, 1\)"
           r"|MPI_ABORT was invoked on rank \d+ in communicator MPI_COMM_WORLD")


def _mpiexec(ranks: int, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``mpiexec -n ranks python -m mpi4py args...`` (with the flags its MPI needs); the
    result and the seconds it took."""
    command = [*mpiexec_command(ranks), sys.executable, "-m", "mpi4py", *args]
    start = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                               check=False)
    return completed, time.monotonic() - start


@pytest.mark.parametrize(("script", "message"), [
    ("mismatch.py", r"MismatchError: allreduce expected every rank to make the same call, got "
                    r"different counts: 100 on ranks 0, 1, 101 on rank 2"),
    ("deadline.py uncaught", r"RuntimeError: rank 1 gives up in the middle of the collective"),
])
def test_one_failing_rank_ends_the_whole_job(script: str, message: str) -> None:
    """A rank that raises mid-collective aborts the job (MPI_Abort, as the launcher reports):
    non-zero exit, its message shown, no rank finishing, and well before the timeout."""
    name, *arguments = script.split()
    completed, seconds = _mpiexec(3, str(SCRIPTS / name), *arguments)
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    assert "finished" not in completed.stdout and "RANK" not in completed.stdout, output
    assert re.search(message, output), output
    assert re.search(ABORTED, output), output
    assert seconds < TIMEOUT / 2, f"took {seconds:.0f} s"


def test_traffic_command_json_equals_the_simulator() -> None:
    """``traffic --json`` reports the measured matrix, equal to the simulator's, and a correct
    result (a root that makes the binomial subtrees wrap, a count N does not divide)."""
    completed, _ = _mpiexec(4, "-m", "collectives", "traffic", "scatter", "-a", "binomial",
                            "-c", "7", "-r", "1", "-d", "int16", "--json")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["equal"] and report["correct"] and report["mpi_equal"]
    assert report["measured"] == report["simulated"]
    # root 1 sends rank 2 its block, and rank 3 the blocks of ranks 3 and 0 (a wrapped subtree)
    assert report["measured"][1] == [0, 0, 14, 28]
    assert report["measured"][3] == [14, 0, 0, 0]


def test_traffic_command_prints_both_matrices() -> None:
    """The text report shows the two matrices side by side and says they are equal."""
    completed, _ = _mpiexec(3, "-m", "collectives", "traffic", "allreduce", "-a", "ring",
                            "-c", "10")
    assert completed.returncode == 0, completed.stderr
    assert "measured over MPI (left) and simulated (right)" in completed.stdout
    assert "traffic equals the simulator's: yes" in completed.stdout
    assert "result equals numpy's answer: yes" in completed.stdout


def test_traffic_command_refuses_an_algorithm_the_simulator_lacks() -> None:
    """An unknown algorithm is one error line from rank 0 and a non-zero exit."""
    completed, _ = _mpiexec(2, "-m", "collectives", "traffic", "allreduce", "-a", "mpi")
    assert completed.returncode != 0
    assert completed.stderr.count("error: expected one of the allreduce algorithms") == 1


def test_bench_runs_the_builtin_on_float16() -> None:
    """bench -d half with the default algorithms runs every one, MPI's built-in included (MPI
    reduces float16 with its predefined sum), each with nothing wrong."""
    completed, _ = _mpiexec(2, "-m", "collectives", "bench", "allreduce", "-b", "1K", "-e",
                            "1K", "-d", "half", "-n", "2", "-w", "1")
    assert completed.returncode == 0, completed.stderr
    assert "skipped" not in completed.stdout
    rows = [line.split() for line in completed.stdout.splitlines()
            if line and not line.startswith("#")]
    assert "mpi" in [row[5] for row in rows] and "ring" in [row[5] for row in rows]
    assert all(row[2] == "float16" and row[10] == "0" for row in rows), completed.stdout


@pytest.mark.parametrize("dtype", [">f4", ">f8"])
def test_bench_skips_the_builtin_it_was_named_with_and_runs_the_rest(dtype: str) -> None:
    """bench -a ring,mpi with a big-endian float names MPI's built-in as skipped, with MPI's
    reason, and runs ring with nothing wrong, instead of losing the sweep."""
    completed, _ = _mpiexec(2, "-m", "collectives", "bench", "allreduce", "-a", "ring,mpi",
                            "-b", "1K", "-e", "1K", "-d", dtype, "-n", "2", "-w", "1")
    assert completed.returncode == 0, completed.stderr
    assert "(skipped, cannot run here: mpi)" in completed.stdout
    assert re.search(r"# skipped mpi: algorithm 'mpi' \(MPI's built-in collective\) expected",
                     completed.stdout), completed.stdout
    name = dtype
    rows = [line.split() for line in completed.stdout.splitlines()
            if line and not line.startswith("#")]
    assert [row[:6] for row in rows] == [["1024", rows[0][1], name, "sum", "-1", "ring"]]
    assert rows[0][10] == "0"  # out-of-place #wrong


def test_bench_refuses_when_no_named_algorithm_can_run() -> None:
    """bench -a mpi -d '>f4': nothing can run, so one error per rank names the reason."""
    completed, _ = _mpiexec(2, "-m", "collectives", "bench", "allreduce", "-a", "mpi",
                            "-b", "1K", "-e", "1K", "-d", ">f4", "-n", "2", "-w", "1")
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr
    assert "error: expected an algorithm that can run allreduce on 2 ranks with >f4, got " \
           "none: algorithm 'mpi'" in completed.stderr
