"""busbw against message size, one line per algorithm, from the benchmark's CSV.

:func:`busbw_curves` returns the numbers behind the picture (so a test can check them without
looking at pixels); :func:`plot_busbw` draws them (:mod:`collectives.plots.figure`) on a log x axis,
with the per-rank copy bandwidth as a dashed ceiling when the CSV has it, and writes a PNG.
Rows of several collectives or rank counts in one CSV become separate, labelled lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.ticker import FuncFormatter

from collectives.bench.report import read_csv
from collectives.bench.sizes import format_size
from collectives.errors import InvalidInputError
from collectives.plots.figure import new_figure, save


@dataclass(frozen=True)
class Curve:
    """One line of the plot: sizes in bytes and busbw in GB/s, out of place and in place."""

    label: str
    sizes: tuple[int, ...]
    busbw: tuple[float, ...]
    busbw_in_place: tuple[float | None, ...]


@dataclass(frozen=True)
class BusbwPlot:
    """Everything the plot shows."""

    curves: tuple[Curve, ...]
    copy_per_rank_gbs: float | None
    title: str


def busbw_curves(records: list[dict[str, Any]]) -> BusbwPlot:
    """Group CSV records by (collective, ranks, algorithm) into curves sorted by size."""
    if not records:
        raise InvalidInputError("expected benchmark rows in the CSV, got none")
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for record in records:
        key = (record["collective"], int(record["ranks"]), record["algorithm"])
        groups.setdefault(key, []).append(record)
    collectives = sorted({key[0] for key in groups})
    ranks = sorted({key[1] for key in groups})
    curves = []
    for (collective, n, algorithm), group in groups.items():
        group = sorted(group, key=lambda r: r["size_bytes"])
        label = algorithm
        if len(ranks) > 1:
            label += f", N={n}"
        if len(collectives) > 1:
            label = f"{collective} {label}"
        curves.append(Curve(label, tuple(int(r["size_bytes"]) for r in group),
                            tuple(float(r["oop_busbw_gbs"]) for r in group),
                            tuple(r["ip_busbw_gbs"] for r in group)))
    copies = [r["copy_per_rank_gbs"] for r in records if r.get("copy_per_rank_gbs") is not None]
    copy = min(copies) if copies else None
    title = f"{', '.join(collectives)} busbw, N = {', '.join(str(n) for n in ranks)}, " \
            f"{records[0]['type']}"
    return BusbwPlot(tuple(curves), copy, title)


def plot_busbw(csv_path: str | Path, png_path: str | Path) -> BusbwPlot:
    """Draw the CSV's busbw curves into ``png_path`` and return the numbers drawn."""
    data = busbw_curves(read_csv(csv_path))
    figure = new_figure(7, 4.5)
    axes = figure.subplots()
    for curve in data.curves:
        axes.plot(curve.sizes, curve.busbw, marker="o", label=curve.label)
    if data.copy_per_rank_gbs is not None:
        axes.axhline(data.copy_per_rank_gbs, color="grey", linestyle="--",
                     label=f"copy, per rank ({data.copy_per_rank_gbs:.2f} GB/s)")
    axes.set_xscale("log", base=2)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: format_size(int(value))))
    axes.set_xlabel("size (bytes)")
    axes.set_ylabel("busbw, out of place (GB/s)")
    axes.set_title(data.title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    save(figure, png_path)
    return data
