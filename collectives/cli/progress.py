"""Progress bars of the command line and the scripts: a sweep's items, a long run's steps.

The bar (tqdm) goes to stderr and shows only when stderr is a terminal and no test is running,
so piped output, golden files and test logs never see it; a run's bar of steps shows only once
the run has taken :data:`STEP_BAR_DELAY` seconds. The simulator itself draws nothing: a bar of
steps drives :meth:`Simulation.step <collectives.sim.engine.Simulation.step>` from outside.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

from collectives.sim.engine import SimResult, Simulation

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
