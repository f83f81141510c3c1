"""Where the simulated world's rank threads meet: each call waits for every rank's, the last to
arrive serves them all, and a failure anywhere releases everyone.

Every rank runs in its own thread and makes its world calls in program order; the k-th call of
each rank meets the k-th call of every other. :meth:`Meeting.meet` deposits a rank's request and
blocks on the rank's own gate (a lock held closed between calls); the rank that arrives last
calls ``serve(requests)`` in its own thread, hands each rank its outcome and opens the gates.
:meth:`Meeting.abort` (a rank's program raised) opens every gate with :class:`PeerFailed` and
makes every later call raise it at once, so no rank is left waiting for one that will never
come. A rank that returns from its program makes a last call, so ranks still calling
collectives meet it and fail instead of waiting forever.

Cost per call: one lock round trip per rank, one wake-up per waiting rank (a thread switch
under the GIL, a few microseconds), and the serve call in one thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


class PeerFailed(BaseException):
    """Raised in a rank whose peer failed, to unwind it; the world raises the peer's error.

    A BaseException, so a program's ``except Exception`` cannot swallow it and go on waiting."""


@dataclass(frozen=True)
class Raise:
    """An outcome that is raised in its rank rather than returned."""

    error: BaseException


_FAILED = Raise(PeerFailed())


class Meeting:
    """The meeting point of ``ranks`` threads; ``serve`` turns the N requests of one call into
    the N outcomes (values, or :class:`Raise`)."""

    def __init__(self, ranks: int, serve: Callable[[list[Any]], Sequence[Any]]) -> None:
        self._ranks = ranks
        self._serve = serve
        self._lock = threading.Lock()
        self._gates = [threading.Lock() for _ in range(ranks)]
        for gate in self._gates:
            gate.acquire()  # closed: a waiting rank blocks on its gate until it is opened
        self._requests: list[Any] = [None] * ranks
        self._outcomes: list[Any] = [None] * ranks
        self._waiting: list[int] = []  #: ranks that arrived at the call being gathered
        self._aborted = False

    @property
    def aborted(self) -> bool:
        """True once a rank failed: every call raises :class:`PeerFailed` from then on."""
        return self._aborted

    def check(self) -> None:
        """Raise :class:`PeerFailed` if a rank has failed (for calls that meet nobody)."""
        if self._aborted:
            raise PeerFailed

    def meet(self, rank: int, request: Any) -> Any:
        """Wait for every rank's call; return this rank's outcome (or raise it)."""
        with self._lock:
            if self._aborted:
                raise PeerFailed
            self._requests[rank] = request
            self._waiting.append(rank)
            last = len(self._waiting) == self._ranks
            if last:
                self._waiting = []
        if not last:
            self._gates[rank].acquire()
            outcome, self._outcomes[rank] = self._outcomes[rank], None
        else:
            requests, self._requests = self._requests, [None] * self._ranks
            try:
                outcomes = list(self._serve(requests))
            except BaseException:
                self._release(rank, [_FAILED] * self._ranks)
                raise
            self._release(rank, outcomes)
            outcome = outcomes[rank]
        if isinstance(outcome, Raise):
            raise outcome.error if outcome is not _FAILED else PeerFailed
        return outcome

    def _release(self, server: int, outcomes: list[Any]) -> None:
        with self._lock:
            for rank in range(self._ranks):
                if rank != server:
                    self._outcomes[rank] = outcomes[rank]
                    self._gates[rank].release()

    def abort(self) -> None:
        """A rank failed: release every waiting rank with :class:`PeerFailed`, and fail every
        later call."""
        with self._lock:
            self._aborted = True
            for rank in self._waiting:
                self._outcomes[rank] = _FAILED
                self._gates[rank].release()
            self._waiting = []
