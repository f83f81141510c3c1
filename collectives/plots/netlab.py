"""The lab's pictures, drawn from the JSON rows its studies wrote (:mod:`collectives.netlab`):
measured times as markers, the simulator's as lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collectives.netlab.report import load_rows
from collectives.plots.figure import new_figure, save

MIB = 1 << 20


def plot_ring_scaling(source: Path, path: Path) -> Path:
    """Ring all-reduce on rings of N hosts: bus bandwidth with every link the same, and the
    time with one link at a quarter rate beside the formula."""
    rows = load_rows(source)
    figure = new_figure(10, 4)
    flat, slow = figure.subplots(1, 2)
    uniform = sorted((r for r in rows if r["slow"] is None), key=lambda r: r["ranks"])
    ranks = np.array([r["ranks"] for r in uniform])
    factor = 2 * (ranks - 1) / ranks
    size = uniform[0]["size"]
    for key, style, label in (("measured", "o", "measured"), ("predicted", "-", "simulated")):
        busbw = np.array([size / r[key] for r in uniform]) * factor / 1e6
        flat.plot(ranks, busbw, style, label=label)
    link = uniform[0]["bandwidth"] * uniform[0]["efficiency"] / 1e6
    flat.axhline(link, color="grey", linestyle="--", label="one link's data rate")
    flat.set(xlabel="hosts on the ring (N)", ylabel="bus bandwidth (MB/s)",
             title=f"ring all-reduce, {size // MIB} MiB, every link the same",
             ylim=(0, link * 1.3))
    flat.legend()
    narrow = sorted((r for r in rows if r["slow"] is not None), key=lambda r: r["ranks"])
    ranks = np.array([r["ranks"] for r in narrow])
    for key, style, label in (("measured", "o", "measured"), ("predicted", "-", "simulated")):
        slow.plot(ranks, [r[key] * 1e3 for r in narrow], style, label=label)
    formula = [2 * (r["ranks"] - 1) * (r["alpha"] + size / (r["ranks"] * r["slow"]
                                                              * r["efficiency"])) * 1e3
               for r in narrow]
    slow.plot(ranks, formula, ":", color="black", label="2(N-1)(α + K/(N·B_slowest))")
    slow.set(xlabel="hosts on the ring (N)", ylabel="time (ms)", ylim=(0, None),
             title="one link at a quarter of the others' rate")
    slow.legend()
    return save(figure, path)


def plot_ring_against_tree(source: Path, path: Path) -> Path:
    """Ring and tree all-reduce on a ring of hosts against size."""
    rows = load_rows(source)
    figure = new_figure(6, 4)
    axes = figure.subplots()
    for algorithm, colour in (("ring", "tab:blue"), ("tree", "tab:orange")):
        mine = sorted((r for r in rows if r["algorithm"] == algorithm), key=lambda r: r["size"])
        sizes = np.array([r["size"] for r in mine]) / MIB
        axes.plot(sizes, [r["measured"] * 1e3 for r in mine], "o", color=colour,
                  label=f"{algorithm}, measured")
        axes.plot(sizes, [r["predicted"] * 1e3 for r in mine], "-", color=colour,
                  label=f"{algorithm}, simulated")
    axes.set(xscale="log", yscale="log", xlabel="message size (MiB)", ylabel="time (ms)",
             title=f"all-reduce on a ring of {rows[0]['ranks']} hosts")
    axes.legend()
    return save(figure, path)


def plot_predictions(sources: dict[str, Path], path: Path) -> Path:
    """Every measured cell against the simulator's, one colour per lab, with ±10% and ±25%."""
    figure = new_figure(6, 5)
    axes = figure.subplots()
    low, high = np.inf, 0.0
    for label, source in sources.items():
        rows = load_rows(source)
        predicted = np.array([r["predicted"] for r in rows]) * 1e3
        measured = np.array([r["measured"] for r in rows]) * 1e3
        big = np.array([r["size"] >= MIB for r in rows])
        axes.plot(predicted[big], measured[big], "o", label=f"{label} (≥ 1 MiB)")
        axes.plot(predicted[~big], measured[~big], "x", label=f"{label} (< 1 MiB)")
        low, high = min(low, predicted.min(), measured.min()), max(high, predicted.max(),
                                                                    measured.max())
    line = np.array([low / 1.5, high * 1.5])
    axes.plot(line, line, color="black", linewidth=0.8)
    for band, style in ((0.10, "--"), (0.25, ":")):
        for side in (1 - band, 1 + band):
            axes.plot(line, line * side, style, color="grey", linewidth=0.8)
    axes.set(xscale="log", yscale="log", xlabel="simulated (ms)", ylabel="measured (ms)",
             title="every algorithm on the lab: measured against simulated")
    axes.legend(fontsize=7)
    return save(figure, path)


def draw_lab_pictures(folder: Path, out: Path) -> dict[Path, str]:
    """Every lab picture whose JSON is in ``folder`` (``ring_scaling.json``,
    ``ring_vs_tree.json``, ``predict_LAB.json``), drawn into ``out``: path -> caption."""
    folder, out = Path(folder), Path(out)
    drawn = {}
    studies = {"ring_scaling.json": (plot_ring_scaling, "netlab_ring_scaling.png",
                                     "ring all-reduce on rings of N hosts, measured and "
                                     "simulated"),
               "ring_vs_tree.json": (plot_ring_against_tree, "netlab_ring_vs_tree.png",
                                     "ring against tree all-reduce on a ring of hosts")}
    for name, (plot, picture, caption) in studies.items():
        if (folder / name).exists():
            drawn[plot(folder / name, out / picture)] = f"{caption} (from {folder / name})"
    predictions = {source.stem.removeprefix("predict_"): source
                   for source in sorted(folder.glob("predict_*.json"))}
    if predictions:
        path = plot_predictions(predictions, out / "netlab_predictions.png")
        drawn[path] = "every measured cell against the simulator's, by lab"
    return drawn
