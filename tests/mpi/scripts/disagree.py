"""Ranks that disagree on a call, or one rank's bad input: run under
``mpiexec -n N python -m mpi4py disagree.py [CASE ...]`` (every case by default).

Each case makes one call whose arguments depend on the rank on a fresh Communicator (with a
short deadline, so a wait that would hang raises instead), then one all-reduce on the same
Communicator. Every rank prints, per case, what the call did and whether the next call worked:

    CASE op-max-prod RANK 0 raised MismatchError: allreduce expected ...
    CASE op-max-prod RANK 0 next ok
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from mpi4py import MPI

from collectives import Op
from collectives.mpi import Communicator

DEADLINE = 20.0  # seconds; far beyond any case's time, far below the test's timeout
MIB = 1 << 20


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def _pick(rank: int, *choices: Any) -> Any:
    """Rank 0 gets the first choice, every other rank the second (or the one at its rank)."""
    return choices[min(rank, len(choices) - 1)]


def _last(comm: Communicator, mine: Any, theirs: Any) -> Any:
    """The last rank gets ``mine``, every other rank ``theirs``."""
    return mine if comm.rank == comm.size - 1 else theirs


def _patient(comm: Communicator) -> Communicator:
    """``comm`` waiting as on a node with more ranks than cores (yielding between polls)."""
    comm._crowded = True
    comm._agreement._patient = True
    return comm


Case = Callable[[Communicator], Any]

CASES: dict[str, Case] = {
    # what every rank must agree on
    "collective": lambda c: c.allreduce(np.ones(8)) if c.rank == 0 else c.broadcast(np.ones(8)),
    "broadcast-root": lambda c: c.broadcast(np.full(4, float(c.rank)), root=c.rank),
    "broadcast-root-16MiB": lambda c: c.broadcast(np.zeros(2 * MIB), root=c.rank),
    "reduce-root": lambda c: c.reduce(np.ones(5), root=c.rank),
    "gather-root": lambda c: c.gather(np.ones(5), root=c.rank),
    "scatter-root": lambda c: c.scatter(np.ones((c.size, 3)), root=c.rank),
    "algorithm-ring-mpi": lambda c: c.allreduce(np.ones(64), algorithm=_pick(c.rank, "ring",
                                                                              "mpi")),
    "algorithm-auto-mpi-16MiB": lambda c: c.allreduce(np.ones(2 * MIB),
                                                      algorithm=_pick(c.rank, "auto", "mpi")),
    "op-max-prod": lambda c: c.allreduce(np.ones(968), op=_pick(c.rank, "max", "prod"),
                                         algorithm="ring"),
    "op-sum-user": lambda c: c.allreduce(np.ones(50_798), op=_pick(c.rank, "sum", Op(_add)),
                                         algorithm="ring"),
    "op-max-band": lambda c: c.allreduce(np.ones(61_429, np.int64),
                                         op=_pick(c.rank, "max", "band"), algorithm="ring"),
    "op-mpi-max-sum": lambda c: c.allreduce(np.ones(16), op=_pick(c.rank, MPI.MAX, MPI.SUM),
                                            algorithm="mpi"),
    "collective-traffic": lambda c: c.allreduce(np.ones(8)) if c.rank == 0
    else c.traffic_matrix(),
    "collective-mpi": lambda c: c.allreduce(np.ones(8), algorithm="mpi") if c.rank == 0
    else c.broadcast(np.ones(8), algorithm="mpi"),
    "count-mpi": lambda c: c.allreduce(np.ones(_last(c, 9, 8)), algorithm="mpi"),
    "count": lambda c: c.allreduce(np.ones(_last(c, 101, 100), np.float32), algorithm="ring"),
    "dtype": lambda c: c.allreduce(np.ones(100, _pick(c.rank, np.float32, np.int32))),
    "byte-order": lambda c: c.allgather(np.ones(10, _pick(c.rank, "<f4", ">f4")), algorithm="ring"),
    "segments": lambda c: c.broadcast(np.ones(1000), algorithm="pipeline",
                                      segments=_pick(c.rank, 2, 4)),
    "group-size": lambda c: c.allreduce(np.ones(12), algorithm="hierarchical",
                                        group_size=_pick(c.rank, 1, c.size)),
    "segments-double-tree": lambda c: c.allreduce(np.ones(12), algorithm="double_binary_tree",
                                                  segments=2 + c.rank),
    "count-patient": lambda c: _patient(c).allreduce(np.ones(4 + c.rank), algorithm="ring"),
    "structured-dtype": lambda c: c.allgather(np.zeros(3, _pick(
        c.rank, [("a", "<i4"), ("b", "<f8")], [("b", "<i4"), ("a", "<f8")]))),
    # one rank's bad input
    "bad-op": lambda c: c.allreduce(np.ones(8), op=_last(c, "avg", "sum")),
    "bad-root": lambda c: c.broadcast(np.ones(8), root=_last(c, c.size, 0)),
    "bad-algorithm": lambda c: c.allreduce(np.ones(8), algorithm=_last(c, "nope", "ring")),
    "bad-out": lambda c: c.allreduce(np.ones(8), out=np.empty(_last(c, 7, 8))),
    "bad-scatter-input": lambda c: c.scatter(np.ones((c.size + 1, 3)) if c.rank == 0 else None),
    "bad-segments": lambda c: c.allreduce(np.ones(8), algorithm="ring",
                                          segments=_last(c, 2, 1)),
    # a non-root scatter with x=None and no out=: the block comes from the root
    "scatter-none": lambda c: c.scatter(
        np.arange(c.size * 6, dtype=np.int16).reshape(c.size, 2, 3) if c.rank == 0 else None),
    "scatter-none-named-algorithm": lambda c: c.scatter(
        np.arange(c.size * 3.0).reshape(c.size, 3) if c.rank == 0 else None,
        algorithm="linear"),
    "scatter-none-structured": lambda c: c.scatter(
        np.zeros((c.size, 2), [("a", "<i4"), ("b", "<f8")]) if c.rank == 0 else None),
    "scatter-none-bad-algorithm": lambda c: c.scatter(
        np.ones((c.size, 3)) if c.rank == 0 else None, algorithm=_last(c, "nope", "auto")),
    # a non-root broadcast with buf=None and no out=: the buffer's shape comes from the root
    "broadcast-none": lambda c: c.broadcast(
        np.arange(6, dtype=np.int16).reshape(2, 3) if c.rank == 0 else None),
    "broadcast-none-last-root": lambda c: c.broadcast(
        np.arange(3.0) if c.rank == c.size - 1 else None, root=c.size - 1,
        algorithm="scatter_allgather"),
    "broadcast-none-bad-algorithm": lambda c: c.broadcast(
        np.ones(3) if c.rank == 0 else None, algorithm=_last(c, "nope", "auto")),
}


def _outcome(result: Any) -> str:
    if result is None:
        return "returned None"
    array = np.asarray(result)
    return f"returned {array.dtype} {array.shape} {array.ravel()[:6].tolist()}"


def _say(line: str) -> None:
    """Print a line in one write, so the ranks' lines do not interleave."""
    os.write(sys.stdout.fileno(), (line.replace("\n", " ") + "\n").encode())


def main(names: list[str]) -> None:
    """Run the named cases (every case when none is named) and print what each did."""
    rank = MPI.COMM_WORLD.rank
    for name in names or list(CASES):
        comm = Communicator(MPI.COMM_WORLD, deadline=DEADLINE)
        try:
            outcome = _outcome(CASES[name](comm))
        except Exception as error:  # what each rank raised is the case's result
            outcome = f"raised {type(error).__name__}: {error}"
        _say(f"CASE {name} RANK {rank} {outcome}")
        try:
            total = comm.allreduce(np.ones(4))
            status = "ok" if np.array_equal(total, np.full(4, comm.size)) else f"wrong {total}"
        except Exception as error:
            status = f"failed {type(error).__name__}: {error}"
        _say(f"CASE {name} RANK {rank} next {status}")
        comm.free()


if __name__ == "__main__":
    main(sys.argv[1:])
