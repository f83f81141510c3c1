"""A simulated world's run as Chrome trace events (Perfetto, chrome://tracing): every rank's
computing, waiting and collectives on one timeline.

Tracks (times in microseconds from the start of the program):

- ``ranks``: one track per rank, with a slice per computation (named by its label, phase first),
  per wait (from the rank's arrival at a collective to its start, when it waited) and per
  collective (``allreduce/ring``, its phase after it), with bytes, steps and the call's index in
  ``args``;
- ``calls``: one slice per collective call, from its start to its end, with its figures.

Cost: one event per computation, one or two per rank per call, one per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collectives.sim.trace import SECONDS_TO_US
from collectives.sim.trace import _track_names as track_names

if TYPE_CHECKING:
    from collectives.sim.world_result import WorldResult


def _slice(name: str, category: str, start: float, seconds: float, pid: int, tid: int,
           args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "cat": category, "ph": "X", "ts": start * SECONDS_TO_US,
            "dur": seconds * SECONDS_TO_US, "pid": pid, "tid": tid, "args": args}


def world_trace(world: WorldResult) -> dict[str, Any]:
    """The Trace Event Format object of ``world`` (see the module docstring)."""
    events = track_names(0, "ranks", {rank: f"rank {rank}" for rank in range(world.ranks)})
    for rank, computations in enumerate(world.computations):
        for start, seconds, label in computations:
            events.append(_slice(label, "compute", start, seconds, 0, rank, {}))
    for call in world.calls:
        figures = {"call": call.index, "bytes": call.bytes_sent, "steps": call.steps,
                   "count": call.count, "dtype": str(call.dtype)}
        for rank in range(world.ranks):
            arrival = float(call.arrivals[rank])
            if call.start > arrival:
                events.append(_slice("wait", "wait", arrival, call.start - arrival, 0, rank,
                                     {"call": call.index}))
            events.append(_slice(call.name, "collective", call.start, call.duration, 0, rank,
                                 {**figures, "sent": int(call.sim.bytes_sent[rank])}))
    events += track_names(1, "calls", {0: "collective calls"})
    for call in world.calls:
        events.append(_slice(call.name, "call", call.start, call.duration, 1, 0,
                             {"call": call.index, "bytes": call.bytes_sent, "steps": call.steps,
                              "asked": call.asked, "nbytes": call.nbytes}))
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": {
        "ranks": world.ranks, "time_model": world.time_model, "time_seconds": world.time,
        "network": None if world.network is None else world.network.describe(),
        "calls": len(world.calls), "total_bytes": world.total_bytes}}
