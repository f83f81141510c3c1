"""A timed run laid out in time, and its export as Chrome trace events (Perfetto,
chrome://tracing).

:func:`timed_transfers` places every transfer of a run on the clock: steps one after another
(bulk-synchronous), each transfer starting with its step, or after the earlier transfers of the
same message, for its share of the message's time (:func:`~collectives.sim.timing.
transfer_intervals`). The step timeline picture and the trace both read it.

:func:`chrome_trace` gives the Trace Event Format (JSON object with ``traceEvents``; times in
microseconds from the start of the run), with three groups of tracks:

- ``steps``: one slice per step, named by its label ("reduce-scatter 0"), as long as the step;
- ``ranks``: one track per sending rank, one slice per transfer that crosses a link, as long as
  the model says, with its bytes, chunk, destination and step in ``args``;
- ``links``: one track per link, one slice per step in which it carried bytes, lasting its busy
  time in that step (bytes / bandwidth), with bytes and message count in ``args``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from collectives.errors import CollectivesError
from collectives.sim.network import Network
from collectives.sim.timing import transfer_intervals

if TYPE_CHECKING:
    from collectives.sim.result import SimResult

SECONDS_TO_US = 1e6


@dataclass(frozen=True)
class TimedTransfers:
    """Every transfer of a run that crossed a link, on the clock (arrays, one entry each)."""

    network: Network
    step: np.ndarray  #: index of its step
    src: np.ndarray
    dst: np.ndarray
    chunk: np.ndarray  #: the schedule's chunk label (-1 where none)
    nbytes: np.ndarray
    start: np.ndarray  #: seconds from the start of the run
    duration: np.ndarray  #: seconds
    links: list[np.ndarray]  #: link ids its message crosses, in path order
    step_start: np.ndarray  #: per step: when it starts
    step_duration: np.ndarray  #: per step: how long it lasts
    step_label: list[str]  #: per step: its label

    def __len__(self) -> int:
        return len(self.step)


def timed_transfers(result: SimResult) -> TimedTransfers:
    """The transfers of ``result`` on the clock; needs a run on a network that kept its steps."""
    if result.links is None or result.step_times is None:
        raise CollectivesError("expected a run on a network (Simulation(..., network=...)), "
                               "got one without")
    missing = [record.index for record in result.steps
               if record.transfers is None or record.timing is None]
    if missing:
        raise CollectivesError(
            f"expected a run that kept its transfers (keep_transfers=True), got one without them "
            f"from step {missing[0]}")
    itemsize = np.dtype(result.dtype).itemsize
    step_start = np.concatenate([[0.0], np.cumsum(result.step_times)[:-1]])
    columns: dict[str, list[np.ndarray]] = {name: [] for name in
                                           ("step", "src", "dst", "chunk", "nbytes", "start",
                                            "duration")}
    links: list[np.ndarray] = []
    for record in result.steps:
        step, timing = record.transfers, record.timing
        assert step is not None and timing is not None
        offset, duration = transfer_intervals(timing, step, itemsize)
        remote = np.flatnonzero(step.remote)
        message = timing.message_of[remote]
        columns["step"].append(np.full(len(remote), record.index))
        columns["src"].append(step.src[remote])
        columns["dst"].append(step.dst[remote])
        columns["chunk"].append(step.chunk[remote])
        columns["nbytes"].append(step.length[remote] * itemsize)
        columns["start"].append(step_start[record.index] + offset[remote])
        columns["duration"].append(duration[remote])
        first = np.searchsorted(timing.hop_message, message, side="left")
        last = np.searchsorted(timing.hop_message, message, side="right")
        links.extend(timing.hop_link[a:b] for a, b in zip(first.tolist(), last.tolist(),
                                                          strict=True))
    arrays = {name: np.concatenate(parts) if parts else np.empty(0)
              for name, parts in columns.items()}
    return TimedTransfers(network=result.links.network, links=links, step_start=step_start,
                          step_duration=np.asarray(result.step_times),
                          step_label=[record.label for record in result.steps], **arrays)


def _track_names(pid: int, process: str, names: dict[int, str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": process}},
        {"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
         "args": {"sort_index": pid}}]
    for tid, name in names.items():
        events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                       "args": {"name": name}})
        events.append({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid,
                       "args": {"sort_index": tid}})
    return events


def chrome_trace(result: SimResult) -> dict[str, Any]:
    """The Trace Event Format object of ``result`` (see the module docstring)."""
    run = timed_transfers(result)
    network = run.network
    events: list[dict[str, Any]] = []
    events += _track_names(0, "steps", {0: "step"})
    for index, (start, duration, label) in enumerate(zip(run.step_start, run.step_duration,
                                                         run.step_label, strict=True)):
        events.append({"name": label or f"step {index}", "cat": "step", "ph": "X",
                       "ts": float(start) * SECONDS_TO_US, "dur": float(duration) * SECONDS_TO_US,
                       "pid": 0, "tid": 0, "args": {"step": index}})
    events += _track_names(1, "ranks", {rank: f"rank {rank}" for rank in range(network.ranks)})
    for i in range(len(run)):
        chunk = int(run.chunk[i])
        events.append({
            "name": f"chunk {chunk}" if chunk >= 0 else "transfer", "cat": "transfer",
            "ph": "X", "ts": float(run.start[i]) * SECONDS_TO_US,
            "dur": float(run.duration[i]) * SECONDS_TO_US,
            "pid": 1, "tid": int(run.src[i]),
            "args": {"bytes": int(run.nbytes[i]), "chunk": chunk, "to": int(run.dst[i]),
                     "step": int(run.step[i]), "label": run.step_label[int(run.step[i])]}})
    used = np.unique(np.concatenate(run.links)) if run.links else np.empty(0, dtype=np.int64)
    track_of = {int(link): track for track, link in enumerate(used.tolist())}
    events += _track_names(2, "links", {track: network.link_name(link)
                                        for link, track in track_of.items()})
    for record in result.steps:
        timing = record.timing
        assert timing is not None
        _, bandwidth = network.figures(timing.link_ids)
        messages = np.bincount(np.searchsorted(timing.link_ids, timing.hop_link),
                               minlength=len(timing.link_ids))
        for link, load, speed, count in zip(timing.link_ids.tolist(), timing.link_load.tolist(),
                                            bandwidth.tolist(), messages.tolist(), strict=True):
            if load:
                events.append({
                    "name": network.link_name(link), "cat": "link", "ph": "X",
                    "ts": float(run.step_start[record.index]) * SECONDS_TO_US,
                    "dur": load / speed * SECONDS_TO_US, "pid": 2, "tid": track_of[link],
                    "args": {"bytes": int(load), "messages": int(count), "step": record.index}})
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": {
        "collective": result.collective, "algorithm": result.algorithm, "ranks": result.ranks,
        "count": result.count, "dtype": str(result.dtype), "network": network.describe(),
        "time_seconds": result.time}}


def write_chrome_trace(result: SimResult, path: str | Path) -> dict[str, Any]:
    """Write :func:`chrome_trace` of ``result`` to ``path`` as JSON and return it."""
    trace = chrome_trace(result)
    Path(path).write_text(json.dumps(trace))
    return trace
