"""One simulated rank's communicator: :class:`collectives.mpi.Communicator`'s API on the world.

The eight collectives take the MPI side's arguments and give its results: the same shapes
(blocks along the first axis), ``out=`` and in-place rules, ``root=``, ``op=``, ``segments=``,
``group_size=`` (all-reduce, reduce-scatter, all-gather; a ``hierarchical`` network's G without it),
``algorithm=`` (``auto`` by default, chosen by the same policy, :mod:`collectives.choice`),
``rank``, ``size``, ``last_collective`` and ``last_algorithm``, and the same errors for bad input,
raised on the rank that gave it before it meets the others (the checks are the MPI side's own,
:mod:`collectives.buffers`). What differs:

- the collective runs on the simulator (:mod:`collectives.sim.world`): MPI's built-in ``mpi``
  algorithm does not exist here and is refused, naming the algorithms that do;
- ranks that disagree on a call raise :class:`~collectives.errors.MismatchError` on every rank,
  naming each rank's call, instead of failing on a message's tag;
- ``compute``, ``measure`` and ``phase`` (:mod:`collectives.clock`) advance this rank's simulated
  clock and label its calls, and ``clock`` reads it;
- ``mpi_comm`` has no MPI communicator to give, and ``free()`` has nothing to free.

Cost per call on top of the collective: the MPI side's argument checks (cached per call shape)
and one meeting of the rank threads.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from collectives.buffers import as_input, as_root, check_apart, check_out, flat, same_array
from collectives.catalogue import REDUCING, algorithm_info, check_supported
from collectives.choice import AUTO, choose_among
from collectives.clock import ClockCalls, checked_label, checked_seconds
from collectives.errors import CollectivesError, InvalidInputError, UnsupportedError
from collectives.ops import Op, resolve_op
from collectives.sim.engine import network_group_size
from collectives.sim.registry import SIM_ALGORITHMS
from collectives.sim.rendezvous import PeerFailed
from collectives.sim.world_calls import (
    TRAFFIC_REQUEST,
    Request,
    collective_request,
    describe,
    from_root_request,
)
from collectives.spec import Problem, block_shape_of

if TYPE_CHECKING:
    from collectives.sim.world import WorldRun

# The MPI side's name for MPI's built-in collective, which the simulator does not have.
_BUILTIN = "mpi"

# Plans kept per call shape (small calls repeat the same few), as on the MPI side.
_SIGNATURES_KEPT = 64

Method = TypeVar("Method", bound=Callable[..., Any])


def _world_call(method: Method) -> Method:
    """Count the CPU time this rank's thread spends in the call (which ``measure`` leaves
    out)."""
    @functools.wraps(method)
    def counted(self: WorldCommunicator, *args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return method(self, *args, **kwargs)
        finally:
            self._cpu_in_calls += time.thread_time() - started

    return counted  # type: ignore[return-value]


class WorldCommunicator(ClockCalls):
    """Rank ``rank`` of a running simulated world (made by :class:`collectives.sim.world.World`
    for each rank's program)."""

    def __init__(self, run: WorldRun, rank: int) -> None:
        self._run = run
        self._rank = rank
        self._size = run.ranks
        self._phase: str | None = None
        self._cpu_in_calls = 0.0  #: CPU seconds this rank's thread spent in world calls
        self._plans: dict[tuple[Any, ...], tuple[Problem, str]] = {}
        self._failure: str | None = None
        self.last_collective: str | None = None  #: the collective of the last completed call
        self.last_algorithm: str | None = None  #: the algorithm that ran in that call

    @property
    def rank(self) -> int:
        """This rank's number, 0..N-1."""
        return self._rank

    @property
    def size(self) -> int:
        """N, the number of simulated ranks."""
        return self._size

    @property
    def clock(self) -> float:
        """This rank's simulated time so far, in seconds."""
        return float(self._run.clock[self._rank])

    @property
    def mpi_comm(self) -> Any:
        """Refused: a simulated rank has no MPI communicator."""
        raise CollectivesError("expected a communicator over MPI for mpi_comm, got a simulated "
                               f"rank ({self!r}); run under mpiexec for MPI calls")

    def __repr__(self) -> str:
        return f"WorldCommunicator(rank={self._rank}, size={self._size})"

    @staticmethod
    def algorithms(collective: str) -> list[str]:
        """The algorithm names a collective takes here (the simulator's)."""
        return SIM_ALGORITHMS.names(collective)

    def free(self) -> None:
        """Nothing to free (the MPI side frees its private communicator)."""

    def __enter__(self) -> WorldCommunicator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    # -- the clock ----------------------------------------------------------------------------

    def compute(self, seconds: float, label: str = "compute") -> None:
        """This rank computed for ``seconds``: its clock moves on by them."""
        self._run.advance(self._rank, checked_seconds(seconds), self._labelled(label))

    @contextmanager
    def measure(self, scale: float = 1.0, label: str = "compute") -> Iterator[None]:
        """The block is computation: its CPU time in this rank's thread (``time.thread_time``, so
        the other ranks' threads running meanwhile do not count), times ``scale``, is added to
        this rank's clock when it ends. Collectives inside the block are not computation: the
        CPU time of the calls (their checks and copies, and running the collective for every
        rank when this rank arrives last) is left out, and the computation is put after them."""
        scale = checked_seconds(scale, "scale")
        name = self._labelled(label)
        started, in_calls = time.thread_time(), self._cpu_in_calls
        yield
        spent = time.thread_time() - started - (self._cpu_in_calls - in_calls)
        self._run.advance(self._rank, max(spent, 0.0) * scale, name)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Calls inside the block are made in phase ``name``: every rank's call must be in the
        same phase, and the records and trace show it."""
        outer, self._phase = self._phase, checked_label(name, "a phase name")
        try:
            yield
        finally:
            self._phase = outer

    def _labelled(self, label: str) -> str:
        checked_label(label)
        return label if self._phase is None else f"{self._phase}/{label}"

    # -- traffic ------------------------------------------------------------------------------

    @contextmanager
    def record_traffic(self) -> Iterator[WorldCommunicator]:
        """Count the bytes this rank sends to each peer in the calls made inside the block
        (counts start from zero)."""
        self._run.start_recording(self._rank)
        try:
            yield self
        finally:
            self._run.recording[self._rank] = False

    @_world_call
    def traffic_matrix(self) -> np.ndarray:
        """The N×N matrix of the last recording, on every rank: entry ``[i, j]`` is the bytes
        rank i sent to rank j. Collective: every rank must call it."""
        return self._meet(TRAFFIC_REQUEST)

    # -- the collectives ----------------------------------------------------------------------

    @_world_call
    def broadcast(self, buf: Any = None, root: int = 0, *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None, segments: int = 1) -> np.ndarray:
        """Every rank gets the root's ``buf``: in place in ``buf`` (returned), or in ``out``, or
        (``buf=None`` off the root) in a new array shaped as the root's."""
        root = as_root(root, "broadcast", self._size)
        is_root = self._rank == root
        if out is not None:
            source = as_input(buf, "broadcast", "buf") if is_root else None
            shape, dtype = (source.shape, source.dtype) if source is not None else (None, None)
            result = check_out(out, shape, dtype, "broadcast")
        elif is_root:
            source = result = as_input(buf, "broadcast", "buf")
        elif buf is None:  # the shape and dtype come from the root as the ranks meet
            problem, output = self._call_from_root("broadcast", algorithm, root, segments)
            return output.reshape(problem.block_shape)
        else:  # any writeable layout, as on the MPI side
            source = None
            result = check_out(buf, None, None, "broadcast", "buf", contiguous=False)
        problem, name = self._plan("broadcast", result.shape, result.dtype, algorithm,
                                   root=root, segments=segments)
        if source is not None and source is not result:
            check_apart(result, source, "broadcast")
        output = self._call(problem, name, algorithm, source)
        if source is not result:  # the root in place keeps its buf as it is
            result[...] = output.reshape(result.shape)
        return result

    @_world_call
    def scatter(self, x: Any = None, root: int = 0, *, algorithm: str | None = AUTO,
                out: np.ndarray | None = None, segments: int = 1) -> np.ndarray:
        """Rank i gets block i of the root's ``x`` (shape ``(N, *block)``)."""
        root = as_root(root, "scatter", self._size)
        if self._rank == root or x is not None:
            x = as_input(x, "scatter")
            block, dtype = block_shape_of("scatter", x.shape, self._size), x.dtype
        elif out is not None:
            check_out(out, None, None, "scatter")
            block, dtype = out.shape, out.dtype
        else:  # the block's shape and dtype come from the root as the ranks meet
            problem, output = self._call_from_root("scatter", algorithm, root, segments)
            return output.reshape(problem.block_shape)
        problem = Problem("scatter", self._size, block, dtype, root, segments=segments)
        name = self._algorithm(problem, algorithm)
        source = x if self._rank == root else None
        result = self._result(problem, out, source)
        flat(result)[...] = self._call(problem, name, algorithm, source)
        return result

    @_world_call
    def gather(self, x: Any, root: int = 0, *, algorithm: str | None = AUTO,
               out: np.ndarray | None = None, segments: int = 1) -> np.ndarray | None:
        """The root gets every rank's ``x`` stacked in rank order; None elsewhere."""
        root = as_root(root, "gather", self._size)
        x = as_input(x, "gather")
        problem = Problem("gather", self._size, x.shape, x.dtype, root, segments=segments)
        name = self._algorithm(problem, algorithm)
        result = self._result(problem, out, x) if self._rank == root else None
        output = self._call(problem, name, algorithm, x)
        if result is not None:
            flat(result)[...] = output
        return result

    @_world_call
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
        result = (self._result(problem, out, x, in_place=True) if self._rank == root
                  else None)
        output = self._call(problem, name, algorithm, x)
        if result is not None:
            flat(result)[...] = output
        return result

    @_world_call
    def allgather(self, x: Any, *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None, segments: int = 1,
                  group_size: int | None = None) -> np.ndarray:
        """Every rank gets every rank's ``x`` stacked in rank order."""
        x = as_input(x, "allgather")
        problem, name = self._plan("allgather", x.shape, x.dtype, algorithm, segments=segments,
                                   group_size=group_size)
        result = self._result(problem, out, x)
        flat(result)[...] = self._call(problem, name, algorithm, x)
        return result

    @_world_call
    def reduce_scatter(self, x: Any, op: str | Op | Any = "sum", *,
                       algorithm: str | None = AUTO, out: np.ndarray | None = None,
                       segments: int = 1, group_size: int | None = None) -> np.ndarray:
        """Rank j gets x0[j] ∘ x1[j] ∘ ... ∘ x(N-1)[j] (``x`` of shape ``(N, *block)``)."""
        x = as_input(x, "reduce_scatter")
        block = block_shape_of("reduce_scatter", x.shape, self._size)
        problem, name = self._plan("reduce_scatter", block, x.dtype, algorithm, op=op,
                                   segments=segments, group_size=group_size)
        result = self._result(problem, out, x)
        flat(result)[...] = self._call(problem, name, algorithm, x)
        return result

    @_world_call
    def allreduce(self, x: Any, op: str | Op | Any = "sum", *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None, segments: int = 1,
                  group_size: int | None = None) -> np.ndarray:
        """Every rank gets x0 ∘ x1 ∘ ... ∘ x(N-1), bitwise the same everywhere. ``out=x`` is in
        place."""
        x = as_input(x, "allreduce")
        problem, name = self._plan("allreduce", x.shape, x.dtype, algorithm, op=op,
                                   segments=segments, group_size=group_size)
        result = self._result(problem, out, x, in_place=True)
        flat(result)[...] = self._call(problem, name, algorithm, x)
        return result

    @_world_call
    def alltoall(self, x: Any, *, algorithm: str | None = AUTO,
                 out: np.ndarray | None = None, segments: int = 1) -> np.ndarray:
        """Rank j gets block j of every rank, stacked in rank order. ``out=x`` is in place."""
        x = as_input(x, "alltoall")
        block = block_shape_of("alltoall", x.shape, self._size)
        problem = Problem("alltoall", self._size, block, x.dtype, segments=segments)
        name = self._algorithm(problem, algorithm)
        result = self._result(problem, out, x, in_place=True)
        flat(result)[...] = self._call(problem, name, algorithm, x)
        return result

    # -- internals ----------------------------------------------------------------------------

    def _plan(self, collective: str, block: tuple[int, ...], dtype: np.dtype,
              algorithm: str | None, *, root: int = 0, op: Any = None,
              segments: int = 1, group_size: int | None = None) -> tuple[Problem, str]:
        """The call's Problem and algorithm, made and checked once per call shape; the group
        size is ``group_size``, else a ``hierarchical`` network's."""
        key = (collective, block, dtype, root, op, segments, type(segments), algorithm,
               group_size, type(group_size))
        try:
            plan = self._plans.get(key)
            hashable = True
        except TypeError:  # an op or algorithm that cannot be hashed
            plan, hashable = None, False
        if plan is not None:
            self._check_usable()
            return plan
        problem = Problem(collective, self._size, block, dtype, root,
                          resolve_op(op) if collective in REDUCING else None, segments=segments,
                          group_size=network_group_size(self._run.world.network, group_size,
                                                        self._size))
        plan = problem, self._algorithm(problem, algorithm)
        if hashable:
            if len(self._plans) >= _SIGNATURES_KEPT:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def _check_usable(self) -> None:
        """Refuse a call after one that failed, as the MPI side does."""
        if self._failure is not None:
            raise CollectivesError(
                f"expected a communicator whose calls all completed, got one whose call "
                f"{self._failure}; the ranks no longer agree on where they are"
            )

    def _algorithm(self, problem: Problem, algorithm: str | None) -> str:
        """The algorithm to run (``auto`` resolved as on the MPI side), checked against the
        problem before the rank meets the others."""
        self._check_usable()
        collective = problem.collective
        registered = SIM_ALGORITHMS.names(collective)
        if algorithm is None or algorithm == AUTO:
            return choose_among(collective, problem.nbytes, problem.ranks, problem.op,
                                registered, problem.group_size)
        if algorithm == _BUILTIN:
            raise UnsupportedError(
                f"expected one of the simulator's {collective} algorithms "
                f"({', '.join(registered)}) or 'auto', got 'mpi' (MPI's built-in collective, "
                "which runs only under mpiexec)"
            )
        SIM_ALGORITHMS.get(collective, algorithm)  # an unknown name lists the valid ones
        check_supported(algorithm_info(collective, algorithm), problem.op, problem.ranks,
                        problem.segments, problem.group_size)
        return algorithm

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

    def _call(self, problem: Problem, name: str, asked: str | None,
              x: np.ndarray | None) -> np.ndarray:
        """Meet the other ranks for this collective; this rank's flat output (None on ranks
        that get none)."""
        data = None if x is None else np.ascontiguousarray(x).reshape(-1)
        request = collective_request(problem, name, asked, self._phase, data)
        try:
            output = self._meet(request)
        except PeerFailed:
            raise
        except BaseException as error:
            self._failure = f"{describe(request.signature)} failed: {error}"
            raise
        self.last_collective, self.last_algorithm = problem.collective, name
        return output

    def _call_from_root(self, collective: str, algorithm: str | None, root: int,
                        segments: int) -> tuple[Problem, np.ndarray]:
        """Meet the other ranks for a broadcast or scatter to which this rank (not the root)
        brings no buffer: the root's problem and this rank's flat output."""
        self._check_usable()
        asked = None if algorithm is None or algorithm == AUTO else algorithm
        if asked is not None:
            SIM_ALGORITHMS.get(collective, asked)  # an unknown name lists the valid ones
        if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
            raise InvalidInputError(f"expected segments, an integer >= 1, got {segments!r}")
        request = from_root_request(collective, asked, root, segments, self._phase,
                                    network_group_size(self._run.world.network, None,
                                                       self._size))
        try:
            problem, name, output = self._meet(request)
        except PeerFailed:
            raise
        except BaseException as error:
            self._failure = f"{describe(request.signature)} failed: {error}"
            raise
        self.last_collective, self.last_algorithm = collective, name
        return problem, output

    def _meet(self, request: Request) -> Any:
        """Meet the other ranks with ``request``."""
        return self._run.meeting.meet(self._rank, request)


def _is_in_place(out: np.ndarray, x: np.ndarray) -> bool:
    """``same_array(out, x)``, answered at once for arrays that share no memory (most calls)."""
    return out is x or (np.may_share_memory(out, x) and same_array(out, x))
