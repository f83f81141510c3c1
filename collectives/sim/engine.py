"""The step engine: runs a schedule on N virtual ranks, one step at a time, counting bytes.

Step model (the reference's): in one step each rank sends to at most one peer and receives from
at most one peer, at once. Before it runs, a step that breaks it, reads outside a buffer, or
writes one element twice is rejected (:mod:`collectives.sim.step_checks`). A step has
simultaneous semantics: every transfer reads its source before any transfer of the step writes.

Three modes: data (numpy buffers, the result compared with numpy's answer), provenance (each
element also records which inputs, at which positions, went into it and how many times, and the
collective's postcondition is checked at the end: :mod:`collectives.sim.provenance`), and
count-only (no data at all, for large N).

Stepping follows SimPy: :meth:`Simulation.step` executes one step and returns what moved (a
:class:`~collectives.sim.result.StepRecord`), :meth:`Simulation.run` loops to the end and returns
the :class:`~collectives.sim.result.SimResult`; :func:`simulate` builds and runs one in a call.
Options not given take the defaults of :mod:`collectives.sim.defaults`.

It assumes a schedule, registered or custom, that yields :class:`~collectives.sim.schedule.Step`
objects for the :class:`~collectives.spec.Problem` it is given; a registered algorithm is first
checked against the catalogue (op, N, S, G).

Costs: memory grows with N per step, not N²: the bytes between ranks are kept for the pairs that
talk (:mod:`collectives.sim.pairs`), and a run whose estimated footprint cannot fit is refused
before it starts (:mod:`collectives.sim.memory`). A step of T transfers costs O(T) numpy work to
check, count and, in data mode, move (provenance moves N · inputs cells per element). Given a
:class:`~collectives.sim.network.Network`, every step is also timed (:mod:`collectives.sim.timing`
defines the step time): the result then has the run's ``time``, each step's duration and the
bytes each link carried. Without one, nothing is timed.

The result record, the defaults and the limits are re-exported here, so every name of the
simulator's front door imports from ``collectives.sim.engine``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from collectives.catalogue import REDUCING, algorithm_info, check_supported
from collectives.errors import CollectivesError, InvalidInputError, ScheduleError
from collectives.ops import Op, resolve_op
from collectives.partition import chunk_offsets
from collectives.sim import memory
from collectives.sim.defaults import KEEP_TRANSFERS_RANKS, keeps_transfers, network_group_size
from collectives.sim.network import Network
from collectives.sim.pairs import PairTraffic
from collectives.sim.provenance import (
    PROVENANCE_CELL_LIMIT,
    add_counts,
    check_tracks,
    initial_tracks,
)
from collectives.sim.registry import SIM_ALGORITHMS, ScheduleBuilder
from collectives.sim.result import JSON_MATRIX_RANKS, SimResult, StepRecord
from collectives.sim.schedule import Action, Step
from collectives.sim.step_checks import Crossing, check_step
from collectives.sim.timing import advance_ranks, pair_link_usage, time_step
from collectives.spec import (
    Problem,
    as_dtype,
    expected_outputs,
    problem_from_inputs,
    results_match,
)

__all__ = ["JSON_MATRIX_RANKS", "KEEP_TRANSFERS_RANKS", "PROVENANCE_CELL_LIMIT", "SimResult",
           "Simulation", "StepRecord", "keeps_transfers", "network_group_size", "simulate"]

_END = object()  # what next() gives when a schedule has no more steps (None is a wrong step)


class Simulation:
    """A collective on N virtual ranks, run step by step.

    ``inputs[i]`` is rank i's input (None for ranks that bring no data, such as non-roots of
    broadcast and scatter). Use :meth:`count_only` to count steps and bytes without data.

    ``schedule``, a function from the :class:`Problem` to an iterable of steps, runs a schedule
    of your own through the same checks; ``algorithm`` is then only the name the result reports,
    and the schedule is taken to keep rank order and to work for any N.

    ``segments`` (S) cuts the data into S pieces for an algorithm that pipelines (the catalogue's
    ``pipelines``); any other algorithm refuses S > 1. ``group_size`` (G) is the ranks per node
    of a hierarchical algorithm: a ``hierarchical`` network's when not given, else one node.
    """

    def __init__(self, collective: str, inputs: Sequence[np.ndarray | None], *,
                 algorithm: str, op: str | Op | Any = "sum", root: int = 0,
                 provenance: bool = False, keep_transfers: bool | None = None,
                 schedule: ScheduleBuilder | None = None, network: Network | None = None,
                 segments: int = 1, group_size: int | None = None) -> None:
        resolved = resolve_op(op) if collective in REDUCING else None
        problem = problem_from_inputs(collective, inputs, root=root, op=resolved,
                                      segments=segments,
                                      group_size=network_group_size(network, group_size,
                                                                    len(inputs)))
        self._setup(problem, algorithm, keep_transfers, schedule, network, data=True,
                    provenance=provenance)
        self._inputs = [None if x is None else np.array(x, order="C").reshape(-1)
                        for x in inputs]  # a copy: changing an input later changes no answer
        self._work: list[np.ndarray] | None = []
        for rank in range(problem.ranks):
            work = np.zeros(problem.work_size, dtype=problem.dtype)
            x = self._inputs[rank] if problem.has_input(rank) else None
            for in_start, work_start, length in problem.placements(rank):
                assert x is not None
                work[work_start:work_start + length] = x[in_start:in_start + length]
            self._work.append(work)
        self._provenance = initial_tracks(problem) if provenance else None

    @classmethod
    def count_only(cls, collective: str, *, ranks: int, count: int,
                   dtype: np.dtype | str = "float32", algorithm: str,
                   op: str | Op | Any = "sum", root: int = 0,
                   keep_transfers: bool | None = None,
                   schedule: ScheduleBuilder | None = None,
                   network: Network | None = None, segments: int = 1,
                   group_size: int | None = None) -> Simulation:
        """A simulation that moves no data and only counts steps and bytes."""
        self = cls.__new__(cls)
        resolved = resolve_op(op) if collective in REDUCING else None
        problem = Problem(collective, ranks, (count,), as_dtype(dtype), root, resolved, segments,
                          network_group_size(network, group_size, ranks))
        self._setup(problem, algorithm, keep_transfers, schedule, network, data=False)
        self._inputs, self._work, self._provenance = None, None, None
        return self

    def _setup(self, problem: Problem, algorithm: str, keep_transfers: bool | None,
               schedule: ScheduleBuilder | None, network: Network | None = None, *,
               data: bool, provenance: bool = False) -> None:
        registered = schedule is None
        if schedule is None:  # a registered algorithm; a custom one may do anything
            info = algorithm_info(problem.collective, algorithm)
            check_supported(info, problem.op, problem.ranks, problem.segments,
                            problem.group_size)
            schedule = SIM_ALGORITHMS.get(problem.collective, algorithm)
        self.problem = problem
        self.algorithm = algorithm
        self._keep = keeps_transfers(problem.ranks, keep_transfers)
        n = problem.ranks
        if network is not None and network.ranks != n:
            raise InvalidInputError(f"expected a network of {n} ranks, got one of "
                                    f"{network.ranks}: {network.describe()}")
        self._expected_steps = memory.check_run(problem, algorithm if registered else None,
                                                data=data, provenance=provenance,
                                                keep_transfers=self._keep)
        self._network = network
        self._records: list[StepRecord] = []
        self._traffic = PairTraffic(n)
        self._ready = np.zeros(n)  # each rank's finishing time so far, without step barriers
        steps = schedule(problem)
        try:
            self._schedule: Iterator[Step] = iter(steps)
        except TypeError:
            raise ScheduleError(f"expected the schedule to return an iterable of Steps, got "
                                f"{type(steps).__name__}") from None
        self._pending: Step | None = self._next_step()

    def __repr__(self) -> str:
        if not hasattr(self, "_provenance"):  # the constructor failed half-way
            return f"<{type(self).__name__}, not set up>"
        p = self.problem
        mode = ("count-only" if self._work is None
                else "provenance" if self._provenance is not None else "data")
        return (f"<Simulation {p.collective} {self.algorithm!r}: N={p.ranks}, count={p.count} "
                f"{p.dtype}, {mode}, {self.steps_done} steps run"
                f"{', done' if self.done else ''}>")

    # -- inspection ---------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once every step has run."""
        return self._pending is None

    @property
    def expected_steps(self) -> int | None:
        """Steps the reference's cost table gives this run; None for a custom schedule or an
        algorithm the table lacks."""
        return self._expected_steps

    @property
    def steps_done(self) -> int:
        """Steps executed so far."""
        return len(self._records)

    @property
    def bytes_sent(self) -> np.ndarray:
        """Bytes each rank has sent so far (the result's ``bytes_sent`` at the end)."""
        return self._traffic.sent()

    @property
    def buffers(self) -> list[np.ndarray]:
        """Each rank's flat working buffer as it is now (read-only views)."""
        if self._work is None:
            raise CollectivesError("a count-only simulation has no buffers")
        views = []
        for work in self._work:
            view = work.view()
            view.flags.writeable = False
            views.append(view)
        return views

    def provenance(self, rank: int) -> np.ndarray:
        """``P[e, i, q]``: how many times input ``q`` of rank ``i`` went into element ``e`` of
        ``rank``'s working buffer so far (provenance mode only)."""
        if self._provenance is None:
            raise CollectivesError("provenance was not tracked; pass provenance=True")
        return self._provenance[rank].copy()

    def chunks(self, rank: int, parts: int | None = None) -> list[np.ndarray]:
        """``rank``'s working buffer cut into ``parts`` chunks (N by default) the way the ring
        algorithms cut it, for printing."""
        buffer = self.buffers[rank]
        offsets = chunk_offsets(len(buffer), self.problem.ranks if parts is None else parts)
        return [buffer[start:stop] for start, stop in itertools.pairwise(offsets)]

    def contributors(self, rank: int) -> list[tuple[int, ...]]:
        """For each element of ``rank``'s working buffer, the ranks whose inputs went into it so
        far (provenance mode only)."""
        went_in = self.provenance(rank).any(axis=2)
        return [tuple(int(i) for i in np.flatnonzero(row)) for row in went_in]

    # -- stepping -----------------------------------------------------------------------------

    def step(self) -> StepRecord:
        """Execute the next step and return what it moved."""
        if self._pending is None:
            raise CollectivesError(
                f"the simulation has finished: all {len(self._records)} steps have run"
            )
        step, index = self._pending, len(self._records)
        remote = check_step(step, index, self.problem.ranks, self.problem.work_size)
        if self._work is not None:
            self._move(step, self._work, self._reduce)
        if self._provenance is not None:
            self._move(step, self._provenance, add_counts)
        record = self._count(step, index, remote)
        self._records.append(record)
        self._pending = self._next_step()
        return record

    def run(self) -> SimResult:
        """Execute every remaining step and return the result."""
        while not self.done:
            self.step()
        return self.result()

    def result(self) -> SimResult:
        """The result of a finished run; checks provenance and compares with numpy."""
        if not self.done:
            raise CollectivesError(
                f"expected a finished simulation, got one after step {len(self._records)}; "
                "call run()"
            )
        p = self.problem
        outputs = verified = None
        if self._work is not None:
            outputs = [self._output(rank) for rank in range(p.ranks)]
            expected = expected_outputs(p, [self._shaped_input(r) for r in range(p.ranks)])
            verified = all(results_match(got, want, p.ranks)
                           for got, want in zip(outputs, expected, strict=True))
        if self._provenance is not None:
            check_tracks(p, self.algorithm, self._provenance)
        return SimResult(
            collective=p.collective, algorithm=self.algorithm, ranks=p.ranks, count=p.count,
            dtype=p.dtype, root=p.root, op=p.op.name if p.op else None, outputs=outputs,
            steps=list(self._records), bytes_sent=self._traffic.sent(),
            bytes_received=self._traffic.received(), pairs=self._traffic.copy(),
            verified=verified, provenance_checked=self._provenance is not None,
            segments=p.segments, group_size=p.group_size, **self._timing_result(),
        )

    def _timing_result(self) -> dict[str, Any]:
        if self._network is None:
            return {}
        durations = np.array([record.duration for record in self._records], dtype=float)
        return {"time": float(durations.sum()), "step_times": durations,
                "dataflow_time": float(self._ready.max(initial=0.0)),
                "links": pair_link_usage(self._network, *self._traffic.pairs())}

    # -- internals ----------------------------------------------------------------------------

    def _next_step(self) -> Step | None:
        step = next(self._schedule, _END)
        if step is _END:
            return None
        if not isinstance(step, Step):
            raise ScheduleError(f"step {len(self._records)}: expected the schedule to yield a "
                                f"Step, got {type(step).__name__}")
        return step

    def _shaped_input(self, rank: int) -> np.ndarray | None:
        shape = self.problem.input_shape(rank)
        assert self._inputs is not None
        x = self._inputs[rank]
        return None if shape is None or x is None else x.reshape(shape)

    def _output(self, rank: int) -> np.ndarray | None:
        span, shape = self.problem.output_span(rank), self.problem.output_shape(rank)
        if span is None or shape is None:
            return None
        assert self._work is not None
        return self._work[rank][span[0]:span[1]].reshape(shape).copy()

    def _reduce(self, target: np.ndarray, incoming: np.ndarray, source_first: bool) -> None:
        assert self.problem.op is not None
        self.problem.op.reduce_into(target, incoming, operand_first=source_first)

    @staticmethod
    def _move(step: Step, buffers: list[np.ndarray], reduce) -> None:
        """Apply a step to ``buffers`` with simultaneous semantics."""
        reads = [buffers[s][start:start + length].copy()
                 for s, start, length in zip(step.src, step.src_start, step.length, strict=True)]
        for data, dst, start, action in zip(reads, step.dst, step.dst_start, step.action,
                                            strict=True):
            target = buffers[dst][start:start + len(data)]
            if action == Action.COPY:
                target[...] = data
            else:
                reduce(target, data, action == Action.REDUCE_SOURCE_FIRST)

    def _count(self, step: Step, index: int, crossing: Crossing) -> StepRecord:
        nbytes = crossing.length * self.problem.itemsize
        self._traffic.add(crossing.src, crossing.dst, nbytes)
        # check_step allowed one destination per sender, so one message each
        messages = len(crossing.src) if crossing.ascending else len(np.unique(crossing.src))
        timing = (None if self._network is None
                  else time_step(self._network, step, self.problem.itemsize))
        if timing is not None:
            self._ready = advance_ranks(self._ready, timing)
        return StepRecord(index=index, label=step.label, messages=messages,
                          bytes=int(nbytes.sum()), transfers=step if self._keep else None,
                          duration=None if timing is None else timing.duration,
                          timing=timing if self._keep else None)


def simulate(collective: str, inputs: Sequence[np.ndarray | None], *, algorithm: str,
             op: str | Op | Any = "sum", root: int = 0, provenance: bool = False,
             schedule: ScheduleBuilder | None = None,
             network: Network | None = None, segments: int = 1,
             group_size: int | None = None) -> SimResult:
    """Run ``collective`` with ``algorithm`` (or a custom ``schedule`` reported under that
    name) on ``inputs`` (one per rank) to the end, timed on ``network`` when one is given;
    ``segments`` is S for an algorithm that pipelines; ``group_size`` G the ranks per node of a
    hierarchical algorithm (a ``hierarchical`` network's by default)."""
    return Simulation(collective, inputs, algorithm=algorithm, op=op, root=root,
                      provenance=provenance, schedule=schedule, network=network,
                      segments=segments, group_size=group_size).run()
