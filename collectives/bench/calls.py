"""How the benchmark calls each collective, out of place and in place, on buffers it reuses.

Per size every rank allocates its buffers once: ``source`` (its input, example data), ``target``
(the out-of-place result) and, where the collective has an in-place form, ``inplace`` (input and
result in one array, refilled from ``source`` before the check). In place means ``out=`` the
input array: all-reduce, reduce (at the root; other ranks reduce a copy) and all-to-all have
that form. Broadcast out of place is ``broadcast(source, out=target)``; in place is
``broadcast(buf)``, which every rank but the root overwrites. All-gather, reduce-scatter, gather
and scatter have no in-place form in :class:`collectives.mpi.Communicator`: their in-place
columns read N/A.

``mpi`` is timed as a user of MPI would call it: the mpi4py collective itself on the same
buffers (``Allreduce(source, target)``, ``Allreduce(IN_PLACE, inplace)``, ...), on the
communicator's private duplicate, with no working buffer of this package in between, so its
out-of-place figures are MPI's own out-of-place path. Broadcast has no out-of-place form in MPI:
the root copies its input into ``target`` and broadcasts that, as a user would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from collectives.spec import Problem, example_input


@dataclass
class Buffers:
    """One rank's arrays for one size: input, out-of-place result, in-place array."""

    source: np.ndarray | None
    target: np.ndarray | None
    inplace: np.ndarray | None

    @classmethod
    def allocate(cls, problem: Problem, rank: int, seed: int = 0) -> Buffers:
        """Fill the input with example data and write every page of the result arrays now, so
        no first-touch page fault lands in a timed call or counts as a call's memory."""
        p = problem
        source = example_input(p.collective, rank, p.ranks, p.count, p.dtype, root=p.root,
                               seed=seed)
        if source is None and p.collective == "broadcast":
            source = np.empty(p.block_shape, dtype=p.dtype)  # non-roots receive into it
            source.fill(0)
        out_shape = p.output_shape(rank)
        target = None
        if out_shape is not None:
            target = np.empty(out_shape, dtype=p.dtype)
            target.fill(0)  # np.zeros would map zero pages lazily
        inplace = None
        if p.info.in_place and source is not None:
            inplace = source.copy()
        return cls(source, target, inplace)

    def refill(self) -> None:
        """Put the input back into the in-place array."""
        if self.inplace is not None and self.source is not None:
            np.copyto(self.inplace, self.source)

    def result(self, in_place: bool) -> np.ndarray | None:
        """The array holding this rank's result after a run, or None where it gets none."""
        if not in_place:
            return self.target
        return self.inplace if self.target is not None else None


def call_for(communicator: Any, problem: Problem, algorithm: str, buffers: Buffers,
             in_place: bool) -> Callable[[], Any]:
    """A no-argument function that makes the call once."""
    from collectives.mpi.registry import BUILTIN

    if algorithm == BUILTIN and (problem.op is None or problem.op.predefined):
        return builtin_call(communicator, problem, buffers, in_place)
    p, b, info = problem, buffers, problem.info
    method = getattr(communicator, p.collective)
    op, root = (p.op.name if p.op is not None else None), p.root
    if not in_place:
        x, out = b.source, b.target
    elif not info.in_place:
        raise ValueError(f"{p.collective} has no in-place form")
    elif p.collective == "broadcast":  # broadcast(buf) is in place by its signature
        return lambda: method(b.inplace, root=root, algorithm=algorithm)
    else:  # out= the input where this rank gets a result (reduce off the root reduces a copy)
        x, out = b.inplace, b.inplace if b.target is not None else None
    # one call per shape of arguments, its keywords written out (a call costs no dict of them)
    if info.reducing and info.rooted:
        return lambda: method(x, op=op, root=root, algorithm=algorithm, out=out)
    if info.reducing:
        return lambda: method(x, op=op, algorithm=algorithm, out=out)
    if info.rooted:
        return lambda: method(x, root=root, algorithm=algorithm, out=out)
    return lambda: method(x, algorithm=algorithm, out=out)


def builtin_call(communicator: Any, problem: Problem, buffers: Buffers,
                 in_place: bool) -> Callable[[], Any]:
    """MPI's own collective on the benchmark's buffers, called as an MPI user calls it."""
    from mpi4py import MPI

    from collectives.mpi.algorithms.builtin import check_builtin, mpi_datatype

    check_builtin(problem)
    p, b, comm = problem, buffers, communicator.mpi_comm
    name, datatype, root = p.collective, mpi_datatype(p.dtype), p.root
    op = getattr(MPI, p.op.name.upper()) if p.op is not None else None
    is_root = comm.Get_rank() == root

    def typed(array: np.ndarray | None) -> Any:
        return None if array is None else [array, datatype]

    if in_place:
        if not p.info.in_place:
            raise ValueError(f"{name} has no in-place form")
        if name == "broadcast":
            return lambda: comm.Bcast(typed(b.inplace), root)
        if name == "reduce":
            if is_root:
                return lambda: comm.Reduce(MPI.IN_PLACE, typed(b.inplace), op, root)
            return lambda: comm.Reduce(typed(b.inplace), None, op, root)
        if name == "allreduce":
            return lambda: comm.Allreduce(MPI.IN_PLACE, typed(b.inplace), op)
        return lambda: comm.Alltoall(MPI.IN_PLACE, typed(b.inplace))
    if name == "broadcast":
        def broadcast() -> None:
            if is_root:
                np.copyto(b.target, b.source)
            comm.Bcast(typed(b.target), root)
        return broadcast
    calls: dict[str, Callable[[], Any]] = {
        "scatter": lambda: comm.Scatter(typed(b.source), typed(b.target), root),
        "gather": lambda: comm.Gather(typed(b.source), typed(b.target), root),
        "reduce": lambda: comm.Reduce(typed(b.source), typed(b.target), op, root),
        "allgather": lambda: comm.Allgather(typed(b.source), typed(b.target)),
        "reduce_scatter": lambda: comm.Reduce_scatter_block(typed(b.source), typed(b.target),
                                                            op),
        "allreduce": lambda: comm.Allreduce(typed(b.source), typed(b.target), op),
        "alltoall": lambda: comm.Alltoall(typed(b.source), typed(b.target)),
    }
    return calls[name]
