"""Where the bytes went: a rank-to-rank heatmap and a bar per link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from collectives.errors import CollectivesError
from collectives.plots.figure import new_figure, save
from collectives.sim.result import SimResult


@dataclass(frozen=True)
class TrafficPicture:
    """One panel per run: its N×N matrix of bytes from row rank to column rank."""

    path: Path
    titles: list[str]
    matrices: list[np.ndarray]


@dataclass(frozen=True)
class LinkBarsPicture:
    """One panel per run: the links that carried bytes, the bytes, the busy seconds."""

    path: Path
    titles: list[str]
    links: list[list[str]]
    nbytes: list[np.ndarray]
    busy: list[np.ndarray]


def _runs(results: SimResult | Sequence[SimResult]) -> list[SimResult]:
    return [results] if isinstance(results, SimResult) else list(results)


def _title(result: SimResult) -> str:
    return f"{result.algorithm} {result.collective}, N={result.ranks}"


def traffic_heatmap(results: SimResult | Sequence[SimResult], path: str | Path, *,
                    titles: Sequence[str] | None = None) -> TrafficPicture:
    """Heatmaps of bytes from each rank (row) to each rank (column), one panel per run."""
    runs = _runs(results)
    names = list(titles) if titles is not None else [_title(r) for r in runs]
    figure = new_figure(4.2 * len(runs) + 0.8, 4.0)
    axes = np.atleast_1d(figure.subplots(1, len(runs)))
    top = max(int(r.traffic.max()) for r in runs) or 1
    image = None
    for ax, result, name in zip(axes, runs, names, strict=True):
        kib = result.traffic / 1024
        image = ax.imshow(kib, cmap="Blues", vmin=0, vmax=top / 1024)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("to rank")
        ax.set_ylabel("from rank")
        n = result.ranks
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        if n <= 8:
            for (i, j), value in np.ndenumerate(kib):
                if value:
                    ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7,
                            color="white" if value > 0.6 * top / 1024 else "black")
    figure.colorbar(image, ax=list(axes), label="KiB sent", shrink=0.85)
    return TrafficPicture(save(figure, path), names, [r.traffic.copy() for r in runs])


def link_bars(results: SimResult | Sequence[SimResult], path: str | Path, *,
              titles: Sequence[str] | None = None) -> LinkBarsPicture:
    """Bars of bytes carried by each link, one panel per run (runs made on a network)."""
    runs = _runs(results)
    usages = [r.links for r in runs]
    if any(usage is None for usage in usages):
        raise CollectivesError("expected runs on a network (Simulation(..., network=...)), got "
                               "one without")
    names = list(titles) if titles is not None else [_title(r) for r in runs]
    bars = sum(len(usage.link_ids) for usage in usages if usage is not None)
    figure = new_figure(max(5.0, 2.0 * len(runs) + 0.22 * bars), 3.6)
    axes = np.atleast_1d(figure.subplots(1, len(runs), sharey=True))
    for ax, usage, name in zip(axes, usages, names, strict=True):
        assert usage is not None
        ax.bar(range(len(usage.link_ids)), usage.nbytes / 1024, color="tab:blue")
        ax.set_xticks(range(len(usage.link_ids)), usage.names, rotation=90, fontsize=8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("link")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("KiB carried")
    return LinkBarsPicture(save(figure, path), names,
                           [usage.names for usage in usages if usage is not None],
                           [usage.nbytes.copy() for usage in usages if usage is not None],
                           [usage.busy.copy() for usage in usages if usage is not None])
