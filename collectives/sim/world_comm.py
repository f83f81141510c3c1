"""One simulated rank's communicator: :class:`collectives.mpi.Communicator`'s API on the world.

The eight collectives take the MPI side's arguments and give its results: the same shapes
(blocks along the first axis), ``out=`` and in-place rules, ``root=``, ``op=``, ``segments=``,
``group_size=`` (all-reduce, reduce-scatter, all-gather; a ``hierarchical`` network's G without it),
``algorithm=`` (``auto`` by default, chosen by the same policy, :mod:`collectives.choice`),
``rank``, ``size``, ``last_collective`` and ``last_algorithm``, and the same errors for bad input,
raised on the rank that gave it before it meets the others (the checks and the per-signature
plans are the MPI side's own, :mod:`collectives.call_front`). What differs:

- the collective runs on the simulator (:mod:`collectives.sim.world`): MPI's built-in ``mpi``
  algorithm does not exist here and is refused, naming the algorithms that do;
- ranks that disagree on a call raise :class:`~collectives.errors.MismatchError` on every rank,
  naming each rank's call, instead of failing on a message's tag;
- ``compute``, ``measure`` and ``phase`` (:mod:`collectives.clock`) advance this rank's simulated
  clock and label its calls, and ``clock`` reads it;
- ``mpi_comm`` has no MPI communicator to give, and ``free()`` has nothing to free.

Cost per call on top of the collective: the MPI side's argument checks (planned once per call
signature) and one meeting of the rank threads.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from collectives.buffers import flat
from collectives.call_front import CallFront
from collectives.catalogue import algorithm_info, check_supported
from collectives.choice import AUTO, choose_among
from collectives.clock import checked_label, checked_seconds
from collectives.errors import CollectivesError, UnsupportedError
from collectives.ops import Op
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
from collectives.spec import Problem, checked_segments

if TYPE_CHECKING:
    from collectives.sim.world import WorldRun

# The MPI side's name for MPI's built-in collective, which the simulator does not have.
_BUILTIN = "mpi"

# A call's plan in the world: its problem and the algorithm that runs it.
WorldPlan = tuple[Problem, str]

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


class WorldCommunicator(CallFront[WorldPlan]):
    """Rank ``rank`` of a running simulated world (made by :class:`collectives.sim.world.World`
    for each rank's program). The arguments of each call are checked and planned by
    :class:`collectives.call_front.CallFront`; this class meets the other ranks."""

    _ALGORITHMS = SIM_ALGORITHMS
    _BROKEN = "the ranks no longer agree on where they are"

    def __init__(self, run: WorldRun, rank: int) -> None:
        super().__init__(rank, run.ranks, network_group_size(run.world.network, None, run.ranks))
        self._run = run
        self._phase: str | None = None
        self._cpu_in_calls = 0.0  #: CPU seconds this rank's thread spent in world calls

    @property
    def clock(self) -> float:
        """This rank's simulated time so far, in seconds."""
        return float(self._run.clock[self._rank])

    @property
    def mpi_comm(self) -> Any:
        """Refused: a simulated rank has no MPI communicator."""
        raise CollectivesError("expected a communicator over MPI for mpi_comm, got a simulated "
                               f"rank ({self!r}); run under mpiexec for MPI calls")

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
        self._check_usable()
        return self._meet(TRAFFIC_REQUEST)

    # -- the collectives ----------------------------------------------------------------------

    @_world_call
    def broadcast(self, buf: Any = None, root: int = 0, *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None, segments: int = 1) -> np.ndarray:
        """Every rank gets the root's ``buf``: in place in ``buf`` (returned), or in ``out``, or
        (``buf=None`` off the root) in a new array shaped as the root's."""
        root, plan, x, result, in_place = self._broadcast_front(buf, root, algorithm, out,
                                                                segments)
        if plan is None:  # the shape and dtype come from the root
            return self._call_from_root("broadcast", algorithm, root, segments)
        output = self._call(plan, algorithm, x)
        if not in_place:  # the root in place keeps its buf as it is
            result[...] = output.reshape(result.shape)
        return result

    @_world_call
    def scatter(self, x: Any = None, root: int = 0, *, algorithm: str | None = AUTO,
                out: np.ndarray | None = None, segments: int = 1) -> np.ndarray:
        """Rank i gets block i of the root's ``x`` (shape ``(N, *block)``)."""
        root, plan, x, result, _ = self._scatter_front(x, root, algorithm, out, segments)
        if plan is None:  # the block's shape and dtype come from the root
            return self._call_from_root("scatter", algorithm, root, segments)
        return self._call_into(plan, algorithm, x, result)

    @_world_call
    def gather(self, x: Any, root: int = 0, *, algorithm: str | None = AUTO,
               out: np.ndarray | None = None, segments: int = 1) -> np.ndarray | None:
        """The root gets every rank's ``x`` stacked in rank order; None elsewhere."""
        plan, x, result, _ = self._front("gather", x, algorithm, out, segments, root)
        return self._call_into(plan, algorithm, x, result)

    @_world_call
    def reduce(self, x: Any, op: str | Op | Any = "sum", root: int = 0, *,
               algorithm: str | None = AUTO, out: np.ndarray | None = None,
               segments: int = 1) -> np.ndarray | None:
        """The root gets x0 ∘ x1 ∘ ... ∘ x(N-1); None elsewhere. ``out=x`` at the root is in
        place."""
        plan, x, result, _ = self._front("reduce", x, algorithm, out, segments, root, op)
        return self._call_into(plan, algorithm, x, result)

    @_world_call
    def allgather(self, x: Any, *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None, segments: int = 1,
                  group_size: int | None = None) -> np.ndarray:
        """Every rank gets every rank's ``x`` stacked in rank order."""
        plan, x, result, _ = self._front("allgather", x, algorithm, out, segments,
                                         group_size=group_size)
        return self._call_into(plan, algorithm, x, result)

    @_world_call
    def reduce_scatter(self, x: Any, op: str | Op | Any = "sum", *,
                       algorithm: str | None = AUTO, out: np.ndarray | None = None,
                       segments: int = 1, group_size: int | None = None) -> np.ndarray:
        """Rank j gets x0[j] ∘ x1[j] ∘ ... ∘ x(N-1)[j] (``x`` of shape ``(N, *block)``)."""
        plan, x, result, _ = self._front("reduce_scatter", x, algorithm, out, segments,
                                         op=op, group_size=group_size)
        return self._call_into(plan, algorithm, x, result)

    @_world_call
    def allreduce(self, x: Any, op: str | Op | Any = "sum", *, algorithm: str | None = AUTO,
                  out: np.ndarray | None = None, segments: int = 1,
                  group_size: int | None = None) -> np.ndarray:
        """Every rank gets x0 ∘ x1 ∘ ... ∘ x(N-1), bitwise the same everywhere. ``out=x`` is in
        place."""
        plan, x, result, _ = self._front("allreduce", x, algorithm, out, segments, op=op,
                                         group_size=group_size)
        return self._call_into(plan, algorithm, x, result)

    @_world_call
    def alltoall(self, x: Any, *, algorithm: str | None = AUTO,
                 out: np.ndarray | None = None, segments: int = 1) -> np.ndarray:
        """Rank j gets block j of every rank, stacked in rank order. ``out=x`` is in place."""
        plan, x, result, _ = self._front("alltoall", x, algorithm, out, segments)
        return self._call_into(plan, algorithm, x, result)

    # -- internals ----------------------------------------------------------------------------

    def _new_plan(self, problem: Problem, algorithm: str | None) -> WorldPlan:
        """The problem and the algorithm to run (``auto`` resolved as on the MPI side), checked
        against the problem before the rank meets the others."""
        collective = problem.collective
        registered = SIM_ALGORITHMS.names(collective)
        if algorithm is None or algorithm == AUTO:
            return problem, choose_among(collective, problem.nbytes, problem.ranks, problem.op,
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
        return problem, algorithm

    def _call_into(self, plan: WorldPlan, asked: str | None, x: np.ndarray | None,
                   result: np.ndarray | None) -> Any:
        """Meet the other ranks for this collective; ``result`` holding this rank's output
        (None on ranks that get none)."""
        output = self._call(plan, asked, x)
        if result is not None:
            flat(result)[...] = output
        return result

    def _call(self, plan: WorldPlan, asked: str | None, x: np.ndarray | None) -> np.ndarray:
        """Meet the other ranks for this collective; this rank's flat output (None on ranks
        that get none)."""
        problem, name = plan
        data = None if x is None else np.ascontiguousarray(x).reshape(-1)
        output = self._meet_for_call(collective_request(problem, name, asked, self._phase, data))
        self.last_collective, self.last_algorithm = problem.collective, name
        return output

    def _call_from_root(self, collective: str, algorithm: str | None, root: int,
                        segments: int) -> np.ndarray:
        """Meet the other ranks for a broadcast or scatter to which this rank (not the root)
        brings no buffer: a new array of the root's block shape holding its result."""
        asked = None if algorithm is None or algorithm == AUTO else algorithm
        problem, name, output = self._meet_for_call(from_root_request(
            collective, asked, root, checked_segments(segments), self._phase,
            self._default_group_size))
        self.last_collective, self.last_algorithm = collective, name
        return output.reshape(problem.block_shape)

    def _meet_for_call(self, request: Request) -> Any:
        """Meet the other ranks for a collective; a failure other than a peer's leaves this
        communicator refusing further calls."""
        try:
            return self._meet(request)
        except PeerFailed:
            raise
        except BaseException as error:
            self._failure = f"{describe(request.signature)} failed: {error}"
            raise

    def _meet(self, request: Request) -> Any:
        """Meet the other ranks with ``request``."""
        return self._run.meeting.meet(self._rank, request)
