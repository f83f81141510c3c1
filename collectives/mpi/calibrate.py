"""Measure this machine's alpha, beta and gamma as the library's own algorithms pay them.

Alpha and beta come from steps: ranks 0 and 1 exchange ``m`` bytes at once through the same
:class:`~collectives.mpi.transport.Transport` every algorithm uses (one send and one receive each,
the reference's step), for sizes from 0 bytes to 64 MiB; a line fitted to the median step times
gives ``t(m) = alpha + beta·m``. Gamma comes from a reduction loop on rank 0: float32 ``sum`` into
place (``Op.reduce_into``, as the algorithms reduce), at 1, 4 and 16 MiB, fitted the same way.
The overhead is what a whole library call costs beyond its steps: ranks 0 and 1 time a
one-element ``recursive_doubling`` all-reduce through :class:`~collectives.mpi.Communicator` as
the benchmark times any call (slowest rank, median, after a barrier), and the model's time for
its one step is taken off. Other ranks wait at a barrier. Run it on 2 ranks: with more ranks
than cores the waiting ranks compete for the cores.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from time import perf_counter

import numpy as np
from mpi4py import MPI

from collectives.calibration import Calibration, fit_line
from collectives.errors import InvalidInputError
from collectives.mpi.communicator import Communicator
from collectives.mpi.transport import CallSignature, TrafficCounter, Transport
from collectives.ops import resolve_op
from collectives.spec import Problem
from collectives.timing_loop import time_calls

STEP_SIZES = (0, 1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24,
              1 << 26)
REDUCE_SIZES = (1 << 20, 1 << 22, 1 << 24)
OVERHEAD_ALGORITHM = "recursive_doubling"  #: one step at N = 2: the call is nearly all overhead


def _repetitions(nbytes: int) -> int:
    return 200 if nbytes <= 1 << 14 else 50 if nbytes <= 1 << 18 else 12 if nbytes <= 1 << 22 \
        else 5


def step_seconds(comm: MPI.Intracomm, nbytes: int) -> float:
    """Median seconds of one exchange of ``nbytes`` between ranks 0 and 1 (on rank 0)."""
    rank = comm.Get_rank()
    data, into = np.ones(nbytes, dtype=np.uint8), np.empty(nbytes, dtype=np.uint8)
    signature = CallSignature("calibrate", "step", np.dtype(np.uint8), nbytes)
    transport = Transport(comm, signature, TrafficCounter(comm.Get_size()))
    peer = 1 - rank
    times = []
    for repetition in range(_repetitions(nbytes) + 3):
        comm.Barrier()
        if rank > 1:
            continue
        start = perf_counter()
        transport.sendrecv(data, peer, into, peer)
        if repetition >= 3:  # the first exchanges warm the path up
            times.append(perf_counter() - start)
    return float(np.median(times)) if times else 0.0


def reduce_seconds(nbytes: int) -> float:
    """Median seconds of reducing ``nbytes`` of float32 into place with ``sum``."""
    op = resolve_op("sum")
    accumulator = np.ones(nbytes // 4, dtype=np.float32)
    operand = np.ones_like(accumulator)
    times = []
    for repetition in range(13):
        start = perf_counter()
        op.reduce_into(accumulator, operand)
        if repetition >= 3:
            times.append(perf_counter() - start)
    return float(np.median(times))


def overhead_seconds(comm: MPI.Intracomm, model: Calibration) -> float:
    """Seconds a one-element all-reduce on ranks 0 and 1 takes beyond ``model``'s time for its
    steps (0 when the model already accounts for all of it); the same on every rank."""
    pair = comm.Split(0 if comm.Get_rank() < 2 else MPI.UNDEFINED)
    excess = None
    if pair != MPI.COMM_NULL:
        try:
            communicator = Communicator(pair)
            value = np.ones(1, dtype=np.float32)
            measured = time_calls(pair, lambda: communicator.allreduce(
                value, algorithm=OVERHEAD_ALGORITHM), iterations=200, warmup=20)
            problem = Problem("allreduce", 2, (1,), np.dtype(np.float32), 0, resolve_op("sum"))
            excess = max(0.0, measured - model.network_seconds(problem, OVERHEAD_ALGORITHM))
        finally:
            pair.Free()
    return float(comm.bcast(excess, root=0))


def measure_calibration(comm: MPI.Intracomm) -> Calibration:
    """Alpha, beta, gamma and the call overhead measured on ranks 0 and 1 of ``comm`` (the
    same on every rank)."""
    if comm.Get_size() < 2:
        raise InvalidInputError(f"calibration expected at least 2 ranks, got {comm.Get_size()}; "
                                "run it as mpiexec -n 2 python -m mpi4py -m collectives "
                                "calibrate")
    private = comm.Dup()
    try:
        steps = [step_seconds(private, nbytes) for nbytes in STEP_SIZES]
        reductions = [reduce_seconds(nbytes) for nbytes in REDUCE_SIZES] \
            if private.Get_rank() == 0 else []
        figures = None
        if private.Get_rank() == 0:
            alpha, beta = fit_line(np.array(STEP_SIZES), np.array(steps))
            _, gamma = fit_line(np.array(REDUCE_SIZES), np.array(reductions))
            figures = (alpha, beta, gamma)
        alpha, beta, gamma = private.bcast(figures, root=0)
        overhead = overhead_seconds(private, Calibration(alpha=alpha, beta=beta, gamma=gamma))
    finally:
        private.Free()
    library = " ".join(MPI.Get_library_version().splitlines()[0].split())
    return Calibration(
        alpha=alpha, beta=beta, gamma=gamma, overhead=overhead,
        measured_on=f"{platform.node()}, {library}, {comm.Get_size()} ranks",
        measured_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
