"""``python -m collectives demo``: the tour: a simulated ring all-reduce, then the real one."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from collectives.partition import chunk_offsets
from collectives.sim import Simulation

HELP = "simulate a 4-rank ring all-reduce step by step, then run it for real under mpiexec"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``demo``."""
    parser.add_argument("--ranks", "-n", type=int, default=4, help="number of ranks N")
    parser.add_argument("--count", "-c", type=int, default=8, help="elements per rank")
    parser.add_argument("--no-mpi", action="store_true", help="skip the real run under mpiexec")


def _chunks_line(buffer: np.ndarray, offsets: np.ndarray) -> str:
    return " | ".join(" ".join(f"{int(v):>3}" for v in buffer[offsets[i]:offsets[i + 1]])
                      for i in range(len(offsets) - 1))


def simulated_tour(ranks: int, count: int) -> None:
    """Step through a ring all-reduce on ``ranks`` virtual ranks, printing every buffer."""
    inputs = [np.arange(count, dtype=np.int64) + 100 * rank for rank in range(ranks)]
    simulation = Simulation("allreduce", inputs, algorithm="ring", provenance=True)
    offsets = chunk_offsets(count, ranks)
    print(f"== Simulated ring all-reduce: N={ranks} ranks, {count} int64 elements each ==")
    print("chunks are separated by |; rank r starts with 100·r + position\n")
    print("start")
    for rank, buffer in enumerate(simulation.buffers):
        print(f"  rank {rank}: {_chunks_line(buffer, offsets)}")
    while not simulation.done:
        record = simulation.step()
        print(f"step {record.index + 1}: {record.label} ({record.bytes} bytes in "
              f"{record.messages} messages)")
        for rank, buffer in enumerate(simulation.buffers):
            print(f"  rank {rank}: {_chunks_line(buffer, offsets)}")
    result = simulation.result()
    nbytes = count * 8
    print(f"\nsteps: {result.num_steps} = 2(N-1) = {2 * (ranks - 1)}")
    print(f"bytes sent per rank: {result.bytes_sent.tolist()}; 2(N-1)K/N = "
          f"{2 * (ranks - 1) * nbytes / ranks:g}")
    print(f"all ranks together: {result.total_bytes} = 2(N-1)K = {2 * (ranks - 1) * nbytes}")
    print(f"equals numpy's sum on every rank: {'yes' if result.verified else 'NO'}; "
          "provenance: each element reduced from every rank exactly once\n")


def mpiexec_path() -> str:
    """The mpiexec beside this interpreter (the mpich wheel's), else the first on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise FileNotFoundError("expected an mpiexec beside the interpreter or on PATH, got none;"
                                " pip install mpich")
    return found


def real_tour(ranks: int, count: int) -> int:
    """Run the real ring all-reduce under mpiexec and compare its traffic with the simulator's."""
    command = [mpiexec_path(), "-n", str(ranks), sys.executable, "-m", "mpi4py", "-m",
               "collectives", "traffic", "allreduce", "--algorithm", "ring", "--count",
               str(count), "--dtype", "float32"]
    print(f"== The real thing: {ranks} MPI processes ==")
    print("$ " + " ".join(["mpiexec", *command[1:3], "python", *command[4:]]))
    sys.stdout.flush()
    env = dict(os.environ, MPIEXEC_TIMEOUT=os.environ.get("MPIEXEC_TIMEOUT", "120"))
    return subprocess.run(command, env=env, check=False).returncode


def run(args: argparse.Namespace) -> int:
    """The simulated tour, then (unless --no-mpi) the real run."""
    simulated_tour(args.ranks, args.count)
    if args.no_mpi:
        return 0
    return real_tour(args.ranks, max(args.count, 1 << 16))
