"""How ring and tree all-reduce scale with N: bytes per rank, and time on two networks.

Bytes: count-only runs; the busiest rank of each algorithm and the tree's mean, beside the
reference's 2(N-1)K/N and its limit 2K. Time: runs timed on a fully connected network with
uniform links and on a ring with one slow link (0 <-> 1), beside ring all-reduce's formulas
2(N-1)(alpha + K/(N·B)) + (N-1)(K/N)·gamma for B the uniform and the slowest bandwidth, and the
limit 2K/B_slowest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from collectives.cli.progress import progress
from collectives.plots.figure import new_figure, save
from collectives.sim.engine import Simulation
from collectives.sim.network import (
    DEFAULT_ALPHA,
    DEFAULT_BANDWIDTH,
    DEFAULT_GAMMA,
    fully_connected,
    ring,
)
from collectives.sim.sweep import timed_run

DEFAULT_COUNT = 1 << 20  #: float32 elements: K = 4 MiB


@dataclass(frozen=True)
class BytesScalingPicture:
    """Bytes per rank against N (all arrays indexed like ``ranks``)."""

    path: Path
    ranks: np.ndarray
    nbytes: int  #: K
    ring_busiest: np.ndarray
    tree_busiest: np.ndarray
    tree_mean: np.ndarray
    bound: np.ndarray  #: 2(N-1)K/N
    limit: float  #: 2K


@dataclass(frozen=True)
class TimeScalingPicture:
    """Seconds against N for each (algorithm, network) curve, and the ring formulas."""

    path: Path
    ranks: np.ndarray
    nbytes: int  #: K
    alpha: float
    bandwidth: float
    slow_bandwidth: float
    gamma: float
    curves: dict[str, np.ndarray]  #: "ring, uniform links", "tree, one slow link", ...
    ring_formula_uniform: np.ndarray
    ring_formula_slow: np.ndarray
    limit_slow: float  #: 2K / B_slowest


def ring_allreduce_formula(ranks: np.ndarray, nbytes: int, alpha: float, bandwidth: float,
                           gamma: float) -> np.ndarray:
    """2(N-1)(alpha + K/(N·B)) + (N-1)(K/N)·gamma, for each N."""
    n = np.asarray(ranks, dtype=float)
    return 2 * (n - 1) * (alpha + nbytes / (n * bandwidth)) + (n - 1) * (nbytes / n) * gamma


def bytes_scaling(ranks: Sequence[int], path: str | Path, *,
                  count: int = DEFAULT_COUNT) -> BytesScalingPicture:
    """Bytes per rank of ring and tree all-reduce (float32, ``count`` elements) against N."""
    ns = np.array(sorted(ranks), dtype=np.int64)
    ring_busiest, tree_busiest, tree_mean = [], [], []
    for n in progress(ns.tolist(), desc="bytes per rank"):
        rings = Simulation.count_only("allreduce", ranks=n, count=count, algorithm="ring",
                                      keep_transfers=False).run()
        trees = Simulation.count_only("allreduce", ranks=n, count=count, algorithm="tree",
                                      keep_transfers=False).run()
        ring_busiest.append(int(rings.bytes_sent.max()))
        tree_busiest.append(int(trees.bytes_sent.max()))
        tree_mean.append(float(trees.bytes_sent.mean()))
    k = count * 4
    bound = 2 * (ns - 1) * k / ns
    figure = new_figure(6.4, 4.0)
    ax = figure.subplots()
    ax.plot(ns, np.array(tree_busiest) / k, "s-", color="tab:red",
            label="tree, busiest rank (the root: ⌈lg N⌉K)")
    ax.plot(ns, np.array(tree_mean) / k, "s:", color="tab:red", alpha=0.6,
            label="tree, mean over ranks")
    ax.plot(ns, np.array(ring_busiest) / k, "o-", color="tab:blue", label="ring, every rank")
    ax.plot(ns, bound / k, "--", color="black", linewidth=1, label="2(N−1)K/N")
    ax.axhline(2, color="grey", linestyle=":", label="limit 2K")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("ranks N")
    ax.set_ylabel("bytes sent per rank / K")
    ax.set_title(f"all-reduce of K = {k // 1024} KiB: bytes each rank sends", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return BytesScalingPicture(save(figure, path), ns, k, np.array(ring_busiest),
                               np.array(tree_busiest), np.array(tree_mean), bound, 2.0 * k)


def time_scaling(ranks: Sequence[int], path: str | Path, *, count: int = DEFAULT_COUNT,
                 alpha: float = DEFAULT_ALPHA, bandwidth: float = DEFAULT_BANDWIDTH,
                 slow_bandwidth: float = DEFAULT_BANDWIDTH / 10,
                 gamma: float = DEFAULT_GAMMA) -> TimeScalingPicture:
    """Time of ring and tree all-reduce (float32, ``count`` elements) against N, on uniform
    fully connected links and on a ring whose link 0 <-> 1 has ``slow_bandwidth``."""
    ns = np.array(sorted(n for n in ranks if n >= 2), dtype=np.int64)
    figures = {"alpha": alpha, "bandwidth": bandwidth, "gamma": gamma}
    curves: dict[str, list[float]] = {}
    for n in progress(ns.tolist(), desc="time against N"):
        networks = {"uniform links": fully_connected(n, **figures),
                    "one slow link": ring(n, **figures).with_link(0, 1,
                                                                   bandwidth=slow_bandwidth)}
        for where, network in networks.items():
            for algorithm in ("ring", "tree"):
                result = timed_run("allreduce", algorithm, network, count, keep_transfers=False)
                curves.setdefault(f"{algorithm}, {where}", []).append(float(result.time or 0))
    k = count * 4
    uniform = ring_allreduce_formula(ns, k, alpha, bandwidth, gamma)
    slow = ring_allreduce_formula(ns, k, alpha, slow_bandwidth, gamma)
    figure = new_figure(6.4, 4.2)
    ax = figure.subplots()
    styles = {"ring, uniform links": ("o-", "tab:blue"), "tree, uniform links": ("s-", "tab:red"),
              "ring, one slow link": ("o--", "tab:cyan"),
              "tree, one slow link": ("s--", "tab:orange")}
    for name, values in curves.items():
        marker, colour = styles[name]
        ax.plot(ns, np.array(values) * 1e3, marker, color=colour, label=name)
    ax.plot(ns, uniform * 1e3, ":", color="black", linewidth=1,
            label="2(N−1)(α + K/(N·B)) + γ term")
    ax.plot(ns, slow * 1e3, "-.", color="black", linewidth=1,
            label="same with B = slowest link")
    ax.axhline(2 * k / slow_bandwidth * 1e3, color="grey", linestyle=":",
               label="limit 2K/B_slowest")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("ranks N")
    ax.set_ylabel("time (ms)")
    ax.set_title(f"all-reduce of K = {k // 1024} KiB; α = {alpha:g} s, B = {bandwidth:g} B/s, "
                 f"slow link {slow_bandwidth:g} B/s", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncols=2)
    return TimeScalingPicture(save(figure, path), ns, k, alpha, bandwidth, slow_bandwidth, gamma,
                              {name: np.array(values) for name, values in curves.items()},
                              uniform, slow, 2 * k / slow_bandwidth)
