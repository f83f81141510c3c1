"""``python -m collectives calibrate``: measure alpha, beta and gamma and save them."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "measure this machine's alpha, beta and gamma (run under mpiexec -n 2) and save them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``calibrate``."""
    parser.add_argument("--out", type=Path, default=None,
                        help="file to write (default: the user's cache folder)")


def run(args: argparse.Namespace) -> int:
    """Measure on every rank; rank 0 saves the figures and prints them with the path."""
    from mpi4py import MPI

    from collectives.calibration import save_calibration
    from collectives.mpi.calibrate import measure_calibration
    from collectives.sim.timing import format_seconds

    calibration = measure_calibration(MPI.COMM_WORLD)
    if MPI.COMM_WORLD.Get_rank() == 0:
        path = save_calibration(calibration, args.out)
        print(f"alpha = {format_seconds(calibration.alpha)} per step, "
              f"bandwidth = {calibration.bandwidth / 1e9:.2f} GB/s (beta = "
              f"{calibration.beta:.3e} s/B), gamma = {calibration.gamma:.3e} s/B "
              f"({1e-9 / calibration.gamma:.2f} GB/s of float32 sum)"
              if calibration.gamma else "gamma = 0")
        print(f"overhead = {format_seconds(calibration.overhead)} per call")
        print(f"measured on {calibration.measured_on}")
        print(f"saved to {path}")
    return 0
