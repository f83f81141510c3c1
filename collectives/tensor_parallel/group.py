"""The process group the tensor-parallel layers talk to: one rank's view of N ranks.

Layer code is written per rank and calls :meth:`Group.allreduce` (tensor parallelism) or
:meth:`Group.reduce_scatter` and :meth:`Group.allgather` along an axis (sequence parallelism,
which needs ``size`` to divide that axis); a backend supplies the collectives.
:class:`CommunicatorGroup` runs them through a communicator with
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

COLLECTIVES = ("allreduce", "reduce_scatter", "allgather")


@dataclass(frozen=True)
class AllReduceRecord:
    """One collective call as one rank saw it (all-reduce unless ``collective`` says otherwise).

    ``shape`` is the whole tensor's: the all-reduced buffer, the reduce-scatter's input, the
    all-gather's output; so :attr:`nbytes` is the reference's K for all three.
    """

    label: str  #: which operator called it, such as ``"mlp.g.forward"``
    shape: tuple[int, ...]
    itemsize: int
    bytes_sent: int  #: bytes this rank sent during the call
    collective: str = "allreduce"  #: one of :data:`COLLECTIVES`

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

    def reduce_scatter(self, x: np.ndarray, *, axis: int, label: str) -> np.ndarray:
        """This rank's part (the rank-th of ``size`` along ``axis``) of the sum of every rank's
        ``x``; logs the call as ``label``."""
        axis = self._split_axis(x, axis)
        stacked = np.moveaxis(x, axis, 0)
        stacked = np.ascontiguousarray(stacked.reshape(self.size, -1, *stacked.shape[1:]))
        part, sent = self._collective("reduce_scatter", stacked, label)
        self.records.append(AllReduceRecord(label, tuple(x.shape), x.dtype.itemsize, int(sent),
                                            "reduce_scatter"))
        return np.moveaxis(part, 0, axis)

    def allgather(self, x: np.ndarray, *, axis: int, label: str) -> np.ndarray:
        """Every rank's ``x`` joined along ``axis`` in rank order; logs the call as ``label``."""
        axis = self._axis(x, axis)
        gathered, sent = self._collective("allgather",
                                          np.ascontiguousarray(np.moveaxis(x, axis, 0)), label)
        whole = np.moveaxis(gathered.reshape(-1, *gathered.shape[2:]), 0, axis)
        self.records.append(AllReduceRecord(label, tuple(whole.shape), x.dtype.itemsize,
                                            int(sent), "allgather"))
        return whole

    def _axis(self, x: np.ndarray, axis: int) -> int:
        if not -x.ndim <= axis < x.ndim:
            raise InvalidInputError(f"expected an axis of a {x.ndim}-d array, got {axis}")
        return axis % x.ndim

    def _split_axis(self, x: np.ndarray, axis: int) -> int:
        axis = self._axis(x, axis)
        if x.shape[axis] % self.size:
            raise InvalidInputError(f"expected an axis {axis} of length divisible by the "
                                    f"{self.size} ranks, got {x.shape[axis]}")
        return axis

    @abstractmethod
    def _allreduce(self, x: np.ndarray, label: str) -> tuple[np.ndarray, int]:
        """The backend's all-reduce: the summed array and the bytes this rank sent."""

    @abstractmethod
    def _collective(self, collective: str, x: np.ndarray, label: str) -> tuple[np.ndarray, int]:
        """The backend's reduce-scatter (of ``x`` shaped [size, ...]) or all-gather (into
        [size, *x.shape]): the result and the bytes this rank sent."""

    def bytes_sent(self, prefix: str = "") -> int:
        """Bytes this rank sent in the logged calls whose label starts with ``prefix``."""
        return sum(r.bytes_sent for r in self.records if r.label.startswith(prefix))


class CommunicatorGroup(Group):
    """A group over ``comm``, a :class:`collectives.mpi.Communicator` or a simulated rank's
    :class:`~collectives.sim.world_comm.WorldCommunicator` (the same API).

    Each call runs in the phase named by its label and inside the communicator's traffic
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

    def _collective(self, collective: str, x: np.ndarray, label: str) -> tuple[np.ndarray, int]:
        with self.comm.phase(label), self.comm.record_traffic():
            if collective == "reduce_scatter":
                result = self.comm.reduce_scatter(x, op="sum", algorithm=self.algorithm)
            else:
                result = self.comm.allgather(x, algorithm=self.algorithm)
        return result, int(self.comm.traffic_matrix()[self.rank].sum())
