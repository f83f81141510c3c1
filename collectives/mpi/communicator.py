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
  alone. Off the root ``buf`` may be None: the result is then a new array of the root's shape
  and dtype, as the ranks agree on the call.
- ``allreduce(x, out=x)``: ``x`` is overwritten with the result on every rank; no buffer of
  the whole size is allocated (ring's scratch is at most one chunk, K/N bytes). Out of place,
  ring reads ``x`` where it is and writes each element of ``out`` once: ``x`` is not copied.
- ``reduce(x, out=x)``: at the root ``x`` is overwritten with the result; other ranks reduce
  into a copy and leave their ``x`` alone (``out`` is ignored on them).
- ``alltoall(x, out=x)``: afterwards ``x`` holds the result; the exchange itself works on a
  temporary copy, since a block is sent after others have arrived.

``scatter`` on a rank other than the root takes ``x=None`` (the block's shape and dtype come
from the root), ``out=`` (its block's buffer), or an ``x`` shaped like the root's (whose values
are not read). ``gather`` ignores ``out`` on ranks other than the root.

``algorithm="auto"`` (the default) runs the algorithm :func:`collectives.mpi.auto.choose`
picks for the collective, the message size and N: a latency algorithm for small messages, the
ring for large ones, one that keeps rank order for a non-commutative op. Scratch memory is
reused from call to call (reduce-scatter's working buffer too), so a loop of calls allocates
nothing after the first.

``segments=S`` cuts the data into S pieces for an algorithm that pipelines (the catalogue's
``pipelines``); every other algorithm refuses S > 1, naming those that can.

``group_size=G`` (all-reduce, reduce-scatter, all-gather) tells the ``hierarchical`` algorithms
that nodes hold G consecutive ranks; without it they take the nodes ``Split_type`` found when
the communicator was made (:mod:`collectives.mpi.nodes`). In several nodes, given or found,
``auto`` runs ``hierarchical`` for a large all-reduce.

Every call runs on a private duplicate of the communicator made once (``comm.Dup()``), so its
messages never match the caller's own. Every call starts with the ranks agreeing on it
(:mod:`collectives.mpi.agreement`, one small built-in collective): input one rank refuses raises
on every rank, naming that rank and why; ranks that disagree on the collective, root, algorithm,
op, count, dtype, segments or group size raise :class:`MismatchError` on every rank, naming
what differs.
Either way no message of the call was sent and the communicator takes the next call. Every wait
ends in :class:`DeadlineError` after ``deadline`` seconds (300 by default), naming the call and
the peer, so a rank that left a call midway cannot leave the others waiting for ever; the
communicator then refuses further calls. Run scripts as
``mpiexec -n N python -m mpi4py script.py`` so one rank's uncaught exception aborts the whole
job at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import numpy as np
from mpi4py import MPI

from collectives.call_front import CallFront
from collectives.errors import DeadlineError, InvalidInputError
from collectives.mpi.agreement import TRAFFIC_MATRIX, Agreement, Terms
from collectives.mpi.auto import AUTO, LARGE, choose
from collectives.mpi.buffers import flat
from collectives.mpi.call import Call, ScratchPool
from collectives.mpi.deadline import DEFAULT_DEADLINE, check_deadline, poll
from collectives.mpi.nodes import survey
from collectives.mpi.plan import Plan, make_plan
from collectives.mpi.registry import MPI_ALGORITHMS
from collectives.mpi.transport import TrafficCounter
from collectives.ops import Op
from collectives.spec import Problem

# What ``algorithm="auto"`` (the default) runs for large messages; :mod:`collectives.mpi.auto`
# chooses by collective, size in bytes, N and op.
DEFAULT_ALGORITHMS: dict[str, str] = LARGE


def default_algorithm(collective: str, op: Op | None = None, *, nbytes: int, size: int) -> str:
    """The algorithm a call runs when it names none (``auto``): see
    :func:`collectives.mpi.auto.choose`."""
    return choose(collective, nbytes, size, op)


class Communicator(CallFront[Plan]):
    """The collectives of this package on a private duplicate of an mpi4py intracommunicator
    (with :mod:`collectives.clock`'s ``compute``, ``measure`` and ``phase``, which do nothing
    here but check their arguments). The arguments of each call are checked and planned by
    :class:`collectives.call_front.CallFront`; this class agrees on the call and runs it."""

    _ALGORITHMS = MPI_ALGORITHMS
    _BROKEN = "its private communicator may hold stray messages, so make a new Communicator"

    def __init__(self, comm: MPI.Intracomm, *, deadline: float = DEFAULT_DEADLINE) -> None:
        if not isinstance(comm, MPI.Intracomm) or comm == MPI.COMM_NULL:
            raise InvalidInputError(
                f"expected an mpi4py intracommunicator, got {comm!r}"
            )
        self._deadline = check_deadline(deadline)
        self._comm: MPI.Intracomm = comm.Dup()
        self._comm.Set_errhandler(MPI.ERRORS_RETURN)  # MPI errors raise MPI.Exception
        super().__init__(self._comm.Get_rank(), self._comm.Get_size())
        self._nodes = survey(self._comm)  # Split_type: which ranks share a node
        self._crowded = self._nodes.crowded  # more ranks on this node than cores: wait yielding
        self._agreement = Agreement(self._comm, self._deadline, patient=self._crowded)
        self._traffic_fields = TRAFFIC_MATRIX.fields()
        self._counter = TrafficCounter(self._size)
        self._pool = ScratchPool()
        # the working buffer of the collectives that cannot work in the caller's arrays
        # (scatter, gather and reduce off the root, reduce-scatter, all-to-all), reused call to
        # call so a loop of calls maps and faults in no fresh pages
        self._work_pool = ScratchPool()

    @property
    def mpi_comm(self) -> Any:
        """The private duplicate of the communicator given, which this object's messages use
        (for calling MPI directly in step with it; MPI's built-ins there keep to their own
        tags and never meet this package's messages)."""
        return self._comm

    @property
    def deadline(self) -> float:
        """Seconds any wait of a call may last before it raises DeadlineError."""
        return self._deadline

    def free(self) -> None:
        """Free the private duplicate; the communicator takes no call afterwards."""
        if self._comm != MPI.COMM_NULL and not MPI.Is_finalized():
            self._comm.Free()
        super().free()

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
        rank i sent to rank j. Collective: every rank must call it, within the deadline."""
        self._check_usable()
        self._agree_on(self._traffic_fields, TRAFFIC_MATRIX, "traffic_matrix")
        matrix = np.empty((self._size, self._size), dtype=np.int64)
        request = self._comm.Iallgather([self._counter.sent, MPI.INT64_T],
                                        [matrix, MPI.INT64_T])
        if not poll(request.Test, self._deadline, patient=self._crowded):
            self._failure = "traffic_matrix did not complete"
            self._agreement.unfinished = request  # kept with its buffers, as a round's
            raise DeadlineError(
                f"traffic_matrix expected every rank's row within {self._deadline:g} s, got "
                "some that did not: a rank left the call"
            )
        return matrix

    # -- the collectives ----------------------------------------------------------------------

    def broadcast(self, buf: Any = None, root: int = 0, *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None,
                  segments: int = 1) -> np.ndarray:
        """Every rank gets the root's ``buf``: in place in ``buf`` (returned), or in ``out``, or
        (``buf=None`` off the root) in a new array shaped as the root's."""
        try:
            root, plan, x, result, in_place = self._broadcast_front(buf, root, algorithm, out,
                                                                    segments)
        except Exception as error:
            self._refuse("broadcast", error)
        if plan is None:  # the shape and dtype come from the root
            plan = self._plan_from_root("broadcast", algorithm, root, segments)
            result = np.empty(plan.problem.block_shape, dtype=plan.problem.dtype)
        else:
            self._agree(plan)
        if x is not None and not in_place:  # the root's out=
            work = flat(result)
            self._execute(plan, work, self._source(plan, x, work))
            return result
        # the root only reads (a strided or read-only buf travels from a copy); another rank
        # with a buf of any writeable layout receives through a C-ordered copy
        contiguous = result.flags.c_contiguous and result.flags.writeable
        work = flat(result) if contiguous else np.array(result, order="C").reshape(-1)
        self._execute(plan, work)
        if x is None and not result.flags.c_contiguous:
            result[...] = work.reshape(result.shape)
        return result

    def scatter(self, x: Any = None, root: int = 0, *, algorithm: str | None = AUTO,
                out: np.ndarray | None = None,
                segments: int = 1) -> np.ndarray:
        """Rank i gets block i of the root's ``x`` (shape ``(N, *block)``)."""
        try:
            root, plan, x, result, _ = self._scatter_front(x, root, algorithm, out, segments)
        except Exception as error:
            self._refuse("scatter", error)
        if plan is None:  # the block's shape and dtype come from the root
            plan = self._plan_from_root("scatter", algorithm, root, segments)
            result = np.empty(plan.problem.block_shape, dtype=plan.problem.dtype)
        else:
            self._agree(plan)
        work = self._work_pool.take(plan.problem.work_size, plan.problem.dtype)
        if x is not None:  # the root
            self._place(plan.problem, x, work)
        self._execute(plan, work)
        return self._output(plan.problem, work, result)

    def gather(self, x: Any, root: int = 0, *, algorithm: str | None = AUTO,
               out: np.ndarray | None = None,
               segments: int = 1) -> np.ndarray | None:
        """The root gets every rank's ``x`` stacked in rank order; None elsewhere."""
        plan, x, result, _ = self._agreed("gather", x, algorithm, out, segments, root)
        return self._to_root(plan, x, result, False)

    def reduce(self, x: Any, op: str | Op | Any = "sum", root: int = 0, *,
               algorithm: str | None = AUTO, out: np.ndarray | None = None,
               segments: int = 1) -> np.ndarray | None:
        """The root gets x0 ∘ x1 ∘ ... ∘ x(N-1); None elsewhere. ``out=x`` at the root is in
        place."""
        plan, x, result, in_place = self._agreed("reduce", x, algorithm, out, segments, root, op)
        return self._to_root(plan, x, result, in_place)

    def allgather(self, x: Any, *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None,
                  segments: int = 1, group_size: int | None = None) -> np.ndarray:
        """Every rank gets every rank's ``x`` stacked in rank order."""
        plan, x, result, _ = self._agreed("allgather", x, algorithm, out, segments,
                                          group_size=group_size)
        work = flat(result)
        self._place(plan.problem, x, work)
        self._execute(plan, work)
        return result

    def reduce_scatter(self, x: Any, op: str | Op | Any = "sum", *,
                       algorithm: str | None = AUTO, out: np.ndarray | None = None,
                       segments: int = 1, group_size: int | None = None) -> np.ndarray:
        """Rank j gets x0[j] ∘ x1[j] ∘ ... ∘ x(N-1)[j] (``x`` of shape ``(N, *block)``)."""
        plan, x, result, _ = self._agreed("reduce_scatter", x, algorithm, out, segments, op=op,
                                          group_size=group_size)
        # works in the result array alone: no working buffer of N blocks, no copy out
        work = flat(result) if plan.works_in_result else \
            self._work_pool.take(plan.problem.work_size, x.dtype)
        self._execute(plan, work, self._source(plan, x, work))
        return result if plan.works_in_result else self._output(plan.problem, work, result)

    def allreduce(self, x: Any, op: str | Op | Any = "sum", *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None,
                  segments: int = 1, group_size: int | None = None) -> np.ndarray:
        """Every rank gets x0 ∘ x1 ∘ ... ∘ x(N-1), bitwise the same everywhere (with ``mpi``,
        as MPI's all-reduce gives it: a max of -0.0 and 0.0 may differ by rank). ``out=x`` is in
        place."""
        plan, x, result, in_place = self._agreed("allreduce", x, algorithm, out, segments, op=op,
                                                 group_size=group_size)
        work = flat(result)
        self._execute(plan, work, work if in_place else self._source(plan, x, work))
        return result

    def alltoall(self, x: Any, *, algorithm: str | None = AUTO,
                 out: np.ndarray | None = None,
                 segments: int = 1) -> np.ndarray:
        """Rank j gets block j of every rank, stacked in rank order. ``out=x`` is in place."""
        plan, x, result, _ = self._agreed("alltoall", x, algorithm, out, segments)
        work = self._work_pool.take(plan.problem.work_size, x.dtype)
        self._place(plan.problem, x, work)  # a block is sent after others have arrived
        self._execute(plan, work)
        return self._output(plan.problem, work, result)

    # -- internals ----------------------------------------------------------------------------

    def _new_plan(self, problem: Problem, algorithm: str | None) -> Plan:
        """The plan of a call: its algorithm checked, its transport, the fields agreed on."""
        return make_plan(problem, algorithm, self._comm, self._counter, patient=self._crowded,
                         deadline=self._deadline, nodes=self._nodes)

    def _plan_from_root(self, collective: str, algorithm: str | None, root: int,
                        segments: int) -> Plan:
        """The plan of a call in which this rank does not know the block (broadcast or scatter
        off the root, with no buffer): the ranks agree on the root's block, dtype and the
        algorithm it runs, or every rank raises."""
        asked = None if algorithm is None or algorithm == AUTO else algorithm
        terms = self._settle(collective, Terms(collective, asked, root, None, None, None,
                                               segments))
        assert terms.block is not None and terms.dtype is not None
        return self._plan(collective, terms.block, terms.dtype, terms.algorithm, root=root,
                          segments=segments)[0]

    def _agreed(self, collective: str, x: Any, algorithm: str | None, out: Any, segments: int,
                root: Any = 0, op: Any = None, group_size: int | None = None
                ) -> tuple[Plan, np.ndarray, np.ndarray | None, bool]:
        """The front end's plan, input, result and in-place flag for a collective every rank
        brings ``x`` to, once the ranks agree on the call; or every rank raises."""
        try:
            front = self._front(collective, x, algorithm, out, segments, root, op, group_size)
        except Exception as error:
            self._refuse(collective, error)
        self._agree(front[0])
        return front

    def _agree(self, plan: Plan) -> None:
        """The ranks agree on the call (one round), or every rank raises the same error."""
        self._agree_on(plan.fields, plan.terms, plan.transport.signature)

    def _agree_on(self, fields: np.ndarray, terms: Terms, call: object) -> None:
        """The ranks agree on the call of ``terms`` (one round of its ``fields``), or every rank
        raises the same error; ``str(call)`` names the call in a DeadlineError."""
        try:
            agreed = self._agreement.check(fields, call)
        except DeadlineError as error:
            self._failure = f"{call} failed: {error}"
            raise
        if not agreed:
            self._agreement.settle(terms.collective, terms)

    def _settle(self, collective: str, terms: Terms | None,
                error: BaseException | None = None) -> Terms:
        """A round that cannot agree at once (this rank refused its input or does not know its
        call's fields), then the error every rank raises or the terms they agree on."""
        try:
            self._agreement.check(self._agreement.not_ready, collective)
        except DeadlineError as deadline:
            self._failure = f"{collective} failed: {deadline}"
            raise
        return self._agreement.settle(collective, terms, error)

    def _refuse(self, collective: str, error: Exception) -> NoReturn:
        """This rank refused its input: every rank raises, naming it and why (a freed
        communicator has no round to run: each rank raises its own error)."""
        if self.freed:
            raise error
        self._settle(collective, None, error)
        raise AssertionError("unreachable: settle raises when a rank refused")  # pragma: no cover

    def _to_root(self, plan: Plan, x: np.ndarray, result: np.ndarray | None,
                 in_place: bool) -> np.ndarray | None:
        """Run a gather or reduce: the root works in its result array, every other rank in a
        working buffer (reduced into: a copy of its ``x``)."""
        work = self._work_pool.take(plan.problem.work_size, x.dtype) if result is None \
            else flat(result)
        if not in_place:
            self._place(plan.problem, x, work)
        self._execute(plan, work)
        return result

    def _place(self, problem: Problem, x: np.ndarray, work: np.ndarray) -> None:
        """Put this rank's input where the working-buffer layout says."""
        values = x.reshape(-1)  # a copy only when x is a strided view
        for in_start, work_start, length in problem.placements(self._rank):
            work[work_start:work_start + length] = values[in_start:in_start + length]

    def _source(self, plan: Plan, x: np.ndarray, work: np.ndarray) -> np.ndarray:
        """This rank's flat input for an out-of-place call: ``x`` itself where the algorithm
        reads it there (copied only when strided), else ``work`` with ``x`` placed in it."""
        if plan.reads_source:
            return np.ascontiguousarray(x).reshape(-1)
        self._place(plan.problem, x, work)
        return work

    def _output(self, problem: Problem, work: np.ndarray, result: np.ndarray) -> np.ndarray:
        """Copy this rank's result out of the working buffer."""
        span = problem.output_span(self._rank)
        assert span is not None
        flat(result)[...] = work[span[0]:span[1]]
        return result

    def _execute(self, plan: Plan, work: np.ndarray, source: np.ndarray | None = None) -> None:
        """Run the plan's algorithm on this rank's working buffer (and its input, ``source``,
        where that is not ``work``)."""
        call = Call(plan.problem, self._rank, work, plan.transport, self._comm, self._pool,
                    work if source is None else source)
        try:
            plan.run(call)
        except BaseException as error:  # the transport keeps the call's requests and buffers
            self._failure = f"{plan.transport.signature.describe()} failed: {error}"
            raise
        plan.transport.complete_call()
        self.last_collective, self.last_algorithm = plan.problem.collective, plan.name
