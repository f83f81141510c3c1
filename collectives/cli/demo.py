"""``python -m collectives demo``: the tour: a simulated ring all-reduce, then the real one."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from collectives.launcher import mpiexec_command
from collectives.sim import walkthrough

HELP = "simulate a 4-rank ring all-reduce step by step, then run it for real under mpiexec"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``demo``."""
    parser.add_argument("--ranks", "-n", type=int, default=4,
                        help="MPI processes for the real run")
    parser.add_argument("--count", "-c", type=int, default=1 << 16,
                        help="float32 elements per rank in the real run")
    parser.add_argument("--no-mpi", action="store_true", help="skip the real run under mpiexec")


def real_tour(launch: list[str], ranks: int, count: int) -> int:
    """Run the real ring all-reduce under mpiexec (``launch``, for ``ranks`` ranks) and compare
    its traffic with the simulator's."""
    program = ["-m", "mpi4py", "-m", "collectives", "traffic", "allreduce", "--algorithm", "ring",
               "--count", str(count), "--dtype", "float32"]
    print(f"== The real thing: {ranks} MPI processes ==")
    print("$ " + " ".join(["mpiexec", *launch[1:], "python", *program]))
    sys.stdout.flush()
    env = dict(os.environ, MPIEXEC_TIMEOUT=os.environ.get("MPIEXEC_TIMEOUT", "120"))
    return subprocess.run([*launch, sys.executable, *program], env=env, check=False).returncode


def run(args: argparse.Namespace) -> int:
    """The simulated tour, then (unless --no-mpi) the real run."""
    launch = None if args.no_mpi else mpiexec_command(args.ranks)  # bad -n: refused first
    walkthrough.main()
    print()
    if launch is None:
        return 0
    return real_tour(launch, args.ranks, args.count)
