"""One collective call as an algorithm sees it on one rank: the problem, the working buffer, the
input, the transport, and reusable scratch.

Out of place, an algorithm marked :func:`reads_source` reads this rank's input straight from the
caller's array (``call.source``) and writes only ``call.work``, so the input is never copied into
the working buffer first; every other algorithm finds its input already placed in ``call.work``
(and ``call.source`` is then ``call.work`` itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from collectives.mpi.transport import Transport
from collectives.ops import Op
from collectives.spec import Problem

Function = TypeVar("Function", bound=Callable[..., Any])


def reads_source(algorithm: Function) -> Function:
    """Mark an algorithm that reads this rank's input from ``call.source`` (never writing it),
    so the communicator does not place the input in the working buffer before the call."""
    algorithm.reads_source = True  # type: ignore[attr-defined]
    return algorithm


def wants_source(algorithm: Callable[..., Any]) -> bool:
    """True for an algorithm marked with :func:`reads_source`."""
    return bool(getattr(algorithm, "reads_source", False))


def works_in_result(algorithm: Function) -> Function:
    """Mark an algorithm whose ``call.work`` is the caller's flat result array (this rank's
    block alone), not a working buffer laid out as :class:`collectives.spec.Problem` says; it
    also reads its input from ``call.source``, so nothing is placed and nothing copied out."""
    algorithm.works_in_result = True  # type: ignore[attr-defined]
    return reads_source(algorithm)


def wants_result(algorithm: Callable[..., Any]) -> bool:
    """True for an algorithm marked with :func:`works_in_result`."""
    return bool(getattr(algorithm, "works_in_result", False))


class ScratchPool:
    """One grow-only byte buffer per communicator, lent to each call as its scratch, so a loop
    of calls allocates nothing (and touches no fresh page) once the largest has been seen."""

    def __init__(self) -> None:
        self._bytes = np.empty(0, dtype=np.uint8)

    def take(self, length: int, dtype: np.dtype) -> np.ndarray:
        """A contiguous array of ``length`` elements of ``dtype`` (its contents are garbage)."""
        nbytes = length * np.dtype(dtype).itemsize
        if self._bytes.nbytes < nbytes:
            self._bytes = np.empty(nbytes, dtype=np.uint8)
        return self._bytes[:nbytes].view(dtype)


@dataclass
class Call:
    """What an algorithm works on: ``work`` is this rank's flat working buffer laid out as
    :class:`collectives.spec.Problem` says (result read from ``output_span``); ``source`` is
    this rank's flat input, laid out as the caller gave it (``work`` itself when the input was
    placed there or the call is in place)."""

    problem: Problem
    rank: int
    work: np.ndarray
    transport: Transport
    comm: Any  #: the communicator's private duplicate (for MPI's built-in collectives)
    pool: ScratchPool
    source: np.ndarray  #: this rank's flat input; never written unless it is ``work``

    @property
    def size(self) -> int:
        """N, the number of ranks."""
        return self.problem.ranks

    @property
    def op(self) -> Op:
        """The reduction op (reducing collectives only)."""
        if self.problem.op is None:
            raise TypeError(f"{self.problem.collective} has no reduction op")
        return self.problem.op

    def scratch(self, length: int) -> np.ndarray:
        """The call's scratch: ``length`` elements of the problem's dtype (one buffer per call;
        a second call returns the same memory)."""
        return self.pool.take(length, self.problem.dtype)

    def combine(self, into: np.ndarray, mine: np.ndarray, incoming: np.ndarray) -> None:
        """``into = mine ∘ incoming``, this rank's data on the left (the simulator's REDUCE);
        ``into`` is ``mine`` itself or memory apart from it. A ufunc writes ``into`` directly,
        so out of place no copy of ``mine`` is made."""
        op = self.op
        if isinstance(op.func, np.ufunc):
            op.func(mine, incoming, out=into, casting="unsafe")
        else:
            into[...] = op.func(mine, incoming)
