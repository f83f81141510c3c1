"""One training step of a tensor-parallel MLP and attention block: shapes, all-reduces, bytes;
then a whole transformer layer, tensor parallel beside tensor + sequence parallel.

    python sims/tensor_parallel.py                          # 4 simulated ranks in one process
    mpiexec -n 4 python -m mpi4py sims/tensor_parallel.py   # 4 MPI processes; rank 0 prints

Model: b = 2, s = 16, h = 64, 4 causal heads, float64; the layer adds layer norms, residuals and
dropout (keeping 0.9), and its sequence-parallel variants need the ranks to divide s = 16; the
layer section gives the bytes per block and the activation bytes each rank keeps for backward,
beside Korthikanti et al.'s formulas. Every rank runs the same per-rank code;
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
from collectives.tensor_parallel.group import Group
from collectives.tensor_parallel.layer_report import format_layer_report
from collectives.tensor_parallel.layer_step import LayerConfig, LayerRankReport, layer_step
from collectives.tensor_parallel.report import format_report
from collectives.tensor_parallel.step import ModelConfig, RankReport, training_step

_LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK")


def launched_by_mpiexec() -> bool:
    """True when an MPI launcher (MPICH's Hydra or Open MPI's) started this process."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


CONFIG = ModelConfig(batch=2, seq=16, hidden=64, heads=4, causal=True)
LAYER = LayerConfig(batch=2, seq=16, hidden=64, heads=4, causal=True, keep_prob=0.9)


def both_steps(group: Group) -> tuple[RankReport, LayerRankReport]:
    """The blocks' step, then the layer's, on this rank."""
    return training_step(group, CONFIG), layer_step(group, LAYER)


def report(results: list[tuple[RankReport, LayerRankReport]], algorithm: str, run: str) -> str:
    """The blocks' report and the layer's, from every rank's results."""
    return (format_report(CONFIG, [r[0] for r in results], algorithm=algorithm, run=run) + "\n"
            + format_layer_report(LAYER, [r[1] for r in results]))


def main(argv: list[str] | None = None) -> int:
    """Run the step and print the report (rank 0 only under MPI)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ranks", "-n", type=int, default=4,
                        help="simulated ranks (under MPI: the job's size)")
    parser.add_argument("--algorithm", "-a", default="ring", help="all-reduce algorithm")
    parser.add_argument("--mpi", action="store_true", help="run over MPI even with one rank")
    args = parser.parse_args(argv)
    if args.mpi or launched_by_mpiexec():
        from mpi4py import MPI

        from collectives.tensor_parallel.mpi_backend import MpiGroup

        world = MPI.COMM_WORLD
        try:  # a shape N cannot split fails on every rank alike, before any message
            mine = both_steps(MpiGroup(world, algorithm=args.algorithm))
        except CollectivesError as error:
            if world.rank == 0:
                print(f"error: {error}", file=sys.stderr)
            return 2
        results = world.gather(mine, root=0)
        if world.rank == 0:
            run = f"mpiexec, {world.size} process{'es' if world.size > 1 else ''}"
            sys.stdout.write(report(results, args.algorithm, run))
        return 0
    try:
        results = run_simulated(args.ranks, both_steps, algorithm=args.algorithm)
    except CollectivesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    run = f"simulator, {args.ranks} ranks in one process"
    sys.stdout.write(report(results, args.algorithm, run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
