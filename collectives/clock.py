"""The clock calls a program makes between collectives, the same in both worlds.

``comm.compute(seconds)`` says the rank computed for that long; ``with comm.measure(scale=...):``
says it computed for the CPU time the block took, times ``scale``; ``with comm.phase(name):``
names the collectives and computation inside it. On simulated ranks
(:class:`collectives.sim.world.WorldCommunicator`) they advance the rank's simulated clock and
label its trace; under MPI (:class:`collectives.mpi.Communicator`) they only check their
arguments and run the block, so a program written with them runs unchanged under ``mpiexec``.
Each costs a few hundred nanoseconds under MPI.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from collectives.errors import InvalidInputError


def checked_seconds(seconds: float, what: str = "seconds") -> float:
    """``seconds`` as a float, refused unless finite and >= 0."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise InvalidInputError(f"expected {what}, a number >= 0, got {seconds!r}") from None
    if not math.isfinite(value) or value < 0:
        raise InvalidInputError(f"expected {what}, a finite number >= 0, got {seconds!r}")
    return value


def checked_label(label: str, what: str = "label") -> str:
    """``label`` if it is a string."""
    if not isinstance(label, str):
        raise InvalidInputError(f"expected {what}, a string, got {type(label).__name__}")
    return label


class ClockCalls:
    """``compute``, ``measure`` and ``phase`` as no-ops that check their arguments (the MPI
    side's; the simulated world's communicator overrides them)."""

    def compute(self, seconds: float, label: str = "compute") -> None:
        """This rank computed for ``seconds`` (simulated ranks advance their clock; MPI: no-op)."""
        checked_seconds(seconds)
        checked_label(label)

    @contextmanager
    def measure(self, scale: float = 1.0, label: str = "compute") -> Iterator[None]:
        """The block is computation: its CPU time times ``scale`` (simulated ranks advance their
        clock by it; MPI: the block just runs)."""
        checked_seconds(scale, "scale")
        checked_label(label)
        yield

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Name the calls inside the block (simulated ranks record and check it; MPI: the block
        just runs)."""
        checked_label(name, "a phase name")
        yield
