"""How fast a small call could be at N = 2, beside MPI's built-in and the Communicator.

    mpiexec -n 2 python -m mpi4py benchmarks/small_call_floor.py [--calls 1000] [--blocks 8]

For each of the eight collectives at 8 B and 4 KiB (float32, out of place; for the rooted ones
root 0; the size is the reference's K: one rank's buffer for broadcast, reduce and all-reduce,
all N blocks for the others),
three ways of making the call, timed as the benchmark times a call (each starts at a barrier, the
slower rank's time counts), in interleaved blocks A B C A B C, medians of the blocks:

- ``builtin``: MPI's nonblocking collective completed by a ``Test`` loop (what ``mpi`` runs);
- ``floor``: what any call of this package must do at the least, written as bare mpi4py with no
  Python around it: the agreement's round (``Iallreduce`` ``MIN`` of 26 int64, as
  :mod:`collectives.mpi.agreement` sends) and then the messages this package's algorithm sends
  at N = 2 (one, from rank 1 to the root or from the root to rank 1, for the rooted
  collectives; one each way for the others), completed by ``Test`` loops, with the reduction or
  copy it makes;
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


COLLECTIVES = ("broadcast", "scatter", "gather", "reduce", "allgather", "reduce_scatter",
               "allreduce", "alltoall")
ROOT_SENDS = ("broadcast", "scatter")  #: one message, from the root to rank 1
TO_ROOT = ("gather", "reduce")  #: one message, from rank 1 to the root
BLOCKED = ("scatter", "reduce_scatter", "alltoall")  #: the input holds N blocks


def builtin_call(collective: str, x: np.ndarray, out: np.ndarray,
                 comm: MPI.Intracomm) -> Callable[[], None]:
    """MPI's nonblocking collective on ``x`` into ``out``, completed by a Test loop."""
    start: dict[str, Callable[[], MPI.Request]] = {
        "broadcast": lambda: comm.Ibcast([x if rank == 0 else out, FLOAT], 0),
        "scatter": lambda: comm.Iscatter([x, FLOAT], [out, FLOAT], 0),
        "gather": lambda: comm.Igather([x, FLOAT], [out, FLOAT], 0),
        "reduce": lambda: comm.Ireduce([x, FLOAT], [out, FLOAT], MPI.SUM, 0),
        "allgather": lambda: comm.Iallgather([x, FLOAT], [out, FLOAT]),
        "reduce_scatter": lambda: comm.Ireduce_scatter_block([x, FLOAT], [out, FLOAT],
                                                             MPI.SUM),
        "allreduce": lambda: comm.Iallreduce([x, FLOAT], [out, FLOAT], MPI.SUM),
        "alltoall": lambda: comm.Ialltoall([x, FLOAT], [out, FLOAT]),
    }
    begin = start[collective]
    return lambda: _test_loop(begin())


def floor_call(collective: str, x: np.ndarray, out: np.ndarray,
               comm: MPI.Intracomm) -> Callable[[], None]:
    """The agreement's round, then this package's messages at N = 2, as bare mpi4py."""
    fields = np.zeros(26, dtype=np.int64)
    received = np.empty_like(fields)
    blocked = collective in BLOCKED
    block = x.size // 2 if blocked else x.size  # what travels each way
    incoming = np.empty(block, dtype=np.float32)
    sent = x[peer * block:(peer + 1) * block] if blocked else x

    def from_root() -> None:  # broadcast and scatter: the root sends, rank 1 receives
        _agree(fields, received, comm)
        if rank == 0:
            _test_loop(comm.Isend([sent, FLOAT], 1, 7))
            out[...] = x[:out.size]
        else:
            _test_loop(comm.Irecv([out, FLOAT], 0, 7))

    def to_root() -> None:  # gather and reduce: rank 1 sends, the root receives
        _agree(fields, received, comm)
        if rank == 1:
            _test_loop(comm.Isend([x, FLOAT], 0, 7))
        elif collective == "gather":
            out[:block] = x
            _test_loop(comm.Irecv([out[block:], FLOAT], 1, 7))
        else:
            _test_loop(comm.Irecv([incoming, FLOAT], 1, 7))
            np.add(x, incoming, out=out)

    def exchange() -> None:  # the others: one message each way
        _agree(fields, received, comm)
        receive = comm.Irecv([incoming, FLOAT], peer, 7)
        _test_loop(comm.Isend([sent, FLOAT], peer, 7))
        _test_loop(receive)
        mine = x[rank * block:(rank + 1) * block] if blocked else x
        if collective in ("reduce_scatter", "allreduce"):  # rank order: rank 0's on the left
            np.add(mine, incoming, out=out) if rank == 0 else np.add(incoming, mine, out=out)
        else:
            out[rank * block:(rank + 1) * block] = mine
            out[peer * block:(peer + 1) * block] = incoming

    if collective in ROOT_SENDS:
        return from_root
    return to_root if collective in TO_ROOT else exchange


def our_call(collective: str, x: np.ndarray, communicator: Communicator) -> Callable[[], None]:
    """The Communicator's call, out of place, algorithm auto."""
    if collective == "broadcast":
        out = np.empty_like(x)
        return lambda: communicator.broadcast(x, out=out)
    method = getattr(communicator, collective)
    given = x.reshape(size, -1) if collective in BLOCKED else x
    return lambda: method(given)


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
    for collective in COLLECTIVES:
        for nbytes in (8, 4096):
            x = np.arange(nbytes // 4, dtype=np.float32)
            halved = collective in ("scatter", "reduce_scatter")  # a rank's result: one block
            doubled = collective in ("gather", "allgather")  # every rank's x, stacked
            out = np.empty(x.size // 2 if halved else 2 * x.size if doubled else x.size,
                           dtype=np.float32)
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
