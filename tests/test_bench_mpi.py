"""``python -m collectives bench`` for real under mpiexec: the nccl-tests table (header, one row
per size and algorithm, the footer), #wrong = 0 against numpy, and the CSV and JSON it writes.
No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from collectives.bench.report import read_csv
from collectives.bench.sizes import counts_for_sweep, size_of_count, size_sweep
from collectives.catalogue import REDUCING
from collectives.launcher import mpiexec_command

HALF = ["time", "algbw", "busbw", "%copy", "#wrong"]
HEADER = ["#", "size", "count", "type", "redop", "root", "algorithm", *HALF, *HALF]

# (collective, N, algorithms, extra flags, has an in-place form)
RUNS = [
    ("allreduce", 2, ["ring", "mpi"], [], True),
    ("allreduce", 3, ["ring", "tree", "mpi"], ["-d", "int32"], True),
    ("allgather", 3, ["ring", "mpi"], [], False),
    ("reduce", 3, ["binomial", "mpi"], ["-r", "2", "-o", "max", "--memory"], True),
    # MPI's built-in is called directly on the benchmark's buffers: checked for every collective
    ("broadcast", 3, ["binomial", "mpi"], ["-r", "1"], True),
    ("scatter", 3, ["binomial", "mpi"], ["-r", "2"], False),
    ("gather", 3, ["binomial", "mpi"], ["-r", "1"], False),
    ("reduce_scatter", 3, ["ring", "mpi"], ["-o", "min"], False),
    ("alltoall", 3, ["pairwise", "mpi"], [], True),
]


def _bench(tmp_path: Path, collective: str, ranks: int, algorithms: list[str],
           extra: list[str]) -> subprocess.CompletedProcess:
    """Run the benchmark on ``ranks`` processes at sizes 8 B to 4 KiB, checked."""
    command = [*mpiexec_command(ranks), sys.executable, "-m", "mpi4py", "-m",
               "collectives", "bench", collective, "-b", "8", "-e", "4K", "-f", "8", "-n", "2",
               "-w", "1", "-c", "1", "-a", ",".join(algorithms), "--copy-bytes", "1M",
               "--copy-iters", "2", "--csv", str(tmp_path / "rows.csv"),
               "--json", str(tmp_path / "rows.json"), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)


@pytest.mark.parametrize(("collective", "ranks", "algorithms", "extra", "in_place"), RUNS,
                         ids=[f"{r[0]}-N{r[1]}" for r in RUNS])
def test_bench_prints_the_nccl_tests_table_with_nothing_wrong(tmp_path, collective, ranks,
                                                              algorithms, extra, in_place):
    """Header columns, a row per size and algorithm with #wrong 0, the footer per algorithm,
    and the same rows in the CSV and JSON."""
    completed = _bench(tmp_path, collective, ranks, algorithms, extra)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    memory = "--memory" in extra
    header = [line.split() for line in lines if line.startswith("#") and "algorithm" in
              line.split()]
    assert header == [HEADER + (["scratch", "RSS"] if memory else [])]
    assert any(line.startswith("# Copy bandwidth: ") and "GB/s per rank" in line
               for line in lines)

    dtype = extra[extra.index("-d") + 1] if "-d" in extra else "float32"
    counts = counts_for_sweep(collective, size_sweep(8, 4096, 8), dtype, ranks)
    rows = [line.split() for line in lines if line and not line.startswith("#")]
    assert [(int(r[0]), int(r[1]), r[5]) for r in rows] == [
        (size_of_count(collective, c, dtype, ranks), c, a) for c in counts for a in algorithms
    ]
    root = extra[extra.index("-r") + 1] if "-r" in extra else "-1"
    op = extra[extra.index("-o") + 1] if "-o" in extra else ("sum" if collective in REDUCING
                                                               else "none")
    for row in rows:
        assert row[2:5] == [dtype, op, root]
        assert row[10] == "0"  # out-of-place #wrong
        assert row[15] == ("0" if in_place else "N/A")  # in-place #wrong
        assert float(row[8]) >= 0 and float(row[6]) > 0

    footer = [line for line in lines if line.startswith("# Avg bus bandwidth    : ")]
    assert [line.split()[6] for line in footer] == algorithms
    assert "# Wrong elements      : 0 OK" in lines
    if memory:
        assert sum(line.startswith("# rank ") and "peak RSS" in line for line in lines) == ranks

    records = read_csv(tmp_path / "rows.csv")
    assert [(r["count"], r["algorithm"]) for r in records] == [(int(r[1]), r[5]) for r in rows]
    assert all(r["oop_wrong"] == 0 and r["ranks"] == ranks for r in records)
    document = json.loads((tmp_path / "rows.json").read_text())
    assert document["settings"]["algorithms"] == algorithms
    assert document["copy"]["ranks"] == ranks
    assert len(document["rows"]) == len(rows)


def test_bench_names_the_valid_algorithms_for_an_unknown_one(tmp_path):
    """An unknown algorithm fails on every rank with the list of valid ones."""
    completed = _bench(tmp_path, "allreduce", 2, ["ring", "nope"], [])
    assert completed.returncode != 0
    assert "expected one of the MPI allreduce algorithms" in completed.stderr
    assert "got 'nope'" in completed.stderr


@pytest.mark.parametrize(("flags", "got"), [
    (["-b", "1T", "-e", "1T"], "got -e 1T: about 5120.0 GiB per rank x 2 ranks on this node = "
                               "10240.0 GiB"),
    (["-b", "8", "-e", "8", "--copy-bytes", "1T"], "got --copy-bytes 1T: about 2048.0 GiB per "
                                                   "rank"),
], ids=["sizes", "copy-probe"])
def test_bench_refuses_what_cannot_fit_in_memory(flags, got):
    """``-b 1T -e 1T`` (or a 1 TiB copy probe) is refused with the estimate, before any buffer
    is made: no MemoryError, no traceback."""
    command = [*mpiexec_command(2), sys.executable, "-m", "mpi4py", "-m", "collectives",
               "bench", "allreduce", "-a", "ring", *flags]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr and "MemoryError" not in completed.stderr
    message = ("error: expected sizes whose buffers fit in a node's memory (", got)
    assert all(part in completed.stderr for part in message), completed.stderr
