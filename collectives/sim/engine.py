"""The step engine: runs a schedule on N virtual ranks, one step at a time, counting bytes.

Step model (the reference's): in one step each rank sends to at most one peer and receives from
at most one peer, at once. The engine rejects a step that breaks it, reads outside a buffer, or
writes one element twice. A step has simultaneous semantics: every transfer reads its source
before any transfer of the step writes.

Three modes: data (numpy buffers, the result compared with numpy's answer), provenance (each
element also records which inputs, at which positions, went into it and how many times, and the
collective's postcondition is checked at the end), and count-only (no data at all, for large N).

Memory grows with N per step, not N²: the bytes between ranks are kept for the pairs that talk
(:mod:`collectives.sim.pairs`), and a run whose estimated footprint cannot fit is refused before
it starts (:mod:`collectives.sim.memory`).

Given a :class:`~collectives.sim.network.Network`, every step is also timed
(:mod:`collectives.sim.timing` defines the step time): the result then has the run's ``time``,
each step's duration and the bytes each link carried. Without one, nothing is timed.

Stepping follows SimPy: :meth:`Simulation.step` executes one step and returns what moved,
:meth:`Simulation.run` loops to the end and returns the :class:`SimResult`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from collectives.catalogue import REDUCING, algorithm_info, check_supported
from collectives.errors import (
    CollectivesError,
    InvalidInputError,
    ProvenanceError,
    ScheduleError,
)
from collectives.ops import Op, resolve_op
from collectives.partition import chunk_offsets
from collectives.sim import memory
from collectives.sim.network import Hierarchical, Network
from collectives.sim.pairs import PairTraffic
from collectives.sim.registry import SIM_ALGORITHMS, ScheduleBuilder
from collectives.sim.schedule import Action, Step
from collectives.sim.timing import (
    LinkUsage,
    StepTiming,
    advance_ranks,
    pair_link_usage,
    time_step,
)
from collectives.spec import (
    Problem,
    as_dtype,
    expected_outputs,
    expected_provenance,
    problem_from_inputs,
    results_match,
)

# Provenance keeps a (work, N, input) count array per rank; beyond this many cells it is refused.
PROVENANCE_CELL_LIMIT = 20_000_000

# Up to this many ranks a run keeps every step's transfers unless told otherwise.
KEEP_TRANSFERS_RANKS = 256

# Above this many ranks to_dict gives the traffic as the pairs that talked, not an N x N matrix.
JSON_MATRIX_RANKS = 1024

_END = object()  # what next() gives when a schedule has no more steps (None is a wrong step)


@dataclass(frozen=True)
class StepRecord:
    """What one step moved."""

    index: int
    label: str
    messages: int  #: distinct (source, destination) pairs that exchanged data
    bytes: int  #: bytes that crossed links in this step
    transfers: Step | None = field(default=None, repr=False)  #: the step itself, when kept
    duration: float | None = None  #: seconds the step took on the network, when one was given
    timing: StepTiming | None = field(default=None, repr=False)  #: its messages' times, when kept


@dataclass
class SimResult:
    """The outcome of a simulated collective."""

    collective: str
    algorithm: str
    ranks: int
    count: int
    dtype: np.dtype
    root: int
    op: str | None
    outputs: list[np.ndarray | None] | None  #: per rank; None in count-only mode
    steps: list[StepRecord]
    bytes_sent: np.ndarray  #: per rank
    bytes_received: np.ndarray  #: per rank
    pairs: PairTraffic  #: bytes between the pairs of ranks that talked
    verified: bool | None  #: outputs equal numpy's answer; None in count-only mode
    provenance_checked: bool = False
    time: float | None = None  #: seconds on the network (the sum of step durations), if given
    dataflow_time: float | None = None  #: seconds without barriers between steps (timing.py)
    step_times: np.ndarray | None = field(default=None, repr=False)  #: per step, seconds
    links: LinkUsage | None = field(default=None, repr=False)  #: bytes and busy time per link
    segments: int = 1  #: S, the pieces a pipelining algorithm cut the data into
    group_size: int | None = None  #: G, the ranks per node the problem gave (None: one node)

    def __repr__(self) -> str:  # short: the arrays can be N x N
        return (f"<SimResult {self.collective} {self.algorithm!r}: N={self.ranks}, "
                f"count={self.count} {self.dtype}, {self.num_steps} steps, "
                f"{self.total_bytes} bytes, verified={self.verified}>")

    @property
    def num_steps(self) -> int:
        """Steps the schedule took."""
        return len(self.steps)

    @property
    def total_bytes(self) -> int:
        """Bytes sent by all ranks together."""
        return int(self.bytes_sent.sum())

    @property
    def traffic(self) -> np.ndarray:
        """The N×N matrix: ``traffic[i, j]`` is the bytes rank i sent rank j; made on each
        request, and refused when it cannot fit (use :meth:`traffic_pairs` then)."""
        n = self.ranks
        memory.check_fits("the N x N traffic matrix", 8 * n * n, f"{n} x {n} int64 cells",
                          "use traffic_pairs() or bytes_between(), which hold only the "
                          f"{len(self.pairs)} pairs that talked")
        return self.pairs.dense()

    def traffic_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(src, dst, bytes) of every pair of ranks that exchanged bytes, by src, then dst."""
        return self.pairs.pairs()

    def bytes_between(self, src: int, dst: int) -> int:
        """Bytes rank ``src`` sent rank ``dst`` over the run."""
        return self.pairs.between(src, dst)

    def flow_time(self, send_buffer: float = 0.0) -> float:
        """Seconds with messages as flows that share links while they overlap in time and
        senders free once at most ``send_buffer`` bytes are still to cross
        (:mod:`collectives.sim.flows`); needs a run on a network whose steps were kept."""
        from collectives.sim.flows import flow_time

        if self.links is None:
            raise CollectivesError("expected a run on a network for its flow time, got one "
                                   "without a network")
        return flow_time(self.links.network, self.steps, send_buffer=send_buffer).time

    @property
    def link_bytes(self) -> dict[str, int] | None:
        """Bytes each link carried (``"2->3"`` -> bytes), when run on a network."""
        return None if self.links is None else self.links.as_dict()

    def _traffic_dict(self) -> dict[str, Any]:
        """``traffic`` as N lists of N up to :data:`JSON_MATRIX_RANKS` ranks, else
        ``traffic_pairs`` as [src, dst, bytes] triples of the pairs that talked."""
        if self.ranks <= JSON_MATRIX_RANKS:
            return {"traffic": self.traffic.tolist()}
        src, dst, nbytes = self.traffic_pairs()
        return {"traffic_pairs": np.stack([src, dst, nbytes], axis=1).tolist()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the output arrays); the traffic as an N×N matrix up
        to :data:`JSON_MATRIX_RANKS` ranks, as the pairs that talked above."""
        return {
            "collective": self.collective,
            "algorithm": self.algorithm,
            "ranks": self.ranks,
            "count": self.count,
            "dtype": str(self.dtype),
            "root": self.root,
            "op": self.op,
            "steps": self.num_steps,
            "bytes_sent": self.bytes_sent.tolist(),
            "bytes_received": self.bytes_received.tolist(),
            "total_bytes": self.total_bytes,
            **self._traffic_dict(),
            "verified": self.verified,
            "provenance_checked": self.provenance_checked,
            "segments": self.segments,
            **({} if self.links is None or self.step_times is None else {
                "network": self.links.network.describe(),
                "time": self.time,
                "dataflow_time": self.dataflow_time,
                "step_times": self.step_times.tolist(),
                "link_bytes": self.link_bytes,
            }),
        }


@dataclass(frozen=True)
class _Remote:
    """The transfers of a step that cross links: their ranks and lengths."""

    src: np.ndarray
    dst: np.ndarray
    length: np.ndarray
    ascending: bool  #: src strictly increasing: each rank sends at most one transfer

    @classmethod
    def of(cls, step: Step) -> _Remote:
        remote = step.remote
        if remote.all():
            src, dst, length = step.src, step.dst, step.length
        else:
            src, dst, length = step.src[remote], step.dst[remote], step.length[remote]
        return cls(src, dst, length, _strictly_increasing(src))


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
        self._provenance = self._initial_provenance() if provenance else None

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

    def _initial_provenance(self) -> list[np.ndarray]:
        p = self.problem
        cells = p.ranks * p.work_size * p.ranks * p.input_count
        if cells > PROVENANCE_CELL_LIMIT:
            raise CollectivesError(
                f"provenance mode expected at most {PROVENANCE_CELL_LIMIT} tracking cells, got "
                f"{cells} ({p.ranks} ranks, {p.count} elements); use fewer ranks or elements"
            )
        tracks = []
        for rank in range(p.ranks):
            track = np.zeros((p.work_size, p.ranks, p.input_count), dtype=np.int32)
            for in_start, work_start, length in p.placements(rank):
                offsets = np.arange(length)
                track[work_start + offsets, rank, in_start + offsets] = 1
            tracks.append(track)
        return tracks

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
        remote = self._check(step, index)
        if self._work is not None:
            self._move(step, self._work, self._reduce)
        if self._provenance is not None:
            self._move(step, self._provenance, _add_counts)
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
            self._check_provenance()
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

    def _check(self, step: Step, index: int) -> _Remote:
        """Reject a step that breaks the step model or reaches outside a buffer; return its
        transfers that cross links."""
        where = f"step {index} ({step.label or 'unlabelled'})"
        self._check_ranges(step, where)
        crossing = _Remote.of(step)
        # Fast paths: ranks that send once (ascending) and ranks written once need no search.
        one_each = not len(step) or int(np.bincount(step.dst).max()) <= 1
        if not crossing.ascending:
            self._check_one_peer("sends to", crossing.src, crossing.dst, where)
        if not one_each:
            self._check_one_peer("receives from", crossing.dst, crossing.src, where)
            _check_written_once(step, where)
        return crossing

    def _check_ranges(self, step: Step, where: str) -> None:
        """Ranks, lengths and ranges of ``step`` inside the world and the working buffer."""
        n, size = self.problem.ranks, self.problem.work_size
        for name in ("src", "dst"):
            ranks = getattr(step, name)
            if len(ranks) and (ranks.min() < 0 or ranks.max() >= n):
                raise ScheduleError(f"{where}: expected {name} ranks in 0..{n - 1}, "
                                    f"got {int(ranks.min())}..{int(ranks.max())}")
        if len(step) and step.length.min() < 0:
            raise ScheduleError(f"{where}: expected lengths >= 0, got {int(step.length.min())}")
        for name in ("src_start", "dst_start"):
            start = getattr(step, name)
            if len(step) and (start.min() < 0 or (start + step.length).max() > size):
                got = (f"one starting at {int(start.min())}" if start.min() < 0
                       else f"one reaching {int((start + step.length).max())}")
                raise ScheduleError(f"{where}: expected {name.split('_')[0]} ranges inside the "
                                    f"{size}-element working buffer, got {got}")

    def _check_one_peer(self, role: str, ranks: np.ndarray, peers: np.ndarray,
                        where: str) -> None:
        """Each of ``ranks`` has one peer in ``peers`` (the step model: one per direction)."""
        peer_of = np.full(self.problem.ranks, -1, dtype=np.int64)
        peer_of[ranks] = peers  # with one peer per rank, every write agrees
        clash = np.flatnonzero(peer_of[ranks] != peers)
        if clash.size:
            rank = int(ranks[clash[0]])
            named = sorted({int(p) for p in peers[ranks == rank]})
            raise ScheduleError(
                f"{where}: rank {rank} {role} ranks {named}; the step model expected at "
                f"most one peer per direction per step, got {len(named)}"
            )

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

    def _count(self, step: Step, index: int, crossing: _Remote) -> StepRecord:
        nbytes = crossing.length * self.problem.itemsize
        self._traffic.add(crossing.src, crossing.dst, nbytes)
        # _check allowed one destination per sender, so one message each
        messages = len(crossing.src) if crossing.ascending else len(np.unique(crossing.src))
        timing = (None if self._network is None
                  else time_step(self._network, step, self.problem.itemsize))
        if timing is not None:
            self._ready = advance_ranks(self._ready, timing)
        return StepRecord(index=index, label=step.label, messages=messages,
                          bytes=int(nbytes.sum()), transfers=step if self._keep else None,
                          duration=None if timing is None else timing.duration,
                          timing=timing if self._keep else None)

    def _check_provenance(self) -> None:
        assert self._provenance is not None
        p = self.problem
        for rank in range(p.ranks):
            expected = expected_provenance(p, rank)
            span = p.output_span(rank)
            if expected is None or span is None:
                continue
            actual = self._provenance[rank][span[0]:span[1]]
            wrong = np.flatnonzero((actual != expected).any(axis=(1, 2)))
            if wrong.size:
                element = int(wrong[0])
                raise ProvenanceError(
                    f"{p.collective} algorithm {self.algorithm!r}: rank {rank} output element "
                    f"{element} expected {_describe(expected[element])}, "
                    f"got {_describe(actual[element])}"
                )


def _strictly_increasing(values: np.ndarray) -> bool:
    return len(values) < 2 or bool(np.all(values[1:] > values[:-1]))


def _check_written_once(step: Step, where: str) -> None:
    """No element of a rank is written twice by ``step``."""
    written = step.length > 0
    if np.bincount(step.dst[written], minlength=1).max() > 1:  # a rank gets several pieces
        dst, start = step.dst[written], step.dst_start[written]
        stop = start + step.length[written]
        order = np.lexsort((start, dst))  # by rank, then start: an overlap shows next door
        dst, start, stop = dst[order], start[order], stop[order]
        twice = np.flatnonzero((dst[1:] == dst[:-1]) & (start[1:] < stop[:-1]))
        if twice.size:
            first = twice[0] + 1
            raise ScheduleError(
                f"{where}: rank {int(dst[first])} is written twice at element "
                f"{int(start[first])}; expected each element written at most once per step"
            )


def keeps_transfers(ranks: int, keep_transfers: bool | None) -> bool:
    """Whether a run keeps its steps' transfers: as asked, else up to
    :data:`KEEP_TRANSFERS_RANKS` ranks."""
    return ranks <= KEEP_TRANSFERS_RANKS if keep_transfers is None else bool(keep_transfers)


def _add_counts(target: np.ndarray, incoming: np.ndarray, source_first: bool) -> None:
    target += incoming


def _describe(counts: np.ndarray) -> str:
    """``{rank 0 pos 3, rank 1 pos 3 x2}`` for a provenance cell."""
    ranks, positions = np.nonzero(counts)
    if not len(ranks):
        return "{no input}"
    parts = [f"rank {r} pos {q}" + (f" x{counts[r, q]}" if counts[r, q] != 1 else "")
             for r, q in zip(ranks, positions, strict=True)]
    return "{" + ", ".join(parts) + "}"


def network_group_size(network: Network | None, group_size: int | None,
                       ranks: int) -> int | None:
    """G, the ranks per node: ``group_size`` where given, else a hierarchical network's (all
    ranks in one node where it has fewer than G), else None (one node)."""
    if group_size is not None or not isinstance(network, Hierarchical):
        return group_size
    return min(network.group_size, ranks)


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
