"""``Communicator``: every collective over mpi4py point-to-point messages, on any intracommunicator.

    >>> from mpi4py import MPI
    >>> from collectives.mpi import Communicator
    >>> comm = Communicator(MPI.COMM_WORLD)
    >>> total = comm.allreduce(x, op="sum")                  # algorithm="auto"
    >>> comm.last_algorithm                                  # what auto chose for this size
    'ring'
    >>> comm.allreduce(x, algorithm="tree", out=x)           # in place

Shapes are those of :mod:`collectives.spec`: blocks run along the first axis, so the inputs of
scatter (at the root), reduce-scatter and all-to-all have shape ``(N, *block)`` and gathered
results are stacked ``(N, *block)``. Results are returned (None on the ranks that get none:
non-roots of gather and reduce). ``out=`` takes a C-contiguous, writeable array of the result's
shape and dtype; the caller's input is never written unless it asked for in place:

- ``broadcast(buf)`` is in place by nature: the root's ``buf`` is sent, every other rank's is
  overwritten and returned (any writeable layout: a Fortran-ordered or strided one receives
  through a C-ordered copy). With ``out=``, the result goes there instead and ``buf`` is left
  alone (and may be None on ranks other than the root).
- ``allreduce(x, out=x)``: ``x`` is overwritten with the result on every rank; no buffer of
  the whole size is allocated (ring's scratch is at most one chunk, K/N bytes). Out of place,
  ring reads ``x`` where it is and writes each element of ``out`` once: ``x`` is not copied.
- ``reduce(x, out=x)``: at the root ``x`` is overwritten with the result; other ranks reduce
  into a copy and leave their ``x`` alone (``out`` is ignored on them).
- ``alltoall(x, out=x)``: afterwards ``x`` holds the result; the exchange itself works on a
  temporary copy, since a block is sent after others have arrived.

``scatter`` on a rank other than the root takes ``x=None`` with ``out=`` (its block's buffer),
or an ``x`` shaped like the root's (whose values are not read). ``gather`` ignores ``out`` on
ranks other than the root.

``algorithm="auto"`` (the default) runs the algorithm :func:`collectives.mpi.auto.choose`
picks for the collective, the message size and N: a latency algorithm for small messages, the
ring for large ones, one that keeps rank order for a non-commutative op. Scratch memory is
reused from call to call (reduce-scatter's working buffer too), so a loop of calls allocates
nothing after the first.

``segments=S`` cuts the data into S pieces for an algorithm that pipelines (the catalogue's
``pipelines``); every other algorithm refuses S > 1, naming those that can.

Every call runs on a private duplicate of the communicator made once (``comm.Dup()``), so its
messages never match the caller's own. Bad input raises on the rank that gave it, before any
message is sent; ranks that disagree on a call raise :class:`MismatchError` (see
:mod:`collectives.mpi.transport`). Run scripts as ``mpiexec -n N python -m mpi4py script.py`` so
one rank's uncaught exception aborts the whole job instead of leaving the others waiting.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from mpi4py import MPI

from collectives.catalogue import CATALOGUE, REDUCING, ROOTED, algorithm_info, check_supported
from collectives.clock import ClockCalls
from collectives.errors import CollectivesError, InvalidInputError
from collectives.mpi.algorithms.builtin import check_builtin
from collectives.mpi.auto import AUTO, LARGE, choose
from collectives.mpi.buffers import as_input, as_root, check_apart, check_out, flat, same_array
from collectives.mpi.call import Call, ScratchPool, wants_result, wants_source
from collectives.mpi.registry import BUILTIN, MPI_ALGORITHMS
from collectives.mpi.transport import CallSignature, TrafficCounter, Transport
from collectives.ops import Op, resolve_op
from collectives.spec import Problem, block_shape_of

# What ``algorithm="auto"`` (the default) runs for large messages; :mod:`collectives.mpi.auto`
# chooses by collective, size in bytes, N and op.
DEFAULT_ALGORITHMS: dict[str, str] = LARGE

# Algorithm choices and transports kept per call signature (small calls repeat the same few).
_SIGNATURES_KEPT = 64


def default_algorithm(collective: str, op: Op | None = None, *, nbytes: int, size: int) -> str:
    """The algorithm a call runs when it names none (``auto``): see
    :func:`collectives.mpi.auto.choose`."""
    return choose(collective, nbytes, size, op)


class Communicator(ClockCalls):
    """The collectives of this package on a private duplicate of an mpi4py intracommunicator
    (with :mod:`collectives.clock`'s ``compute``, ``measure`` and ``phase``, which do nothing
    here but check their arguments)."""

    def __init__(self, comm: MPI.Intracomm) -> None:
        if not isinstance(comm, MPI.Intracomm) or comm == MPI.COMM_NULL:
            raise InvalidInputError(
                f"expected an mpi4py intracommunicator, got {comm!r}"
            )
        self._comm: MPI.Intracomm = comm.Dup()
        self._comm.Set_errhandler(MPI.ERRORS_RETURN)  # MPI errors raise MPI.Exception
        self._rank = self._comm.Get_rank()
        self._size = self._comm.Get_size()
        self._crowded = _crowded(self._comm)  # more ranks on this node than cores: wait yielding
        self._counter = TrafficCounter(self._size)
        self._pool = ScratchPool()
        # the working buffer of the collectives that cannot work in the caller's arrays
        # (scatter, gather and reduce off the root, reduce-scatter, all-to-all), reused call to
        # call so a loop of calls maps and faults in no fresh pages
        self._work_pool = ScratchPool()
        self._transports: dict[tuple[Problem, str], Transport] = {}
        self._chosen: dict[tuple[Problem, str | None], str] = {}  # (problem, asked) -> ran
        self._plans: dict[tuple[Any, ...], tuple[Problem, str]] = {}  # call signature -> plan
        self._failure: str | None = None
        self.last_collective: str | None = None  #: the collective of the last completed call
        self.last_algorithm: str | None = None  #: the algorithm that ran in that call

    @property
    def rank(self) -> int:
        """This process's rank in the communicator."""
        return self._rank

    @property
    def size(self) -> int:
        """N, the number of ranks."""
        return self._size

    @property
    def mpi_comm(self) -> Any:
        """The private duplicate of the communicator given, which this object's messages use
        (for calling MPI directly in step with it; MPI's built-ins there keep to their own
        tags and never meet this package's messages)."""
        return self._comm

    def __repr__(self) -> str:
        return f"Communicator(rank={self._rank}, size={self._size})"

    @staticmethod
    def algorithms(collective: str) -> list[str]:
        """The algorithm names a collective takes (``mpi`` is MPI's built-in collective)."""
        return MPI_ALGORITHMS.names(collective)

    def free(self) -> None:
        """Free the private duplicate; the communicator cannot be used afterwards."""
        if self._comm != MPI.COMM_NULL and not MPI.Is_finalized():
            self._comm.Free()

    def __enter__(self) -> Communicator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    # -- traffic ------------------------------------------------------------------------------

    @contextmanager
    def record_traffic(self) -> Iterator[Communicator]:
        """Count the bytes this rank sends to each peer in the calls made inside the block
        (counts start from zero; MPI's built-in ``mpi`` algorithm sends nothing the transport
        sees, so it counts none)."""
        self._counter.start()
        try:
            yield self
        finally:
            self._counter.stop()

    def traffic_matrix(self) -> np.ndarray:
        """The N×N matrix of the last recording, on every rank: entry ``[i, j]`` is the bytes
        rank i sent to rank j. Collective: every rank must call it."""
        matrix = np.empty((self._size, self._size), dtype=np.int64)
        self._comm.Allgather([self._counter.sent, MPI.INT64_T], [matrix, MPI.INT64_T])
        return matrix

    # -- the collectives ----------------------------------------------------------------------

    def broadcast(self, buf: Any, root: int = 0, *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None,
                  segments: int = 1) -> np.ndarray:
        """Every rank gets the root's ``buf``: in place in ``buf`` (returned), or in ``out``."""
        root = as_root(root, "broadcast", self._size)
        is_root = self._rank == root
        if out is not None:
            source = as_input(buf, "broadcast", "buf") if is_root else None
            shape, dtype = (source.shape, source.dtype) if source is not None else (None, None)
            result = check_out(out, shape, dtype, "broadcast")
        elif is_root:
            source = result = as_input(buf, "broadcast", "buf")
        else:  # any writeable layout: a Fortran-ordered or strided buf receives through a copy
            source = None
            result = check_out(buf, None, None, "broadcast", "buf", contiguous=False)
        problem, name = self._plan("broadcast", result.shape, result.dtype, algorithm, root=root,
                                   segments=segments)
        if source is not None and source is not result:  # the root, out of place
            check_apart(result, source, "broadcast")
            work = flat(result)
            origin = self._source(problem, name, source, work)
        else:  # the root only reads; a strided or read-only buf travels from a C-ordered copy
            contiguous = result.flags.c_contiguous and result.flags.writeable
            work = origin = flat(result) if contiguous else np.array(result, order="C").reshape(-1)
        self._execute(problem, name, work, origin)
        if not is_root and not result.flags.c_contiguous:
            result[...] = work.reshape(result.shape)
        return result

    def scatter(self, x: Any = None, root: int = 0, *, algorithm: str | None = AUTO,
                out: np.ndarray | None = None,
                segments: int = 1) -> np.ndarray:
        """Rank i gets block i of the root's ``x`` (shape ``(N, *block)``)."""
        root = as_root(root, "scatter", self._size)
        if self._rank == root or x is not None:
            x = as_input(x, "scatter")
            block, dtype = block_shape_of("scatter", x.shape, self._size), x.dtype
        elif out is not None:
            check_out(out, None, None, "scatter")
            block, dtype = out.shape, out.dtype
        else:
            raise InvalidInputError(
                f"scatter expected, on rank {self._rank} (not the root), out= (the block's "
                "buffer) or an x shaped like the root's, got neither"
            )
        problem = Problem("scatter", self._size, block, dtype, root, segments=segments)
        name = self._algorithm(problem, algorithm)
        result = self._result(problem, out, x if self._rank == root else None)
        work = self._work_pool.take(problem.work_size, dtype)
        if self._rank == root:
            self._place(problem, x, work)
        self._execute(problem, name, work)
        return self._output(problem, work, result)

    def gather(self, x: Any, root: int = 0, *, algorithm: str | None = AUTO,
               out: np.ndarray | None = None,
               segments: int = 1) -> np.ndarray | None:
        """The root gets every rank's ``x`` stacked in rank order; None elsewhere."""
        root = as_root(root, "gather", self._size)
        x = as_input(x, "gather")
        problem = Problem("gather", self._size, x.shape, x.dtype, root, segments=segments)
        name = self._algorithm(problem, algorithm)
        if self._rank == root:
            result = self._result(problem, out, x)
            work = flat(result)
        else:
            result, work = None, self._work_pool.take(problem.work_size, x.dtype)
        self._place(problem, x, work)
        self._execute(problem, name, work)
        return result

    def reduce(self, x: Any, op: str | Op | Any = "sum", root: int = 0, *,
               algorithm: str | None = AUTO, out: np.ndarray | None = None,
               segments: int = 1) -> np.ndarray | None:
        """The root gets x0 ∘ x1 ∘ ... ∘ x(N-1); None elsewhere. ``out=x`` at the root is in
        place."""
        root = as_root(root, "reduce", self._size)
        x = as_input(x, "reduce")
        problem = Problem("reduce", self._size, x.shape, x.dtype, root, resolve_op(op),
                          segments=segments)
        name = self._algorithm(problem, algorithm)
        if self._rank == root:
            result = self._result(problem, out, x, in_place=True)
            work = flat(result)
            if not same_array(result, x):
                self._place(problem, x, work)
        else:
            result, work = None, self._work_pool.take(problem.work_size, x.dtype)
            self._place(problem, x, work)  # reduced into: a copy
        self._execute(problem, name, work)
        return result

    def allgather(self, x: Any, *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None,
                  segments: int = 1) -> np.ndarray:
        """Every rank gets every rank's ``x`` stacked in rank order."""
        x = as_input(x, "allgather")
        problem, name = self._plan("allgather", x.shape, x.dtype, algorithm, segments=segments)
        result = self._result(problem, out, x)
        work = flat(result)
        self._place(problem, x, work)
        self._execute(problem, name, work)
        return result

    def reduce_scatter(self, x: Any, op: str | Op | Any = "sum", *,
                       algorithm: str | None = AUTO, out: np.ndarray | None = None,
                       segments: int = 1) -> np.ndarray:
        """Rank j gets x0[j] ∘ x1[j] ∘ ... ∘ x(N-1)[j] (``x`` of shape ``(N, *block)``)."""
        x = as_input(x, "reduce_scatter")
        block = block_shape_of("reduce_scatter", x.shape, self._size)
        problem, name = self._plan("reduce_scatter", block, x.dtype, algorithm, op=op,
                                   segments=segments)
        result = self._result(problem, out, x)
        if wants_result(MPI_ALGORITHMS.get("reduce_scatter", name)):
            # works in the result array alone: no working buffer of N blocks, no copy out
            work = flat(result)
            self._execute(problem, name, work, self._source(problem, name, x, work))
            return result
        work = self._work_pool.take(problem.work_size, x.dtype)
        self._execute(problem, name, work, self._source(problem, name, x, work))
        return self._output(problem, work, result)

    def allreduce(self, x: Any, op: str | Op | Any = "sum", *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None,
                  segments: int = 1) -> np.ndarray:
        """Every rank gets x0 ∘ x1 ∘ ... ∘ x(N-1), bitwise the same everywhere. ``out=x`` is in
        place."""
        x = as_input(x, "allreduce")
        problem, name = self._plan("allreduce", x.shape, x.dtype, algorithm, op=op,
                                   segments=segments)
        result = self._result(problem, out, x, in_place=True)
        work = flat(result)
        source = work if _is_in_place(result, x) else self._source(problem, name, x, work)
        self._execute(problem, name, work, source)
        return result

    def alltoall(self, x: Any, *, algorithm: str | None = AUTO,
                 out: np.ndarray | None = None,
                 segments: int = 1) -> np.ndarray:
        """Rank j gets block j of every rank, stacked in rank order. ``out=x`` is in place."""
        x = as_input(x, "alltoall")
        block = block_shape_of("alltoall", x.shape, self._size)
        problem = Problem("alltoall", self._size, block, x.dtype, segments=segments)
        name = self._algorithm(problem, algorithm)
        result = self._result(problem, out, x, in_place=True)
        work = self._work_pool.take(problem.work_size, x.dtype)
        self._place(problem, x, work)
        self._execute(problem, name, work)
        return self._output(problem, work, result)

    # -- internals ----------------------------------------------------------------------------

    def _plan(self, collective: str, block: tuple[int, ...], dtype: np.dtype,
              algorithm: str | None, *, root: int = 0, op: Any = None,
              segments: int = 1) -> tuple[Problem, str]:
        """The call's Problem and the algorithm it runs, made and checked once per signature
        (small calls repeat a few, and making them costs more than a small message)."""
        key = (collective, block, dtype, root, op, segments, type(segments), algorithm)
        try:
            plan = self._plans.get(key)
        except TypeError:  # an op that cannot be hashed
            key, plan = None, None
        if plan is not None:
            self._check_usable()
            return plan
        problem = Problem(collective, self._size, block, dtype, root,
                          resolve_op(op) if collective in REDUCING else None, segments=segments)
        plan = problem, self._algorithm(problem, algorithm)
        if key is not None:
            if len(self._plans) >= _SIGNATURES_KEPT:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def _check_usable(self) -> None:
        """Refuse a call on a communicator whose earlier call failed midway."""
        if self._failure is not None:
            raise CollectivesError(
                f"expected a communicator whose calls all completed, got one whose call "
                f"{self._failure}; its private communicator may hold stray messages, so make a "
                "new Communicator"
            )

    def _algorithm(self, problem: Problem, algorithm: str | None) -> str:
        """The algorithm to run, checked against the problem before any message is sent."""
        self._check_usable()
        try:  # small calls repeat a few signatures: choose and check each once
            key: tuple[Problem, str | None] | None = (problem, algorithm)
            name = self._chosen.get(key)
        except TypeError:  # an op or algorithm that cannot be hashed
            key, name = None, None
        if name is not None:
            return name
        collective = problem.collective
        if algorithm is None or algorithm == AUTO:
            name = choose(collective, problem.nbytes, problem.ranks, problem.op)
        else:
            name = algorithm
        MPI_ALGORITHMS.get(collective, name)  # an unknown name lists the valid ones
        if name in CATALOGUE[collective]:
            check_supported(algorithm_info(collective, name), problem.op, problem.ranks,
                            problem.segments)
        elif name == BUILTIN:
            check_builtin(problem)
        if key is not None:
            if len(self._chosen) >= _SIGNATURES_KEPT:
                self._chosen.clear()
            self._chosen[key] = name
        return name

    def _result(self, problem: Problem, out: np.ndarray | None, x: np.ndarray | None, *,
                in_place: bool = False) -> np.ndarray:
        """The array that receives this rank's result: ``out`` (checked) or a new one."""
        shape = problem.output_shape(self._rank)
        assert shape is not None  # only called on ranks that get a result
        if out is None:
            return np.empty(shape, dtype=problem.dtype)
        check_out(out, shape, problem.dtype, problem.collective)
        if x is not None and not (in_place and _is_in_place(out, x)):
            check_apart(out, x, problem.collective)
        return out

    def _place(self, problem: Problem, x: np.ndarray, work: np.ndarray) -> None:
        """Put this rank's input where the working-buffer layout says."""
        values = x.reshape(-1)  # a copy only when x is a strided view
        for in_start, work_start, length in problem.placements(self._rank):
            work[work_start:work_start + length] = values[in_start:in_start + length]

    def _source(self, problem: Problem, name: str, x: np.ndarray, work: np.ndarray) -> np.ndarray:
        """This rank's flat input for an out-of-place call: ``x`` itself where the algorithm
        reads it there (copied only when strided), else ``work`` with ``x`` placed in it."""
        if wants_source(MPI_ALGORITHMS.get(problem.collective, name)):
            return np.ascontiguousarray(x).reshape(-1)
        self._place(problem, x, work)
        return work

    def _output(self, problem: Problem, work: np.ndarray, result: np.ndarray) -> np.ndarray:
        """Copy this rank's result out of the working buffer."""
        span = problem.output_span(self._rank)
        assert span is not None
        flat(result)[...] = work[span[0]:span[1]]
        return result

    def _execute(self, problem: Problem, name: str, work: np.ndarray,
                 source: np.ndarray | None = None) -> None:
        """Run algorithm ``name`` on this rank's working buffer (and its input, ``source``,
        where that is not ``work``)."""
        try:  # one transport per call signature, made once
            key: tuple[Problem, str] | None = (problem, name)
            transport = self._transports.get(key)
        except TypeError:  # an op that cannot be hashed
            key, transport = None, None
        if transport is None:
            signature = CallSignature(  # ranks that disagree on S disagree on the call
                problem.collective,
                name if problem.segments == 1 else f"{name}/S{problem.segments}",
                problem.dtype, problem.count,
                problem.root if problem.collective in ROOTED else None,
                problem.op.name if problem.op is not None else None,
            )
            transport = Transport(self._comm, signature, self._counter, patient=self._crowded)
            if key is not None:
                if len(self._transports) >= _SIGNATURES_KEPT:
                    self._transports.clear()
                self._transports[key] = transport
        signature = transport.signature
        call = Call(problem, self._rank, work, transport, self._comm, self._pool,
                    work if source is None else source)
        try:
            MPI_ALGORITHMS.get(problem.collective, name)(call)
        except BaseException as error:
            self._failure = f"{signature.describe()} failed: {error}"
            raise
        self.last_collective, self.last_algorithm = problem.collective, name


def _crowded(comm: MPI.Intracomm) -> bool:
    """True when this rank's node runs more of the communicator's ranks than this process may
    use cores (collective: every rank calls it once)."""
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        return node.Get_size() > len(os.sched_getaffinity(0))
    finally:
        node.Free()


def _is_in_place(out: np.ndarray, x: np.ndarray) -> bool:
    """``same_array(out, x)``, answered at once for arrays that share no memory (most calls)."""
    return out is x or (np.may_share_memory(out, x) and same_array(out, x))
