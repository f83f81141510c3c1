"""``mpi``: MPI's own built-in collective for every collective, on the same working buffers.

Each function is one call (``Ibcast``, ``Iscatter``, ``Igather``, ``Ireduce``, ``Iallgather``,
``Ireduce_scatter_block``, ``Iallreduce``, ``Ialltoall``) on numpy buffers with their MPI
datatype, in place where MPI allows it, completed by polling under the communicator's deadline
(:meth:`collectives.mpi.transport.Transport.complete`), which for small messages is also quicker
than MPI's blocking call (docs/mpi.md). A named op is MPI's predefined op, a user
``MPI.Op`` goes to MPI as it is; any other op becomes an ``MPI.Op.Create`` user op for the
call (MPI keeps rank order for a non-commutative one). ``max`` and ``min`` on floats are
numpy's (NaN in, NaN out), as for every algorithm, not MPI's predefined ones; so is ``sum`` on
1- and 2-byte integers under Open MPI (which saturates where C and numpy wrap).

Assumes: a dtype MPI has a datatype for (:func:`mpi_datatype`); MPI picks its own algorithm, and
its messages are not seen by the transport, so a traffic recording counts none of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from mpi4py import MPI

from collectives.errors import UnsupportedError
from collectives.mpi.call import Call, reads_source
from collectives.mpi.registry import BUILTIN, register
from collectives.ops import Op, resolve_op
from collectives.spec import Problem

# Named ops whose NaN rule (numpy's: NaN in, NaN out) MPI's predefined op does not keep.
_NAN_PROPAGATING = frozenset({"max", "min"})

# Integer sizes (bytes) whose MPI_SUM Open MPI saturates: its AVX op adds 8- and 16-bit lanes
# with saturating instructions (int8 100 + 100 is 127, not -56) wherever a count fills a vector.
_OPEN_MPI_SATURATING_SUM = (1, 2)


@functools.cache
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


@functools.cache
def _predefined(name: str, dtype: np.dtype) -> MPI.Op | None:
    """MPI's predefined op for the named op where it keeps numpy's rule on ``dtype``, else
    None (asked once per op and dtype: small calls cannot afford :func:`mpi_op`'s context)."""
    op = resolve_op(name)
    return getattr(MPI, name.upper()) if keeps_numpy_rule(op, dtype) else None


def _reducing(call: Call, start: Callable[[MPI.Op], MPI.Request]) -> None:
    """Complete the request ``start(op)`` returns, ``op`` the MPI op of the call's op
    (:func:`mpi_op`; a user op made for the call lives until the request completes)."""
    op, dtype = call.op, call.problem.dtype
    predefined = _predefined(op.name, dtype) if op.predefined else None
    if predefined is not None:
        call.transport.complete(start(predefined))
        return
    with mpi_op(op, dtype) as made:
        call.transport.complete(start(made))


def _blocks(call: Call) -> tuple[int, int, MPI.Datatype]:
    return call.problem.count, call.rank, mpi_datatype(call.problem.dtype)


@register("broadcast", BUILTIN)
def builtin_broadcast(call: Call) -> None:
    """``Ibcast``."""
    complete = call.transport.complete
    complete(call.comm.Ibcast([call.work, mpi_datatype(call.problem.dtype)], call.problem.root))


@register("scatter", BUILTIN)
def builtin_scatter(call: Call) -> None:
    """``Iscatter``; the root keeps its own block in place."""
    count, rank, datatype = _blocks(call)
    root, complete = call.problem.root, call.transport.complete
    if rank == root:
        complete(call.comm.Iscatter([call.work, datatype], MPI.IN_PLACE, root))
    else:
        complete(call.comm.Iscatter(None, [call.work[rank * count:(rank + 1) * count], datatype],
                                    root))


@register("gather", BUILTIN)
def builtin_gather(call: Call) -> None:
    """``Igather``; the root's own block is already in place."""
    count, rank, datatype = _blocks(call)
    root, complete = call.problem.root, call.transport.complete
    if rank == root:
        complete(call.comm.Igather(MPI.IN_PLACE, [call.work, datatype], root))
    else:
        complete(call.comm.Igather([call.work[rank * count:(rank + 1) * count], datatype], None,
                                   root))


@register("reduce", BUILTIN)
def builtin_reduce(call: Call) -> None:
    """``Ireduce``, in place at the root."""
    datatype, root = mpi_datatype(call.problem.dtype), call.problem.root
    send, receive = (MPI.IN_PLACE, [call.work, datatype]) if call.rank == root else \
        ([call.work, datatype], None)
    _reducing(call, lambda op: call.comm.Ireduce(send, receive, op, root))


@register("allgather", BUILTIN)
def builtin_allgather(call: Call) -> None:
    """``Iallgather``, in place."""
    call.transport.complete(call.comm.Iallgather(MPI.IN_PLACE,
                                                 [call.work, mpi_datatype(call.problem.dtype)]))


@register("reduce_scatter", BUILTIN)
def builtin_reduce_scatter(call: Call) -> None:
    """``Ireduce_scatter_block`` into the scratch block, then into place."""
    count, rank, datatype = _blocks(call)
    result = call.scratch(count)
    _reducing(call, lambda op: call.comm.Ireduce_scatter_block([call.work, datatype],
                                                               [result, datatype], op))
    call.work[rank * count:(rank + 1) * count] = result


@register("allreduce", BUILTIN)
@reads_source
def builtin_allreduce(call: Call) -> None:
    """``Iallreduce`` from the caller's input into the result (in place when they are one)."""
    datatype = mpi_datatype(call.problem.dtype)
    send = MPI.IN_PLACE if call.source is call.work else [call.source, datatype]
    _reducing(call, lambda op: call.comm.Iallreduce(send, [call.work, datatype], op))


@register("alltoall", BUILTIN)
def builtin_alltoall(call: Call) -> None:
    """``Ialltoall`` from the input half of the working buffer into the output half."""
    half = call.size * call.problem.count
    datatype = mpi_datatype(call.problem.dtype)
    call.transport.complete(call.comm.Ialltoall([call.work[:half], datatype],
                                                [call.work[half:], datatype]))
