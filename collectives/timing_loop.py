"""The timing loop every measurement shares: warm up, then time each call from a barrier, and
keep the median over the iterations of the slowest rank's time.

Each rank times its own call with ``time.perf_counter``; after the loop one max-reduce over all
iterations (one ``Allreduce`` of ``iterations`` floats) gives the slowest rank's time per
iteration. It keeps one float per iteration. Used by the benchmark
(:mod:`collectives.bench.runner`), the calibration (:mod:`collectives.mpi.calibrate`), the
prediction check and the network lab; it needs mpi4py only when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

import numpy as np


def slowest_times(comm: Any, times: np.ndarray) -> np.ndarray:
    """Per iteration, the largest of the ranks' times (one max-reduce for all iterations)."""
    from mpi4py import MPI

    slowest = np.empty_like(times)
    comm.Allreduce(times, slowest, op=MPI.MAX)
    return slowest


def time_calls(comm: Any, call: Callable[[], Any], iterations: int, warmup: int) -> float:
    """Median over ``iterations`` of the slowest rank's time for one call, after ``warmup``."""
    for _ in range(warmup):
        call()
    times = np.empty(iterations)
    for i in range(iterations):
        comm.Barrier()
        start = perf_counter()
        call()
        times[i] = perf_counter() - start
    return float(np.median(slowest_times(comm, times)))
