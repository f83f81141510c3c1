"""One training step of a tensor-parallel MLP and attention block: shapes, all-reduces, bytes.

    python sims/tensor_parallel.py                          # 4 simulated ranks in one process
    mpiexec -n 4 python -m mpi4py sims/tensor_parallel.py   # 4 MPI processes; rank 0 prints

Model: b = 2, s = 16, h = 64, 4 causal heads, float64. Every rank runs the same per-rank code;
under mpiexec (detected by PMI_RANK, PMI_SIZE, OMPI_COMM_WORLD_RANK, or --mpi) its all-reduces
go over ``collectives.mpi``, otherwise over the simulator. Both print the same report but for the
``run:`` line.
"""

from __future__ import annotations

import argparse
import os
import sys

from collectives.errors import CollectivesError
from collectives.tensor_parallel import run_simulated
from collectives.tensor_parallel.report import format_report
from collectives.tensor_parallel.step import ModelConfig, training_step

_LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK")


def launched_by_mpiexec() -> bool:
    """True when an MPI launcher (MPICH's Hydra or Open MPI's) started this process."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def main(argv: list[str] | None = None) -> int:
    """Run the step and print the report (rank 0 only under MPI)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ranks", "-n", type=int, default=4,
                        help="simulated ranks (under MPI: the job's size)")
    parser.add_argument("--algorithm", "-a", default="ring", help="all-reduce algorithm")
    parser.add_argument("--mpi", action="store_true", help="run over MPI even with one rank")
    args = parser.parse_args(argv)
    config = ModelConfig(batch=2, seq=16, hidden=64, heads=4, causal=True)
    if args.mpi or launched_by_mpiexec():
        from mpi4py import MPI

        from collectives.tensor_parallel.mpi_backend import MpiGroup

        world = MPI.COMM_WORLD
        try:  # a shape N cannot split fails on every rank alike, before any message
            report = training_step(MpiGroup(world, algorithm=args.algorithm), config)
        except CollectivesError as error:
            if world.rank == 0:
                print(f"error: {error}", file=sys.stderr)
            return 2
        reports = world.gather(report, root=0)
        if world.rank == 0:
            run = f"mpiexec, {world.size} process{'es' if world.size > 1 else ''}"
            sys.stdout.write(format_report(config, reports, algorithm=args.algorithm, run=run))
        return 0
    try:
        reports = run_simulated(args.ranks, lambda group: training_step(group, config),
                                algorithm=args.algorithm)
    except CollectivesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    run = f"simulator, {args.ranks} ranks in one process"
    sys.stdout.write(format_report(config, reports, algorithm=args.algorithm, run=run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
