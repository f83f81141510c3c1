"""A simulated run drawn step by step as an animated GIF (the frames of
:mod:`collectives.sim.frames`).

Each frame has three panels, laid out the same in every frame so nothing jumps:

- the network: ranks on a circle (rank 0 on top, clockwise; switches inside), the links the
  run uses in grey, the links this step uses as arrows labelled with the chunks and bytes that
  cross them;
- the chunks: one row per rank, one cell per chunk of its working buffer, a stripe per input
  rank in that rank's colour, as full as the share of the chunk's elements holding its input;
  the chunks the step wrote into are outlined;
- the bytes each rank has sent so far, with a tick at the reference formula's total for the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from collectives.errors import InvalidInputError
from collectives.plots.figure import chunk_colour
from collectives.plots.gif import write_gif
from collectives.sim.frames import Frame, RunFrames

MAX_RANKS = 16  #: beyond this the chunks and the arrows no longer fit a frame
DPI = 80
STEP_MS = 1400  #: how long each frame shows
LAST_MS = 3500  #: the last frame, longer, before the loop starts again
_CURVE = 0.12  #: arrows bend this much (arc3), so u -> v and v -> u are both seen
_EMPTY = "#eeeeee"


@dataclass(frozen=True)
class AnimationPicture:
    """The GIF written and the frames it shows."""

    path: Path
    run: RunFrames
    size: tuple[int, int]  #: every frame's width and height in pixels
    durations: list[int]  #: milliseconds per frame


def vertex_positions(ranks: int, switches: int) -> np.ndarray:
    """(x, y) of every vertex: ranks on the unit circle from the top, clockwise; one switch in
    the middle, several on a smaller circle."""
    turn = 2 * np.pi * np.arange(ranks) / ranks
    points = [np.column_stack([np.sin(turn), np.cos(turn)])]
    if switches == 1:
        points.append(np.zeros((1, 2)))
    elif switches > 1:
        inner = 2 * np.pi * (np.arange(switches) + 0.5) / switches
        points.append(0.45 * np.column_stack([np.sin(inner), np.cos(inner)]))
    return np.concatenate(points)


def node_radius(ranks: int) -> float:
    """Radius of a rank's disc on the unit circle: a quarter of the way to its neighbour, at
    most 0.13."""
    return min(0.13, 0.5 * np.sin(np.pi / max(ranks, 2)))


def frame_size(ranks: int) -> tuple[float, float]:
    """Inches of a frame for ``ranks`` ranks (taller for more rows of chunks)."""
    return 10.0, 4.6 + 0.16 * max(0, ranks - 4)


def draw_frame(run: RunFrames, frame: Frame) -> Figure:
    """One frame as a figure (Agg; no display needed)."""
    result = run.result
    figure = Figure(figsize=frame_size(result.ranks), dpi=DPI)
    grid = figure.add_gridspec(2, 2, width_ratios=(1.0, 1.35), height_ratios=(1.5, 1.0),
                               left=0.02, right=0.97, top=0.84, bottom=0.08, wspace=0.22,
                               hspace=0.55)
    _draw_network(figure.add_subplot(grid[:, 0]), run, frame)
    _draw_chunks(figure.add_subplot(grid[0, 1]), run, frame)
    _draw_bytes(figure.add_subplot(grid[1, 1]), run, frame)
    steps = len(run.frames) - 1
    now = ("start: every rank holds only its own input" if frame.index == 0
           else f"step {frame.index} of {steps}: {frame.label}")
    network = run.network.kind.replace("_", " ")
    figure.suptitle(f"{result.algorithm} {result.collective}, N = {result.ranks}, "
                    f"{result.count} × {result.dtype} per rank, {network} network\n{now}",
                    fontsize=12)
    return figure


def _draw_network(ax: Axes, run: RunFrames, frame: Frame) -> None:
    network, n = run.network, run.result.ranks
    where = vertex_positions(n, len(network.switches))
    for link in run.links_used:
        u, v = divmod(link, network.vertices)
        ax.plot(*where[[u, v]].T, color="#d0d0d0", linewidth=1.0, zorder=1)
    radius = node_radius(n)
    for crossing in frame.links:
        start, end = where[crossing.source], where[crossing.target]
        dx, dy = end - start
        gap = radius * np.array([dx, dy]) / np.hypot(dx, dy)  # from disc edge to disc edge
        ax.add_patch(FancyArrowPatch(start + gap, end - gap, arrowstyle="-|>",
                                     mutation_scale=16, connectionstyle=f"arc3,rad={_CURVE}",
                                     linewidth=2.0, color="black", shrinkA=0, shrinkB=0,
                                     zorder=3))
        middle = (start + end) / 2 + 0.5 * _CURVE * np.array([dy, -dx])
        ax.text(*middle, _crossing_text(crossing.chunks, crossing.nbytes),
                fontsize=8 if n <= 8 else 6, ha="center", va="center", zorder=4,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.85})
    for rank in range(n):
        ax.add_patch(Circle(tuple(where[rank]), radius, facecolor=chunk_colour(rank),
                            edgecolor="black", linewidth=0.8, zorder=5))
        ax.text(*where[rank], str(rank), ha="center", va="center", fontsize=11 if n <= 8 else 8,
                fontweight="bold", color="white", zorder=6)
    for index, name in enumerate(network.switches):
        x, y = where[n + index]
        ax.add_patch(Rectangle((x - 0.12, y - 0.07), 0.24, 0.14, facecolor="#888888",
                               edgecolor="black", zorder=5))
        ax.text(x, y, name, ha="center", va="center", fontsize=7, color="white", zorder=6)
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("links this step uses: chunks, bytes", fontsize=9)


def _crossing_text(chunks: tuple[int, ...], nbytes: int) -> str:
    labelled = [c for c in chunks if c >= 0]
    if not labelled:
        return f"{nbytes} B"
    name = "chunk" if len(labelled) == 1 else "chunks"
    return f"{name} {','.join(map(str, labelled))}\n{nbytes} B"


def _draw_chunks(ax: Axes, run: RunFrames, frame: Frame) -> None:
    n, parts = run.result.ranks, run.parts
    width, height = 0.88, 0.76
    stripe = width / n
    for rank in range(n):
        for part in range(parts):
            corner = (part + 0.06, rank + 0.12)
            ax.add_patch(Rectangle(corner, width, height, facecolor=_EMPTY, zorder=1))
            written = bool(frame.written[rank, part])
            ax.add_patch(Rectangle(corner, width, height, fill=False,
                                   edgecolor="black" if written else "#999999",
                                   linewidth=2.2 if written else 0.5, zorder=3))
    rank, part, source = np.nonzero(frame.holdings)
    share = frame.holdings[rank, part, source]
    ax.bar(part + 0.06 + source * stripe, -share * height, width=stripe, align="edge",
           bottom=rank + 0.12 + height, color=[chunk_colour(int(s)) for s in source],
           linewidth=0, zorder=2)
    ax.set_xlim(0, parts)
    ax.set_ylim(n, 0)
    ax.set_xticks(np.arange(parts) + 0.5, [str(p) for p in range(parts)], fontsize=8)
    ax.set_yticks(np.arange(n) + 0.5, [f"rank {r}" for r in range(n)], fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xlabel("chunk of the working buffer", fontsize=8)
    ax.set_title("whose inputs each chunk holds (a stripe per rank); outlined: just written",
                 fontsize=9)


def _draw_bytes(ax: Axes, run: RunFrames, frame: Frame) -> None:
    n = run.result.ranks
    final = np.maximum(run.formula, run.result.bytes_sent)
    top = max(int(final.max()), 1)
    rows = np.arange(n)
    ax.barh(rows, frame.bytes_sent, height=0.6, color=[chunk_colour(r) for r in range(n)])
    ax.scatter(run.formula, rows, marker="|", s=160, color="black", linewidths=2, zorder=3)
    for rank in range(n):
        ax.text(final[rank] + 0.02 * top, rank, f"{frame.bytes_sent[rank]} of "
                f"{run.formula[rank]} B", va="center", fontsize=7)
    ax.set_xlim(0, 1.35 * top)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks(rows, [f"rank {r}" for r in range(n)], fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("bytes", fontsize=8)
    ax.set_title("bytes sent so far; | the formula's total for the run", fontsize=9)


def check_ranks(ranks: int) -> None:
    """Refuse more ranks than a frame can show."""
    if ranks > MAX_RANKS:
        raise InvalidInputError(f"expected at most {MAX_RANKS} ranks to animate, got {ranks}")


def animate(run: RunFrames, path: str | Path) -> AnimationPicture:
    """Draw every frame of ``run`` and write them to ``path`` as a looping GIF."""
    check_ranks(run.result.ranks)
    durations = [STEP_MS] * (len(run.frames) - 1) + [LAST_MS]
    size = write_gif([draw_frame(run, frame) for frame in run.frames], path, durations)
    return AnimationPicture(Path(path), run, size, durations)
