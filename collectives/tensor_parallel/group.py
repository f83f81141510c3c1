"""The process group the tensor-parallel layers talk to: one rank's view of N ranks.

Layer code is written per rank and calls :meth:`Group.allreduce`; a backend supplies the
collective. Two backends exist: :class:`~collectives.tensor_parallel.sim_backend.SimGroup`
(all ranks in one process, the library's simulator) and
:class:`~collectives.tensor_parallel.mpi_backend.MpiGroup` (one rank per MPI process). Every call
is logged with the bytes this rank sent, so a block's communication can be read afterwards.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

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
