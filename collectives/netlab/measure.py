"""The MPI program the lab runs to hold the simulator to the network:
``python -m mpi4py -m collectives.netlab.measure OUT.json --peer P [--local-peer L]
[--time C:A:SIZE ...]``.

It measures what the links really give (rank 0 and rank ``P``, on another host, exchange
messages of 0 B to 4 MiB through the library's own transport: per-message latency and the
bandwidth TCP reaches; with ``L``, the same with a rank on rank 0's own host, through MPI's
shared memory), how long rank 0's send of a large message to ``P`` takes to complete (the
operating system takes the last part of it into its socket buffer, so the send ends before the
data has arrived), how fast rank 0 reduces, and then the time of every requested call: the slowest
rank's time, median over repetitions, as the benchmark times a call. Rank 0 writes the figures
as JSON to OUT.json.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

import numpy as np
from mpi4py import MPI

from collectives.bench.calls import Buffers, call_for
from collectives.bench.runner import BenchConfig
from collectives.bench.sizes import count_for_size
from collectives.mpi import Communicator
from collectives.mpi.calibrate import reduce_seconds, step_seconds
from collectives.timing_loop import time_calls

PROBE_SIZES = (0, 1 << 10, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 21, 1 << 22)
REDUCE_SIZES = (1 << 20, 1 << 22)
HANDOFF_SIZES = (1 << 21, 1 << 22)  #: larger than a socket buffer, so the send waits for some
HANDOFF_REPETITIONS = 5


def repetitions(nbytes: int) -> tuple[int, int]:
    """(timed calls, warm-up calls) for a call moving about ``nbytes``."""
    return ((15, 3) if nbytes <= 1 << 18 else (7, 2) if nbytes <= 1 << 22 else
            (5, 1) if nbytes <= 1 << 24 else (3, 1))


def step_times(world: MPI.Intracomm, peer: int) -> list[float]:
    """Median step times between rank 0 and ``peer`` at :data:`PROBE_SIZES` (on rank 0 and
    ``peer``; an empty list elsewhere)."""
    rank = world.Get_rank()
    pair = world.Split(0 if rank in (0, peer) else MPI.UNDEFINED, key=rank)
    steps: list[float] = []
    if pair != MPI.COMM_NULL:
        steps = [step_seconds(pair, nbytes) for nbytes in PROBE_SIZES]
        pair.Free()
    world.Barrier()
    return steps


def handoff_times(world: MPI.Intracomm, peer: int) -> list[float]:
    """Median seconds rank 0's send of each of :data:`HANDOFF_SIZES` to ``peer`` takes to
    complete, the receive posted beforehand (on rank 0; an empty list elsewhere)."""
    rank = world.Get_rank()
    pair = world.Split(0 if rank in (0, peer) else MPI.UNDEFINED, key=rank)
    medians: list[float] = []
    if pair != MPI.COMM_NULL:
        for nbytes in HANDOFF_SIZES:
            data = np.zeros(nbytes, dtype=np.uint8)
            seconds = []
            for _ in range(HANDOFF_REPETITIONS + 1):
                receive = pair.Irecv(data, 0) if pair.Get_rank() == 1 else None
                pair.Barrier()
                start = MPI.Wtime()
                if receive is None:
                    pair.Isend(data, 1).Wait()
                    seconds.append(MPI.Wtime() - start)
                else:
                    receive.Wait()
            medians.append(float(np.median(seconds[1:])) if seconds else 0.0)
        pair.Barrier()
        pair.Free()
    world.Barrier()
    return medians if rank == 0 else []


def probe(world: MPI.Intracomm, peer: int, local_peer: int | None) -> dict[str, list[float]]:
    """Step times between rank 0 and ``peer`` (on another host) and, when given, ``local_peer``
    (on rank 0's host: MPI's shared memory) at :data:`PROBE_SIZES`, rank 0's send completion
    times to ``peer`` at :data:`HANDOFF_SIZES`, and rank 0's reduction times at
    :data:`REDUCE_SIZES`; complete on rank 0."""
    figures = {"probe_sizes": list(PROBE_SIZES), "probe_seconds": step_times(world, peer),
               "handoff_sizes": list(HANDOFF_SIZES),
               "handoff_seconds": handoff_times(world, peer),
               "reduce_sizes": list(REDUCE_SIZES)}
    if local_peer is not None:
        figures["local_probe_seconds"] = step_times(world, local_peer)
    figures["reduce_seconds"] = ([reduce_seconds(nbytes) for nbytes in REDUCE_SIZES]
                                 if world.Get_rank() == 0 else [])
    world.Barrier()
    return figures


def time_call(world: MPI.Intracomm, communicator: Communicator, collective: str,
              algorithm: str, nbytes: int) -> float:
    """The benchmark's time for one call of ``nbytes`` (float32, sum, root 0, out of place)."""
    ranks = world.Get_size()
    count = count_for_size(collective, nbytes, np.float32, ranks)
    config = BenchConfig(collective, (algorithm,), (nbytes,), np.dtype(np.float32), "sum", 0,
                         1, 0, check=False)
    problem = config.problem(ranks, count)
    buffers = Buffers.allocate(problem, world.Get_rank())
    iterations, warmup = repetitions(nbytes)
    return time_calls(world, call_for(communicator, problem, algorithm, buffers,
                                      in_place=False), iterations, warmup)


def main(argv: Sequence[str] | None = None) -> int:
    """Probe, time every call asked for, and write the JSON on rank 0."""
    parser = argparse.ArgumentParser(prog="collectives.netlab.measure")
    parser.add_argument("out")
    parser.add_argument("--peer", type=int, default=1, help="the probe's second rank")
    parser.add_argument("--local-peer", type=int, default=None,
                        help="a rank on rank 0's host, to probe MPI's shared memory")
    parser.add_argument("--time", action="append", default=[], metavar="COLLECTIVE:ALG:BYTES")
    args = parser.parse_args(argv)
    world = MPI.COMM_WORLD
    figures = probe(world, args.peer, args.local_peer)
    communicator = Communicator(world)
    rows = []
    for item in args.time:
        collective, algorithm, nbytes = item.split(":")
        seconds = time_call(world, communicator, collective, algorithm, int(nbytes))
        rows.append({"collective": collective, "algorithm": algorithm, "size": int(nbytes),
                     "measured": seconds})
    if world.Get_rank() == 0:
        with open(args.out, "w") as handle:
            json.dump({**figures, "ranks": world.Get_size(), "calls": rows}, handle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
