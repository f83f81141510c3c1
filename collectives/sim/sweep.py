"""Timed count-only runs, the unit of every sweep across N or message sizes.

A count-only run moves no data, it only counts steps and bytes and times them on the network,
so a sweep to thousands of ranks costs the schedule's steps and no buffers of N ranks (the
engine's memory is O(N) per step, :mod:`collectives.sim.engine`). Bars over a sweep belong to
its caller (:mod:`collectives.cli.progress`).
"""

from __future__ import annotations

from collectives.sim.engine import SimResult, Simulation
from collectives.sim.network import Network


def timed_run(collective: str, algorithm: str, network: Network, count: int, *,
              dtype: str = "float32", root: int = 0,
              keep_transfers: bool | None = None) -> SimResult:
    """A count-only run of ``algorithm`` on ``network``'s ranks, timed on ``network``."""
    return Simulation.count_only(collective, ranks=network.ranks, count=count, dtype=dtype,
                                 algorithm=algorithm, root=root, network=network,
                                 keep_transfers=keep_transfers).run()
