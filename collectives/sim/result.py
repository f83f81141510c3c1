"""What a simulated run reports: :class:`StepRecord` for one step, :class:`SimResult` for the run.

A result is a record made once, at the end of a run, by
:meth:`Simulation.result <collectives.sim.engine.Simulation.result>`; it holds copies, so later
changes to the simulation change nothing in it. Its reports are views of that record: the
traffic between ranks, the bytes each link carried, the flow time, a JSON-ready summary.

It assumes a run whose steps, per-rank byte counts and pair traffic
(:class:`~collectives.sim.pairs.PairTraffic`) are filled in; timing fields are there only for a
run on a :class:`~collectives.sim.network.Network`, step transfers only for a run that kept them.

Costs: the record holds O(N) per-rank arrays, one :class:`StepRecord` per step and the pairs
that talked (not N²). The N×N :attr:`SimResult.traffic` matrix is built on each request, 8N²
bytes, and refused when it cannot fit (:mod:`collectives.sim.memory`); :meth:`SimResult.to_dict`
builds it up to :data:`JSON_MATRIX_RANKS` ranks and lists the pairs above.
:meth:`SimResult.flow_time` replays the kept steps as flows (:mod:`collectives.sim.flows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from collectives.errors import CollectivesError
from collectives.sim import memory
from collectives.sim.pairs import PairTraffic
from collectives.sim.schedule import Step
from collectives.sim.timing import LinkUsage, StepTiming

# Above this many ranks to_dict gives the traffic as the pairs that talked, not an N x N matrix.
JSON_MATRIX_RANKS = 1024


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
