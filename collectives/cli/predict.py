"""``python -m collectives predict``: the cost model's time beside the measured one.

For each algorithm and size, the simulator predicts the time on the calibrated model of this
machine (:mod:`collectives.calibration`) and the benchmark's loop measures the real call (the
slowest rank's time, median over iterations). The ratio measured/predicted says how far the
model is from this machine.
"""

from __future__ import annotations

import argparse
import json

from collectives.catalogue import CATALOGUE, COLLECTIVES, REDUCING, runnable_algorithms
from collectives.errors import InvalidInputError
from collectives.ops import OP_NAMES

HELP = "predict each algorithm's time with the calibrated model and measure it (under mpiexec)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``predict``."""
    parser.add_argument("collective", choices=COLLECTIVES, metavar="COLLECTIVE",
                        help=f"one of {', '.join(COLLECTIVES)}")
    parser.add_argument("-a", "--algorithms", default=None, metavar="ALG[,ALG...]",
                        help="algorithms to compare (default: every one that can run)")
    parser.add_argument("-b", "--minbytes", default="4K", metavar="SIZE", help="smallest size")
    parser.add_argument("-e", "--maxbytes", default="16M", metavar="SIZE", help="largest size")
    parser.add_argument("-f", "--stepfactor", type=float, default=4.0, help="size factor")
    parser.add_argument("-n", "--iters", type=int, default=40, help="timed iterations")
    parser.add_argument("-w", "--warmup_iters", type=int, default=5, help="warm-up iterations")
    parser.add_argument("-o", "--op", default="sum", choices=OP_NAMES, help="reduction op")
    parser.add_argument("-d", "--datatype", default="float32", help="numpy dtype")
    parser.add_argument("-r", "--root", type=int, default=0, help="root rank")
    parser.add_argument("--calibration", default=None,
                        help="calibration file (default: the user's cache folder)")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON list")


def _algorithms(collective: str, requested: str | None, problem) -> list[str]:
    if requested:
        return [name.strip() for name in requested.split(",") if name.strip()]
    return runnable_algorithms(collective, list(CATALOGUE[collective]), problem.op,
                               problem.ranks)[0]


def run(args: argparse.Namespace) -> int:
    """Predict and measure every algorithm at every size; rank 0 prints the table."""
    import numpy as np
    from mpi4py import MPI

    from collectives.bench.calls import Buffers, call_for
    from collectives.bench.runner import BenchConfig
    from collectives.bench.sizes import counts_for_sweep, parse_size, size_of_count, size_sweep
    from collectives.calibration import calibration_path, load_calibration
    from collectives.mpi import Communicator
    from collectives.timing_loop import time_calls

    calibration = load_calibration(args.calibration)
    if calibration is None:
        raise InvalidInputError(
            f"expected a calibration at {args.calibration or calibration_path()}, got none; run "
            "mpiexec -n 2 python -m mpi4py -m collectives calibrate first")
    world = MPI.COMM_WORLD
    ranks, rank = world.Get_size(), world.Get_rank()
    sizes = size_sweep(parse_size(args.minbytes), parse_size(args.maxbytes), args.stepfactor)
    config = BenchConfig(args.collective, ("placeholder",), tuple(sizes), np.dtype(args.datatype),
                         args.op, args.root, args.iters, args.warmup_iters, check=False)
    communicator = Communicator(world)
    rows = []
    for count in counts_for_sweep(args.collective, sizes, config.dtype, ranks):
        problem = config.problem(ranks, count)
        buffers = Buffers.allocate(problem, rank)
        for algorithm in _algorithms(args.collective, args.algorithms, problem):
            measured = time_calls(world, call_for(communicator, problem, algorithm, buffers,
                                                  in_place=False), args.iters, args.warmup_iters)
            predicted = calibration.predict(problem, algorithm)
            rows.append({"size": size_of_count(args.collective, count, config.dtype, ranks),
                         "count": count, "algorithm": algorithm, "predicted": predicted,
                         "measured": measured,
                         "ratio": measured / predicted if predicted else None})
    if rank == 0:
        if args.json:
            print(json.dumps(rows))
        else:
            _print_table(args, calibration, ranks, rows)
    return 0


def _print_table(args: argparse.Namespace, calibration, ranks: int, rows: list[dict]) -> None:
    print(f"# {args.collective}, N={ranks}, {args.datatype}"
          + (f" {args.op}" if args.collective in REDUCING else "")
          + f"; model: alpha {calibration.alpha * 1e6:.2f} us, "
            f"{calibration.bandwidth / 1e9:.2f} GB/s, gamma {calibration.gamma:.3g} s/B, "
            f"overhead {calibration.overhead * 1e6:.2f} us per call")
    print(f"# {'size (B)':>12} {'count':>10} {'algorithm':>20} {'predicted (us)':>15} "
          f"{'measured (us)':>14} {'measured/predicted':>19}")
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        print(f"  {row['size']:>12} {row['count']:>10} {row['algorithm']:>20} "
              f"{row['predicted'] * 1e6:>15.1f} {row['measured'] * 1e6:>14.1f} {ratio:>19}")
