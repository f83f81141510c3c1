"""The process group the tensor-parallel layers talk to: one rank's view of N ranks.

Layer code is written per rank and calls :meth:`Group.allreduce`; a backend supplies the
collective. :class:`CommunicatorGroup` all-reduces through a communicator with
:class:`collectives.mpi.Communicator`'s API; two backends give it one:
:class:`~collectives.tensor_parallel.sim_backend.SimGroup` (all ranks in one process, on the
simulated world) and :class:`~collectives.tensor_parallel.mpi_backend.MpiGroup` (one rank per
MPI process). Every call is logged with the bytes this rank sent, so a block's communication can
be read afterwards.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from collectives.errors import InvalidInputError


@dataclass(frozen=True)
class AllReduceRecord:
    """One all-reduce as one rank saw it."""

    label: str  #: which operator called it, such as ``"mlp.g.forward"``
    shape: tuple[int, ...]
    itemsize: int
    bytes_sent: int  #: bytes this rank sent during the call

    @property
    def count(self) -> int:
        """Elements reduced."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        """The reference's K: bytes of one rank's buffer."""
        return self.count * self.itemsize


class Group(ABC):
    """One rank of a tensor-parallel group of ``size`` ranks, all-reducing with ``algorithm``."""

    def __init__(self, rank: int, size: int, algorithm: str) -> None:
        if size < 1:
            raise InvalidInputError(f"expected a group of at least 1 rank, got {size}")
        if not 0 <= rank < size:
            raise InvalidInputError(f"expected a rank in 0..{size - 1}, got {rank}")
        self.rank = rank
        self.size = size
        self.algorithm = algorithm
        self.records: list[AllReduceRecord] = []

    def allreduce(self, x: np.ndarray, *, label: str) -> np.ndarray:
        """The elementwise sum of every rank's ``x`` (a new array); logs the call as ``label``."""
        x = np.ascontiguousarray(x)
        result, sent = self._allreduce(x, label)
        self.records.append(AllReduceRecord(label, tuple(x.shape), x.dtype.itemsize, int(sent)))
        return result

    @abstractmethod
    def _allreduce(self, x: np.ndarray, label: str) -> tuple[np.ndarray, int]:
        """The backend's all-reduce: the summed array and the bytes this rank sent."""

    def bytes_sent(self, prefix: str = "") -> int:
        """Bytes this rank sent in the logged calls whose label starts with ``prefix``."""
        return sum(r.bytes_sent for r in self.records if r.label.startswith(prefix))


class CommunicatorGroup(Group):
    """A group over ``comm``, a :class:`collectives.mpi.Communicator` or a simulated rank's
    :class:`~collectives.sim.world_comm.WorldCommunicator` (the same API).

    Each all-reduce runs in the phase named by its label and inside the communicator's traffic
    recorder; the bytes this rank sent are read from the recorded traffic matrix (gathered after
    the call, outside the recording), so the log holds what the algorithm sent, not a formula.
    """

    def __init__(self, comm: Any, algorithm: str = "ring") -> None:
        self.comm = comm
        super().__init__(comm.rank, comm.size, algorithm)

    def _allreduce(self, x: np.ndarray, label: str) -> tuple[np.ndarray, int]:
        with self.comm.phase(label), self.comm.record_traffic():
            result = self.comm.allreduce(x, op="sum", algorithm=self.algorithm)
        return result, int(self.comm.traffic_matrix()[self.rank].sum())
