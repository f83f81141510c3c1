"""Figures without pyplot: a matplotlib Figure rendered by Agg, saved small (dpi 100)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

DPI = 100
_CHUNK_COLOURS = matplotlib.colormaps["tab20"]


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` × ``height`` inches with constrained layout."""
    return Figure(figsize=(width, height), layout="constrained")


def save(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as PNG to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path


def chunk_colour(chunk: int) -> tuple[float, float, float, float]:
    """One colour per chunk (20 before they repeat); grey for -1 (no chunk)."""
    if chunk < 0:
        return (0.6, 0.6, 0.6, 1.0)
    # even entries of tab20 first: the saturated colours, then their light partners
    index = (2 * chunk) % 20 + (chunk // 10) % 2
    return _CHUNK_COLOURS(index)


def time_unit(seconds: float) -> tuple[str, float]:
    """("µs", 1e-6)-style unit for an axis spanning ``seconds``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return unit, scale
    return "ns", 1e-9
