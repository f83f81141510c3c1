"""Sweeps of simulated runs across N or message sizes, and long runs, with a progress bar.

The bar (tqdm) goes to stderr and shows only when stderr is a terminal and no test is running,
so piped output, golden files and test logs never see it; a run's bar of steps shows only once
the run has taken :data:`STEP_BAR_DELAY` seconds.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

from collectives.sim.engine import SimResult, Simulation
from collectives.sim.network import Network

Item = TypeVar("Item")

STEP_BAR_DELAY = 1.0  #: seconds a run goes before its bar of steps shows


def progress_enabled() -> bool:
    """True when a progress bar would be seen: stderr is a terminal and no test runs."""
    return sys.stderr.isatty() and "PYTEST_CURRENT_TEST" not in os.environ


def progress(items: Iterable[Item], *, desc: str, total: int | None = None) -> Iterator[Item]:
    """``items``, one by one, behind a progress bar on stderr (when one would be seen)."""
    yield from tqdm(items, desc=desc, total=total, file=sys.stderr, leave=False,
                    disable=not progress_enabled())


def run_steps(simulation: Simulation, *, desc: str, total: int | None = None) -> SimResult:
    """Run ``simulation`` to the end behind a bar of its steps (``total`` expected) on stderr,
    when one would be seen, and return its result."""
    with tqdm(total=total, desc=desc, unit="step", file=sys.stderr, leave=False,
              delay=STEP_BAR_DELAY, disable=not progress_enabled()) as bar:
        while not simulation.done:
            simulation.step()
            bar.update()
    return simulation.result()


def timed_run(collective: str, algorithm: str, network: Network, count: int, *,
              dtype: str = "float32", root: int = 0,
              keep_transfers: bool | None = None) -> SimResult:
    """A count-only run of ``algorithm`` on ``network``'s ranks, timed on ``network``."""
    return Simulation.count_only(collective, ranks=network.ranks, count=count, dtype=dtype,
                                 algorithm=algorithm, root=root, network=network,
                                 keep_transfers=keep_transfers).run()
