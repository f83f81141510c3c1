"""Waiting with a deadline: MPI's own waits block for ever, so every wait of this package polls
its request and gives up once the communicator's deadline has passed.

A poll is one ``Test``, about as quick to see a message as MPI's ``Wait`` (which polls too); the
clock is read only every few hundred polls. A ``patient`` wait gives the core away
(``os.sched_yield``) between polls, for a node running more ranks than it has cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from time import monotonic

from collectives.errors import InvalidInputError

DEFAULT_DEADLINE = 300.0  #: seconds a wait may last before it raises DeadlineError
_POLLS_PER_CLOCK = 256  # polls between reads of the clock


def check_deadline(seconds: float) -> float:
    """``seconds`` as a float > 0; InvalidInputError otherwise."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise InvalidInputError(f"expected a deadline in seconds > 0, got {seconds!r}")
    return float(seconds)


def poll(test: Callable[[], bool], seconds: float, *, patient: bool = False) -> bool:
    """Call ``test`` until it returns True (then True), or until ``seconds`` have passed since
    the first call (then False)."""
    if test():
        return True
    limit = monotonic() + seconds
    polls = 0
    while not test():
        if patient:
            os.sched_yield()
        polls += 1
        if polls == _POLLS_PER_CLOCK:
            polls = 0
            if monotonic() > limit:
                return test()
    return True
