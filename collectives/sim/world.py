"""A simulated world: N ranks run a per-rank program in one process, with MPI's API and a clock.

    >>> from collectives.sim.world import run_world
    >>> from collectives.sim.network import fully_connected
    >>> def program(comm, x):
    ...     comm.compute(1e-3)                          # this rank computed for 1 ms
    ...     return comm.allreduce(x * comm.rank, algorithm="ring")
    >>> world = run_world(program, 8, np.ones(1024), network=fully_connected(8))
    >>> world.results[3]                                # rank 3's return value
    >>> world.calls[0].algorithm, world.calls[0].end    # 'ring', when it ended on the clock
    >>> world.compute, world.wait, world.communicate    # seconds per rank
    >>> world.write_chrome_trace("world.json")          # open it in Perfetto

``program(comm, *args, **kwargs)`` runs once per rank, each in its own thread; ``comm`` is a
:class:`~collectives.sim.world_comm.WorldCommunicator`, whose collectives take the arguments
and give the results of :class:`collectives.mpi.Communicator`, so the same program runs under
``mpiexec`` with the real one (:func:`collectives.world.communicator` hands each its own).
The ranks share one process: a module-level array is one array for all of them.

**Collectives.** A rank's k-th call meets every other rank's k-th call
(:mod:`collectives.sim.rendezvous`); they must agree on it (:mod:`collectives.sim.world_calls`),
and the last to arrive runs it for all. The first call of each signature runs through the
simulator's engine (:class:`~collectives.sim.engine.Simulation`: every step-model check, bytes,
traffic, the time on the network); later ones replay the engine's steps on the new data
(:mod:`collectives.sim.replay`, ``replay=False`` runs the engine every time). Results are the
engine's bits.

**Clock.** Every rank has a simulated clock from 0. ``comm.compute(seconds)`` and
``with comm.measure(scale=s):`` (the block's CPU time × s) move it on. A collective starts when
its last rank arrives (each rank waits from its own arrival to then) and lasts the simulator's
time for the call on ``network`` (``time_model``: ``"flow"``, :meth:`SimResult.flow_time`, the
default; ``"dataflow"``; or ``"step"``, the sum of step times); every rank leaves it at its end.
Without a network collectives take no time. A rank's time splits into computing, waiting and
communicating.

**Failures are loud.** Ranks that disagree on a call raise
:class:`~collectives.errors.MismatchError` on every rank, naming each rank's call; a rank that
raises unwinds every other at its next (or current) call, and :meth:`World.run` re-raises the
error of the lowest failing rank; a rank that returns meets the others once more, so a rank
still calling a collective fails instead of waiting. Only a rank that never calls again (an
endless loop) can hang the world.

Cost per call: one meeting of N threads (a thread switch per waiting rank) and a replay (a few
numpy calls per step); the first call of a signature costs a full engine run (and its flow
time). Plans are kept per World, 64 signatures at most. The run's records, :class:`CallRecord`
and :class:`WorldResult`, are in :mod:`collectives.sim.world_result`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from collectives.call_front import SignatureCache
from collectives.errors import InvalidInputError, MismatchError
from collectives.ops import Op
from collectives.sim.engine import SimResult, Simulation
from collectives.sim.network import Network
from collectives.sim.rendezvous import Meeting, PeerFailed, Raise
from collectives.sim.replay import Replay
from collectives.sim.world_calls import (
    FINISHED,
    FINISHED_REQUEST,
    TRAFFIC,
    Request,
    mismatch_message,
    settle_from_root,
)
from collectives.sim.world_comm import WorldCommunicator
from collectives.sim.world_result import CallRecord, WorldResult
from collectives.spec import Problem

TIME_MODELS: tuple[str, ...] = ("flow", "dataflow", "step")

_local = threading.local()


def current_communicator() -> WorldCommunicator | None:
    """The communicator of the simulated rank running in this thread, or None outside a world."""
    return getattr(_local, "comm", None)


@dataclass(frozen=True)
class _Plan:
    """A call signature's engine run, replay and time (and the figures every call records)."""

    sim: SimResult
    replay: Replay | None
    seconds: float
    nbytes: int
    bytes_sent: int
    steps: int
    traffic: np.ndarray  #: N×N bytes of one call


