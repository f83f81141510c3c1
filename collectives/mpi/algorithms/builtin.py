"""``mpi``: MPI's own built-in collective for every collective, on the same working buffers.

Each function is one call (``Bcast``, ``Scatter``, ``Gather``, ``Reduce``, ``Allgather``,
``Reduce_scatter_block``, ``Allreduce``, ``Alltoall``) on numpy buffers with their MPI
datatype, in place where MPI allows it. A named op is MPI's predefined op, a user ``MPI.Op``
goes to MPI as it is; any other op becomes an ``MPI.Op.Create`` user op for the call (MPI keeps
rank order for a non-commutative one). ``max`` and ``min`` on floats are numpy's (NaN in, NaN
out), as for every algorithm, not MPI's predefined ones; so is ``sum`` on 1- and 2-byte integers
under Open MPI (which saturates where C and numpy wrap).

Assumes: a dtype MPI has a datatype for (:func:`mpi_datatype`); MPI picks its own algorithm, and
its messages are not seen by the transport, so a traffic recording counts none of them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from mpi4py import MPI

from collectives.catalogue import REDUCING
from collectives.errors import UnsupportedError
from collectives.mpi.call import Call
from collectives.mpi.registry import BUILTIN, register
from collectives.ops import Op
from collectives.spec import Problem

# dtypes MPI moves but cannot reduce with a predefined op: MPICH has a float16 datatype
# (MPIX_C_FLOAT16), MPI defines no SUM or MAX on it.
_NO_PREDEFINED_REDUCTION = (np.dtype(np.float16),)

# Named ops whose NaN rule (numpy's: NaN in, NaN out) MPI's predefined op does not keep.
_NAN_PROPAGATING = frozenset({"max", "min"})

# Integer sizes (bytes) whose MPI_SUM Open MPI saturates: its AVX op adds 8- and 16-bit lanes
# with saturating instructions (int8 100 + 100 is 127, not -56) wherever a count fills a vector.
_OPEN_MPI_SATURATING_SUM = (1, 2)


def mpi_datatype(dtype: np.dtype) -> MPI.Datatype:
    """The predefined MPI datatype of a native numpy dtype; UnsupportedError when MPI has none."""
    dtype = np.dtype(dtype)
    try:
        if not dtype.isnative or dtype.fields is not None or dtype.subdtype is not None:
            raise ValueError
        return MPI.Datatype.fromcode(dtype.char)
    except (KeyError, ValueError):
        raise UnsupportedError(
            f"algorithm {BUILTIN!r} (MPI's built-in collective) expected a dtype with an MPI "
            f"datatype, got {dtype}; use one of this package's algorithms, which send raw bytes"
        ) from None


def check_builtin(problem: Problem) -> None:
    """Raise before any message when MPI's built-in collective cannot take ``problem``."""
    if problem.segments != 1:
        raise UnsupportedError(
            f"algorithm {BUILTIN!r} (MPI's built-in collective) does not pipeline, so it "
            f"expected segments=1, got segments={problem.segments}"
        )
    mpi_datatype(problem.dtype)
    op = problem.op
    if problem.collective in REDUCING and op is not None and op.predefined \
            and problem.dtype in _NO_PREDEFINED_REDUCTION:
        raise UnsupportedError(
            f"algorithm {BUILTIN!r} (MPI's built-in collective) expected a dtype MPI can "
            f"reduce with {op.name!r}, got {problem.dtype}; use one of this package's "
            "algorithms, which reduce with numpy"
        )


@functools.cache
def is_open_mpi() -> bool:
    """True when mpi4py runs on Open MPI (its library version says so), False on MPICH."""
    return MPI.Get_library_version().startswith("Open MPI")


def keeps_numpy_rule(op: Op, dtype: np.dtype) -> bool:
    """True when MPI's predefined op for the named ``op`` gives numpy's answer on ``dtype``:
    not ``max``/``min`` on floats (MPICH's and Open MPI's drop a NaN by rank and position), nor
    Open MPI's ``sum`` on 1- and 2-byte integers (it saturates where numpy wraps)."""
    dtype = np.dtype(dtype)
    if op.name in _NAN_PROPAGATING and dtype.kind == "f":
        return False
    return not (op.name == "sum" and dtype.kind in "iu"
                and dtype.itemsize in _OPEN_MPI_SATURATING_SUM and is_open_mpi())


