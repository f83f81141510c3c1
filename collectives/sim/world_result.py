"""What a run of the simulated world gives: every collective call as the ranks made it
(:class:`CallRecord`) and the run's results, clocks and traffic (:class:`WorldResult`).

Both are plain records filled by :class:`collectives.sim.world.WorldRun`; they keep per rank
O(N) clocks, the N×N traffic and one list of computations, and per call its arrivals (O(N)) and
the engine's result of its signature, shared by the calls of that signature (no outputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from collectives.sim.network import Network
from collectives.sim.result import SimResult
from collectives.sim.timing import format_seconds


@dataclass(frozen=True)
class CallRecord:
    """One collective call of the world, as every rank made it."""

    index: int  #: its place among the world's collective calls, from 0
    collective: str
    algorithm: str  #: the algorithm that ran
    asked: str | None  #: what rank 0's program asked for (``auto`` or a name)
    count: int  #: elements per block or per buffer (:mod:`collectives.spec`)
    dtype: np.dtype
    root: int | None  #: rooted collectives only
    op: str | None  #: reducing collectives only
    segments: int
    phase: str | None  #: the phase it was called in (``comm.phase``)
    nbytes: int  #: the reference's K
    bytes_sent: int  #: bytes all ranks sent in it
    steps: int
    start: float  #: seconds on the clock: when the last rank arrived
    end: float
    arrivals: np.ndarray = field(repr=False)  #: per rank: when it arrived
    sim: SimResult = field(repr=False)  #: the engine's run of this signature (no outputs)

    @property
    def duration(self) -> float:
        """Seconds the collective took on the network."""
        return self.end - self.start

    @property
    def name(self) -> str:
        """``allreduce/ring`` (and `` in phase`` when it has one)."""
        text = f"{self.collective}/{self.algorithm}"
        return text if self.phase is None else f"{text} in {self.phase}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {"index": self.index, "collective": self.collective, "algorithm": self.algorithm,
                "asked": self.asked, "count": self.count, "dtype": str(self.dtype),
                "root": self.root, "op": self.op, "segments": self.segments, "phase": self.phase,
                "nbytes": self.nbytes, "bytes_sent": self.bytes_sent, "steps": self.steps,
                "start": self.start, "end": self.end, "arrivals": self.arrivals.tolist()}


@dataclass
class WorldResult:
    """What a run of the world gave: every rank's result, every call, every rank's time."""

    ranks: int
    network: Network | None
    time_model: str
    results: list[Any]  #: each rank's return value, by rank
    calls: list[CallRecord]
    clock: np.ndarray  #: per rank: its clock when its program returned, seconds
    compute: np.ndarray  #: per rank: seconds computing
    wait: np.ndarray  #: per rank: seconds waiting for the last rank of a collective
    communicate: np.ndarray  #: per rank: seconds in collectives
    traffic: np.ndarray  #: N×N bytes from row rank to column rank, summed over every call
    computations: list[list[tuple[float, float, str]]] = field(repr=False)
    """per rank: (start, seconds, label) of every computation longer than 0, in order"""

    def __repr__(self) -> str:
        return (f"<WorldResult: {self.ranks} ranks, {len(self.calls)} collective calls, "
                f"{self.total_bytes} bytes, time {format_seconds(self.time)}>")

    @property
    def time(self) -> float:
        """Seconds until the last rank returned."""
        return float(self.clock.max(initial=0.0))

    @property
    def bytes_sent(self) -> np.ndarray:
        """Bytes each rank sent over the program."""
        return self.traffic.sum(axis=1)

    @property
    def total_bytes(self) -> int:
        """Bytes all ranks sent over the program."""
        return int(self.traffic.sum())

    def summary(self) -> str:
        """A few lines: calls, bytes, the time and each rank's split of it."""
        kinds: dict[str, int] = {}
        for call in self.calls:
            kinds[f"{call.collective}/{call.algorithm}"] = kinds.get(
                f"{call.collective}/{call.algorithm}", 0) + 1
        made = ", ".join(f"{name} x{count}" for name, count in kinds.items()) or "none"
        where = self.network.describe() if self.network is not None else "no network (untimed)"
        lines = [f"world: {self.ranks} simulated ranks on {where}, {self.time_model} time",
                 f"collective calls: {len(self.calls)} ({made}); {self.total_bytes} bytes sent",
                 f"time: {format_seconds(self.time)}",
                 f"{'rank':>6} {'compute':>12} {'wait':>12} {'communicate':>12}"]
        rows = range(self.ranks) if self.ranks <= 16 else ()
        for rank in rows:
            lines.append(f"{rank:>6} {format_seconds(self.compute[rank]):>12} "
                         f"{format_seconds(self.wait[rank]):>12} "
                         f"{format_seconds(self.communicate[rank]):>12}")
        if not rows:
            for name, reduce in (("min", np.min), ("mean", np.mean), ("max", np.max)):
                lines.append(f"{name:>6} " + " ".join(
                    f"{format_seconds(float(reduce(part))):>12}"
                    for part in (self.compute, self.wait, self.communicate)))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the ranks' results)."""
        return {"ranks": self.ranks, "time_model": self.time_model,
                "network": None if self.network is None else self.network.describe(),
                "time": self.time, "clock": self.clock.tolist(),
                "compute": self.compute.tolist(), "wait": self.wait.tolist(),
                "communicate": self.communicate.tolist(), "traffic": self.traffic.tolist(),
                "total_bytes": self.total_bytes,
                "calls": [call.to_dict() for call in self.calls]}

    def chrome_trace(self) -> dict[str, Any]:
        """Trace Event Format: computing, waiting and collectives per rank on one timeline
        (:mod:`collectives.sim.world_trace`)."""
        from collectives.sim.world_trace import world_trace

        return world_trace(self)

    def write_chrome_trace(self, path: str | Path) -> dict[str, Any]:
        """Write :meth:`chrome_trace` to ``path`` as JSON and return it."""
        import json

        trace = self.chrome_trace()
        Path(path).write_text(json.dumps(trace))
        return trace