class World:
    """``ranks`` simulated ranks, collectives on ``network`` (untimed without one) timed by
    ``time_model``; ``replay=False`` runs every call through the engine."""

    def __init__(self, ranks: int, *, network: Network | None = None, time_model: str = "flow",
                 replay: bool = True) -> None:
        if isinstance(ranks, bool) or not isinstance(ranks, (int, np.integer)) or ranks < 1:
            raise InvalidInputError(f"expected ranks, an integer >= 1, got {ranks!r}")
        if network is not None and network.ranks != ranks:
            raise InvalidInputError(f"expected a network of {ranks} ranks, got one of "
                                    f"{network.ranks}: {network.describe()}")
        if time_model not in TIME_MODELS:
            raise InvalidInputError(f"expected a time model, one of {', '.join(TIME_MODELS)}; "
                                    f"got {time_model!r}")
        self.ranks = int(ranks)
        self.network = network
        self.time_model = time_model
        self.replay = replay
        self._plans: SignatureCache[_Plan] = SignatureCache()  #: 64 signatures at the most
        self._running = threading.Lock()

    def __repr__(self) -> str:
        where = "" if self.network is None else f" on {self.network.describe()}"
        return f"World({self.ranks} ranks{where})"

    def run(self, program: Callable[..., Any], *args: Any, **kwargs: Any) -> WorldResult:
        """Run ``program(comm, *args, **kwargs)`` on every rank; the world's result, or the
        lowest failing rank's error raised again."""
        if not self._running.acquire(blocking=False):
            raise InvalidInputError("expected a world that is not running, got one already "
                                    "running a program; make another World")
        try:
            run = WorldRun(self)
            return run.finish(run.start(program, args, kwargs))
        finally:
            self._running.release()

    def execute(self, problem: Problem, algorithm: str, requests: Sequence[Request],
             op: Op | None) -> tuple[_Plan, list[np.ndarray | None]]:
        """Run one call: the plan of its signature and its outputs (flat, per rank), from the
        engine the first time (timed, then compiled into a replay), from the replay after.
        Called by the run's meeting, one call at a time."""
        p = problem
        key = (p.collective, p.count, p.dtype, p.root, None if op is None else op.name,
               None if op is None else op.commutative, p.segments, algorithm, p.group_size)
        plan = self._plans.get(key)
        if plan is not None and plan.replay is not None:
            buffers = plan.replay.run([request.data for request in requests], op)
            return plan, [None if (span := p.output_span(rank)) is None
                          else buffers[rank, span[0]:span[1]] for rank in range(p.ranks)]
        flat = replace(p, block_shape=(p.count,))  # ranks may shape the same count apart
        inputs = [None if request.data is None or not p.has_input(rank)
                  else request.data.reshape(flat.input_shape(rank))
                  for rank, request in enumerate(requests)]
        first = plan is None  # timed on the network, its steps kept for the replay
        sim = Simulation(p.collective, inputs, algorithm=algorithm, op=op or "sum", root=p.root,
                         network=self.network if first else None, segments=p.segments,
                         group_size=p.group_size, keep_transfers=first).run()
        assert sim.outputs is not None
        outputs = [None if output is None else output.reshape(-1) for output in sim.outputs]
        if plan is None:
            steps = [record.transfers for record in sim.steps if record.transfers is not None]
            replay = Replay(p, steps) if self.replay else None
            plan = _Plan(replace(sim, outputs=None), replay, self._seconds(sim), p.nbytes,
                         sim.total_bytes, sim.num_steps, sim.traffic)
            self._plans.keep(key, plan)
        return plan, outputs

    def _seconds(self, sim: SimResult) -> float:
        if self.network is None:
            return 0.0
        if self.time_model == "flow":
            return sim.flow_time()
        value = sim.dataflow_time if self.time_model == "dataflow" else sim.time
        assert value is not None
        return float(value)