@contextmanager
def mpi_op(op: Op, dtype: np.dtype) -> Iterator[MPI.Op]:
    """MPI's predefined op for a named op, the caller's own ``MPI.Op`` for one given as such,
    else a user op made for the call and freed after.

    Where MPI's predefined op would not give numpy's answer (:func:`keeps_numpy_rule`), the
    named op is numpy's, made a user op, as every other algorithm reduces: MPI's ``MPI_MAX``
    keeps whichever operand arrived unless the other compares greater, so a NaN survives or
    vanishes by rank and position; Open MPI's ``MPI_SUM`` on int8 to uint16 saturates.
    """
    if op.predefined and keeps_numpy_rule(op, dtype):
        yield getattr(MPI, op.name.upper())
        return
    if op.mpi_op is not None:
        yield op.mpi_op
        return

    def apply(inbuf, inoutbuf, datatype) -> None:  # MPI: inout = in ∘ inout
        incoming = np.frombuffer(inbuf, dtype=dtype)
        op.reduce_into(np.frombuffer(inoutbuf, dtype=dtype), incoming, operand_first=True)

    user_op = MPI.Op.Create(apply, commute=op.commutative)
    try:
        yield user_op
    finally:
        user_op.Free()


def _blocks(call: Call) -> tuple[int, int, MPI.Datatype]:
    return call.problem.count, call.rank, mpi_datatype(call.problem.dtype)


@register("broadcast", BUILTIN)
def builtin_broadcast(call: Call) -> None:
    """``Bcast``."""
    call.comm.Bcast([call.work, mpi_datatype(call.problem.dtype)], call.problem.root)


@register("scatter", BUILTIN)
def builtin_scatter(call: Call) -> None:
    """``Scatter``; the root keeps its own block in place."""
    count, rank, datatype = _blocks(call)
    root = call.problem.root
    if rank == root:
        call.comm.Scatter([call.work, datatype], MPI.IN_PLACE, root)
    else:
        call.comm.Scatter(None, [call.work[rank * count:(rank + 1) * count], datatype], root)


@register("gather", BUILTIN)
def builtin_gather(call: Call) -> None:
    """``Gather``; the root's own block is already in place."""
    count, rank, datatype = _blocks(call)
    root = call.problem.root
    if rank == root:
        call.comm.Gather(MPI.IN_PLACE, [call.work, datatype], root)
    else:
        call.comm.Gather([call.work[rank * count:(rank + 1) * count], datatype], None, root)


@register("reduce", BUILTIN)
def builtin_reduce(call: Call) -> None:
    """``Reduce``, in place at the root."""
    datatype, root = mpi_datatype(call.problem.dtype), call.problem.root
    with mpi_op(call.op, call.problem.dtype) as op:
        if call.rank == root:
            call.comm.Reduce(MPI.IN_PLACE, [call.work, datatype], op, root)
        else:
            call.comm.Reduce([call.work, datatype], None, op, root)


@register("allgather", BUILTIN)
def builtin_allgather(call: Call) -> None:
    """``Allgather``, in place."""
    call.comm.Allgather(MPI.IN_PLACE, [call.work, mpi_datatype(call.problem.dtype)])


@register("reduce_scatter", BUILTIN)
def builtin_reduce_scatter(call: Call) -> None:
    """``Reduce_scatter_block`` into the scratch block, then into place."""
    count, rank, datatype = _blocks(call)
    result = call.scratch(count)
    with mpi_op(call.op, call.problem.dtype) as op:
        call.comm.Reduce_scatter_block([call.work, datatype], [result, datatype], op)
    call.work[rank * count:(rank + 1) * count] = result


@register("allreduce", BUILTIN)
def builtin_allreduce(call: Call) -> None:
    """``Allreduce``, in place."""
    datatype = mpi_datatype(call.problem.dtype)
    with mpi_op(call.op, call.problem.dtype) as op:
        call.comm.Allreduce(MPI.IN_PLACE, [call.work, datatype], op)


@register("alltoall", BUILTIN)
def builtin_alltoall(call: Call) -> None:
    """``Alltoall`` from the input half of the working buffer into the output half."""
    half = call.size * call.problem.count
    datatype = mpi_datatype(call.problem.dtype)
    call.comm.Alltoall([call.work[:half], datatype], [call.work[half:], datatype])
