"""How fast a small call could be at N = 2, beside MPI's built-in and the Communicator.

    mpiexec -n 2 python -m mpi4py benchmarks/small_call_floor.py [--calls 1000] [--blocks 8]

For broadcast, scatter, reduce-scatter and all-to-all of 8 B and 4 KiB (float32, out of place),
three ways of making the call, timed as the benchmark times a call (each starts at a barrier, the
slower rank's time counts), in interleaved blocks A B C A B C, medians of the blocks:

- ``builtin``: MPI's nonblocking collective completed by a ``Test`` loop (what ``mpi`` runs);
- ``floor``: what any call of this package must do at the least, written as bare mpi4py with no
  Python around it: the agreement's round (``Iallreduce`` ``MIN`` of 26 int64, as
  :mod:`collectives.mpi.agreement` sends) and then the messages this package's algorithm sends
  at N = 2 (one for broadcast and scatter, one each way for reduce-scatter and all-to-all),
  completed by ``Test`` loops, with the reduction or copy it makes;
- ``ours``: ``Communicator(COMM_WORLD).<collective>(x)``, ``algorithm="auto"``.

Prints each one's µs per call and the ratios ``floor/builtin`` and ``ours/builtin``: where
``floor/builtin`` passes 3, no code of this design (one agreement round per call) can be within
3x of the built-in.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from mpi4py import MPI

from collectives.mpi import Communicator

world = MPI.COMM_WORLD
rank, size = world.Get_rank(), world.Get_size()
peer = 1 - rank
FLOAT = MPI.FLOAT


def _test_loop(request: MPI.Request) -> None:
    while not request.Test():
        pass


def _agree(fields: np.ndarray, received: np.ndarray, comm: MPI.Intracomm) -> None:
    _test_loop(comm.Iallreduce(fields, received, MPI.MIN))


def builtin_call(collective: str, x: np.ndarray, out: np.ndarray,
                 comm: MPI.Intracomm) -> Callable[[], None]:
    """MPI's nonblocking collective on ``x`` into ``out``, completed by a Test loop."""
    if collective == "broadcast":
        buf = x if rank == 0 else out
        return lambda: _test_loop(comm.Ibcast([buf, FLOAT], 0))
    if collective == "scatter":
        return lambda: _test_loop(comm.Iscatter([x, FLOAT], [out, FLOAT], 0))
    if collective == "reduce_scatter":
        return lambda: _test_loop(comm.Ireduce_scatter_block([x, FLOAT], [out, FLOAT], MPI.SUM))
    return lambda: _test_loop(comm.Ialltoall([x, FLOAT], [out, FLOAT]))


def floor_call(collective: str, x: np.ndarray, out: np.ndarray,
               comm: MPI.Intracomm) -> Callable[[], None]:
    """The agreement's round, then this package's messages at N = 2, as bare mpi4py."""
    fields = np.zeros(26, dtype=np.int64)
    received = np.empty_like(fields)
    block = out.size
    incoming = np.empty(x.size // 2, dtype=np.float32)

    def one_way() -> None:  # broadcast and scatter: the root sends, the other receives
        _agree(fields, received, comm)
        if rank == 0:
            _test_loop(comm.Isend([x[block:] if collective == "scatter" else x, FLOAT], 1, 7))
            out[...] = x[:block]
        else:
            _test_loop(comm.Irecv([out, FLOAT], 0, 7))

    def exchange() -> None:  # reduce-scatter and all-to-all: one message each way
        _agree(fields, received, comm)
        block = x.size // 2
        send = x[peer * block:(peer + 1) * block]
        receive = comm.Irecv([incoming, FLOAT], peer, 7)
        _test_loop(comm.Isend([send, FLOAT], peer, 7))
        _test_loop(receive)
        mine = x[rank * block:(rank + 1) * block]
        if collective == "reduce_scatter":
            np.add(mine, incoming, out=out) if rank == 0 else np.add(incoming, mine, out=out)
        else:
            out[rank * block:(rank + 1) * block] = mine
            out[peer * block:(peer + 1) * block] = incoming

    return one_way if collective in ("broadcast", "scatter") else exchange


def our_call(collective: str, x: np.ndarray, communicator: Communicator) -> Callable[[], None]:
    """The Communicator's call, out of place, algorithm auto."""
    if collective == "broadcast":
        out = np.empty_like(x)
        return lambda: communicator.broadcast(x, out=out)
    if collective == "scatter":
        return lambda: communicator.scatter(x.reshape(size, -1))
    if collective == "reduce_scatter":
        return lambda: communicator.reduce_scatter(x.reshape(size, -1))
    return lambda: communicator.alltoall(x.reshape(size, -1))


def time_block(call: Callable[[], None], calls: int, comm: MPI.Intracomm) -> float:
    """Median over ``calls`` calls of the slower rank's µs, each call after a barrier."""
    times = np.empty(calls)
    for i in range(calls):
        comm.Barrier()
        start = time.perf_counter()
        call()
        times[i] = time.perf_counter() - start
    slowest = np.empty_like(times)
    comm.Allreduce(times, slowest, MPI.MAX)
    return float(np.median(slowest)) * 1e6


def main() -> None:
    """Run every collective and size, print one line each on rank 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--blocks", type=int, default=8)
    args = parser.parse_args()
    if size != 2:
        raise SystemExit(f"expected 2 ranks, got {size}")
    comm = world.Dup()
    communicator = Communicator(world)
    if rank == 0:
        print(f"# N = 2, {args.blocks} blocks of {args.calls} calls each way, interleaved; "
              "median of blocks, µs per call (slower rank)")
        print(f"{'collective':>15} {'bytes':>6} {'builtin':>8} {'floor':>8} {'ours':>8} "
              f"{'floor/builtin':>14} {'ours/builtin':>13}")
    for collective in ("broadcast", "scatter", "reduce_scatter", "alltoall"):
        for nbytes in (8, 4096):
            x = np.arange(nbytes // 4, dtype=np.float32)
            halved = collective in ("scatter", "reduce_scatter")  # a rank's result: one block
            out = np.empty(x.size // 2 if halved else x.size, dtype=np.float32)
            ways = [builtin_call(collective, x, out, comm), floor_call(collective, x, out, comm),
                    our_call(collective, x, communicator)]
            for way in ways:
                way()  # warm up: plans, scratch, MPI's paths
            blocks: list[list[float]] = [[], [], []]
            for _ in range(args.blocks):
                for i, way in enumerate(ways):
                    blocks[i].append(time_block(way, args.calls, comm))
            builtin, floor, ours = (statistics.median(b) for b in blocks)
            if rank == 0:
                print(f"{collective:>15} {nbytes:>6} {builtin:>8.2f} {floor:>8.2f} {ours:>8.2f} "
                      f"{floor / builtin:>14.2f} {ours / builtin:>13.2f}", flush=True)
    communicator.free()
    comm.Free()


if __name__ == "__main__":
    main()
