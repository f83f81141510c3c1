"""One collective call as an algorithm sees it on one rank: the problem, the working buffer,
the transport, and a reusable scratch buffer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from collectives.mpi.transport import Transport
from collectives.ops import Op
from collectives.spec import Problem


class ScratchPool:
    """One grow-only byte buffer per communicator, lent to each call as its scratch chunk, so a
    loop of calls allocates nothing once the largest chunk has been seen."""

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
    :class:`collectives.spec.Problem` says (input placed, result read from ``output_span``)."""

    problem: Problem
    rank: int
    work: np.ndarray
    transport: Transport
    comm: Any  #: the communicator's private duplicate (for MPI's built-in collectives)
    pool: ScratchPool

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
        """The call's one scratch chunk: ``length`` elements of the problem's dtype."""
        return self.pool.take(length, self.problem.dtype)
