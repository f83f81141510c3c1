"""The step timeline of a timed run: one row per link or rank, one bar per transfer.

Bars are coloured by chunk (the schedule's label of what moves), so a chunk can be followed
from rank to rank; a schedule that moves whole buffers (no chunk labels) is coloured by sending
rank instead; the background is shaded by phase (the step label without its number:
"reduce-scatter", "all-gather"), with the phase's name on top and thin lines between steps.
With rows per link, transfers that share a link in one step are drawn one above the other in
its row, which is where congestion shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from collectives.errors import InvalidInputError
from collectives.plots.figure import chunk_colour, new_figure, save, time_unit
from collectives.sim.result import SimResult
from collectives.sim.timing import format_seconds
from collectives.sim.trace import timed_transfers

_PHASE_SHADES = ("#fbe9d0", "#dcebf7", "#e4f2dc", "#efe1f3")


@dataclass(frozen=True)
class Bar:
    """One transfer on one row: when, how long, which chunk, which step."""

    row: int
    src: int
    dst: int
    start: float  #: seconds from the start of the run
    duration: float
    chunk: int
    step: int
    nbytes: int
    level: int = 0  #: its place among the transfers sharing this row in this step
    levels: int = 1  #: how many transfers share this row in this step


@dataclass(frozen=True)
class Phase:
    """Consecutive steps whose labels name the same phase."""

    name: str
    first_step: int
    last_step: int
    start: float
    end: float


@dataclass(frozen=True)
class TimelinePicture:
    """The rows, bars and phases drawn, and the run's time."""

    path: Path
    rows: list[str]
    bars: list[Bar]
    phases: list[Phase]
    time: float


def phase_name(label: str) -> str:
    """``"reduce-scatter 3"`` -> ``"reduce-scatter"``."""
    return re.sub(r"\s+\d+$", "", label) or "steps"


def phases_of(labels: Sequence[str], starts: Sequence[float],
              durations: Sequence[float]) -> list[Phase]:
    """Group consecutive steps by :func:`phase_name` of their labels."""
    phases: list[Phase] = []
    for index, (label, start, duration) in enumerate(zip(labels, starts, durations,
                                                         strict=True)):
        name = phase_name(label)
        if phases and phases[-1].name == name:
            last = phases[-1]
            phases[-1] = Phase(name, last.first_step, index, last.start, start + duration)
        else:
            phases.append(Phase(name, index, index, float(start), float(start + duration)))
    return phases


def _bars(result: SimResult, rows: str) -> tuple[list[str], list[Bar]]:
    run = timed_transfers(result)
    network = run.network
    if rows == "rank":
        names = [f"rank {r}" for r in range(result.ranks)]
        bars = [Bar(int(run.src[i]), int(run.src[i]), int(run.dst[i]), float(run.start[i]),
                    float(run.duration[i]),
                    int(run.chunk[i]), int(run.step[i]), int(run.nbytes[i]))
                for i in range(len(run))]
        return names, bars
    used = sorted({int(link) for links in run.links for link in links.tolist()})
    row_of = {link: row for row, link in enumerate(used)}
    placed: list[tuple[int, int, int]] = []  # (row, step, transfer)
    for i, links in enumerate(run.links):
        placed.extend((row_of[int(link)], int(run.step[i]), i) for link in links.tolist())
    sharing: dict[tuple[int, int], list[int]] = {}
    for row, step, i in placed:
        sharing.setdefault((row, step), []).append(i)
    bars = []
    for (row, step), transfers in sorted(sharing.items()):
        for level, i in enumerate(transfers):
            bars.append(Bar(row, int(run.src[i]), int(run.dst[i]), float(run.start[i]),
                            float(run.duration[i]), int(run.chunk[i]), step, int(run.nbytes[i]),
                            level, len(transfers)))
    return [network.link_name(link) for link in used], bars


def step_timeline(result: SimResult, path: str | Path, *, rows: str = "link",
                  title: str | None = None) -> TimelinePicture:
    """Draw the timeline of ``result`` (a run on a network that kept its transfers) with one
    row per ``"link"`` or per sending ``"rank"``."""
    if rows not in ("link", "rank"):
        raise InvalidInputError(f"expected rows 'link' or 'rank', got {rows!r}")
    names, bars = _bars(result, rows)
    assert result.step_times is not None and result.time is not None
    starts = np.concatenate([[0.0], np.cumsum(result.step_times)[:-1]])
    phases = phases_of([r.label for r in result.steps], starts.tolist(),
                       result.step_times.tolist())
    unit, scale = time_unit(result.time or 1e-9)
    figure = new_figure(9.0, 1.2 + 0.32 * max(len(names), 3))
    ax = figure.subplots()
    for index, phase in enumerate(phases):
        ax.axvspan(phase.start / scale, phase.end / scale,
                   color=_PHASE_SHADES[index % len(_PHASE_SHADES)], zorder=0)
        ax.text((phase.start + phase.end) / 2 / scale, 1.01, phase.name, ha="center",
                va="bottom", fontsize=9, fontweight="bold", transform=ax.get_xaxis_transform())
    ax.vlines(starts[1:] / scale, -0.5, len(names) - 0.5, color="white", linewidth=0.8,
              zorder=1)
    by_sender = all(bar.chunk < 0 for bar in bars)
    colour_key = [bar.src if by_sender else bar.chunk for bar in bars]
    if bars:
        height = np.array([0.8 / bar.levels for bar in bars])
        centre = np.array([bar.row - 0.4 + (bar.level + 0.5) * 0.8 / bar.levels
                           for bar in bars])
        ax.barh(centre, [bar.duration / scale for bar in bars], height=height,
                left=[bar.start / scale for bar in bars],
                color=[chunk_colour(key) for key in colour_key],
                edgecolor="black", linewidth=0.3, zorder=2)
        wide = 0.03 * (result.time or 1)
        for bar, y, key in zip(bars, centre, colour_key, strict=True):
            if key >= 0 and bar.duration >= wide and bar.levels == 1:
                ax.text((bar.start + bar.duration / 2) / scale, y, str(key),
                        ha="center", va="center", fontsize=7, zorder=3)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(0, (result.time or 1e-9) / scale)
    key = "sending rank (whole buffers)" if by_sender else "chunk"
    ax.set_xlabel(f"time ({unit}); bars coloured and numbered by {key}")
    ax.set_ylabel("link" if rows == "link" else "sending rank")
    heading = title or f"{result.algorithm} {result.collective}, N={result.ranks}"
    ax.set_title(f"{heading}: {format_seconds(result.time)}", fontsize=10, pad=16)
    return TimelinePicture(save(figure, path), names, bars, phases, float(result.time))