class WorldRun:
    """One run of a world's program: the meeting, the clocks, the records (what the rank
    threads share)."""

    def __init__(self, world: World) -> None:
        n = self.ranks = world.ranks
        self.world = world
        self.meeting = Meeting(n, self._serve)
        self.clock = np.zeros(n)
        self.compute = np.zeros(n)
        self.wait = np.zeros(n)
        self.communicate = np.zeros(n)
        self.recording = [False] * n
        self.recorded = np.zeros((n, n), dtype=np.int64)
        self.computations: list[list[tuple[float, float, str]]] = [[] for _ in range(n)]
        self.calls: list[CallRecord] = []
        self._uses: dict[int, list[Any]] = {}  #: id(plan) -> [plan, calls made with it]
        self._meetings = 0

    # -- called by the ranks' threads ---------------------------------------------------------

    def advance(self, rank: int, seconds: float, label: str) -> None:
        """Rank ``rank`` computed for ``seconds`` (recorded unless 0)."""
        self.meeting.check()
        if seconds:
            start = self.clock[rank]
            self.clock[rank] = start + seconds
            self.compute[rank] += seconds
            self.computations[rank].append((float(start), seconds, label))

    def start_recording(self, rank: int) -> None:
        """Count rank ``rank``'s bytes from zero."""
        self.recorded[rank] = 0
        self.recording[rank] = True

    # -- the run ------------------------------------------------------------------------------

    def start(self, program: Callable[..., Any], args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> tuple[list[Any], list[BaseException | None]]:
        """Run every rank's thread to its end; (results, errors) by rank."""
        n = self.ranks
        results: list[Any] = [None] * n
        errors: list[BaseException | None] = [None] * n

        def body(rank: int) -> None:
            comm = WorldCommunicator(self, rank)
            _local.comm = comm
            try:
                results[rank] = program(comm, *args, **kwargs)
                self.meeting.meet(rank, FINISHED_REQUEST)
            except PeerFailed:
                pass
            except BaseException as error:  # raised again by World.run
                errors[rank] = error
                self.meeting.abort()
            finally:
                _local.comm = None

        threads = [threading.Thread(target=body, args=(rank,), name=f"world-rank-{rank}",
                                    daemon=True) for rank in range(n)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException:  # ^C in the caller: unwind the ranks at their next call
            self.meeting.abort()
            raise
        return results, errors

    def finish(self, outcome: tuple[list[Any], list[BaseException | None]]) -> WorldResult:
        """The world's result, or the lowest failing rank's error."""
        results, errors = outcome
        for rank, error in enumerate(errors):
            if error is not None:
                if hasattr(error, "add_note"):
                    error.add_note(f"(raised on rank {rank} of a simulated world of "
                                   f"{self.ranks} ranks)")
                raise error
        return WorldResult(self.ranks, self.world.network, self.world.time_model, results,
                           self.calls, self.clock, self.compute, self.wait, self.communicate,
                           self._traffic(), self.computations)

    def _traffic(self) -> np.ndarray:
        """The traffic of every call: each signature's times its calls."""
        traffic = np.zeros((self.ranks, self.ranks), dtype=np.int64)
        for plan, calls in self._uses.values():
            traffic += plan.traffic * calls
        return traffic

    def _serve(self, requests: list[Request]) -> list[Any]:
        """The outcome of one meeting for every rank (run by the last rank to arrive)."""
        index, self._meetings = self._meetings, self._meetings + 1
        requests = settle_from_root(requests)
        signature = requests[0].signature
        if any(request.signature != signature for request in requests):
            message = mismatch_message(index, [request.signature for request in requests])
            return [Raise(MismatchError(message)) for _ in requests]
        kind = requests[0].kind
        if kind == FINISHED:
            return [None] * self.ranks
        if kind == TRAFFIC:
            return [self.recorded.copy() for _ in requests]
        return self._collective(requests)

    def _collective(self, requests: list[Request]) -> list[Any]:
        """Run the call every rank made; each rank's flat output (with the problem and algorithm,
        for a rank that brought no buffer and learns them from the root)."""
        first = next(request for request in requests if not request.learns)
        problem, algorithm = first.problem, first.signature[2]
        assert problem is not None
        plan, outputs = self.world.execute(problem, algorithm, requests, first.op)
        learned = [(problem, algorithm, output) if request.learns else output
                   for request, output in zip(requests, outputs, strict=True)]
        arrivals = self.clock.copy()
        start = float(arrivals.max())
        end = start + plan.seconds
        self.wait += start - arrivals
        self.communicate += plan.seconds
        self.clock.fill(end)
        uses = self._uses.setdefault(id(plan), [plan, 0])
        uses[1] += 1
        if any(self.recording):
            for rank, recording in enumerate(self.recording):
                if recording:
                    self.recorded[rank] += plan.traffic[rank]
        self.calls.append(CallRecord(
            len(self.calls), problem.collective, algorithm, first.asked, problem.count,
            problem.dtype, first.signature[5], plan.sim.op, problem.segments,
            first.signature[8], plan.nbytes, plan.bytes_sent, plan.steps, start, end, arrivals,
            plan.sim))
        return learned


def run_world(program: Callable[..., Any], ranks: int, *args: Any,
              network: Network | None = None, time_model: str = "flow", replay: bool = True,
              **kwargs: Any) -> WorldResult:
    """Run ``program(comm, *args, **kwargs)`` on ``ranks`` simulated ranks (see the module
    docstring); the world's result."""
    return World(ranks, network=network, time_model=time_model, replay=replay).run(
        program, *args, **kwargs)
