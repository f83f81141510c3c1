"""The simulator backend: N ranks' per-rank code run in lockstep in one process.

Each rank's program runs in its own thread; a call to :meth:`SimGroup.allreduce` waits until
every rank has made its call, then one :func:`collectives.sim.simulate` call reduces the N
buffers with the chosen algorithm and hands each rank its output and the bytes it sent. The
threads only meet at all-reduces, so the run is as deterministic as the layer code. Ranks that
disagree (different labels, shapes, or one rank finishing while another all-reduces) fail with
an error instead of hanging. Importing this module never starts MPI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from collectives.errors import InvalidInputError, MismatchError
from collectives.sim import simulate
from collectives.tensor_parallel.group import Group

T = TypeVar("T")

_FINISHED = "<program finished>"


class _PeerFailed(Exception):
    """Raised in a rank whose peer failed, to unwind it; never seen by the caller."""


class SimGroup(Group):
    """One rank of a :class:`SimWorld`."""

    def __init__(self, world: SimWorld, rank: int) -> None:
        super().__init__(rank, world.size, world.algorithm)
        self._world = world

    def _allreduce(self, x: np.ndarray, label: str) -> tuple[np.ndarray, int]:
        return self._world.meet(self.rank, x, label)


class SimWorld:
    """``size`` simulated ranks whose all-reduces run on the simulator with ``algorithm``."""

    def __init__(self, size: int, algorithm: str = "ring") -> None:
        if size < 1:
            raise InvalidInputError(f"expected at least 1 rank, got {size}")
        self.size = size
        self.algorithm = algorithm
        self._barrier = threading.Barrier(size, action=self._collect)
        self._calls: list[tuple[np.ndarray | None, str]] = [(None, "")] * size
        self._outputs: list[np.ndarray] = []
        self._sent: np.ndarray = np.zeros(size, dtype=np.int64)
        self._failure: BaseException | None = None

    def run(self, program: Callable[[SimGroup], T]) -> list[T]:
        """Run ``program(group)`` once per rank, in lockstep; return each rank's result.

        The first exception a rank raises (or a disagreement between ranks) is re-raised here.
        """
        self._barrier = threading.Barrier(self.size, action=self._collect)
        self._failure = None
        groups = [SimGroup(self, rank) for rank in range(self.size)]
        results: list[T | None] = [None] * self.size
        errors: list[BaseException | None] = [None] * self.size

        def body(rank: int) -> None:
            try:
                results[rank] = program(groups[rank])
                self.meet(rank, None, _FINISHED)
            except BaseException as error:  # handed to the caller below
                errors[rank] = error
                self._barrier.abort()

        threads = [threading.Thread(target=body, args=(rank,), name=f"sim-rank-{rank}")
                   for rank in range(self.size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self._failure is not None:
            raise self._failure
        for error in errors:
            if error is not None and not isinstance(error, _PeerFailed):
                raise error
        return results  # type: ignore[return-value]

    def meet(self, rank: int, x: np.ndarray | None, label: str) -> tuple[np.ndarray, int]:
        """Wait for every rank's call, then return this rank's output and bytes sent."""
        self._calls[rank] = (x, label)
        try:
            self._barrier.wait()
        except threading.BrokenBarrierError:
            raise _PeerFailed from None
        if x is None:
            return np.empty(0), 0
        return self._outputs[rank], int(self._sent[rank])

    def _collect(self) -> None:
        """Barrier action, run by one thread once all ranks have arrived."""
        try:
            labels = [label for _, label in self._calls]
            if len(set(labels)) > 1:
                calls = ", ".join(f"rank {rank}: {label!r}" for rank, label in enumerate(labels))
                raise MismatchError(f"expected every rank to make the same call, got {calls}")
            if labels[0] == _FINISHED:
                return
            result = simulate("allreduce", [x for x, _ in self._calls],
                              algorithm=self.algorithm, op="sum")
            assert result.outputs is not None
            self._outputs = [out for out in result.outputs if out is not None]
            self._sent = result.bytes_sent
        except BaseException as error:
            self._failure = error
            raise


def run_simulated(size: int, program: Callable[[SimGroup], T], *,
                  algorithm: str = "ring") -> list[T]:
    """Run the per-rank ``program`` on ``size`` simulated ranks; each rank's result, in order."""
    return SimWorld(size, algorithm).run(program)
