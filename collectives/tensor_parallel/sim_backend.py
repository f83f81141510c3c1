"""The simulator backend: the tensor-parallel layers' per-rank code on a simulated world.

:func:`run_simulated` runs N ranks' code on :class:`collectives.sim.world.World` (one thread
per rank in one process); each rank's :class:`SimGroup` all-reduces through its
:class:`~collectives.sim.world_comm.WorldCommunicator` exactly as
:class:`~collectives.tensor_parallel.mpi_backend.MpiGroup` does through the real
:class:`~collectives.mpi.Communicator` (:class:`~collectives.tensor_parallel.group.
CommunicatorGroup`), in the phase named by the call's label, so ranks that disagree on a call
(label, shape, or one rank finishing while another all-reduces) fail with
:class:`~collectives.errors.MismatchError` instead of hanging. Importing this module never
starts MPI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from collectives.errors import InvalidInputError
from collectives.sim.network import Network
from collectives.sim.world import World, WorldResult
from collectives.sim.world_comm import WorldCommunicator
from collectives.tensor_parallel.group import CommunicatorGroup

T = TypeVar("T")


class SimGroup(CommunicatorGroup):
    """One simulated rank of the group, all-reducing with ``algorithm``."""

    def __init__(self, comm: WorldCommunicator, algorithm: str = "ring") -> None:
        super().__init__(comm, algorithm)


class SimWorld:
    """``size`` simulated ranks whose all-reduces run on the simulator with ``algorithm``, on
    ``network`` when one is given (then :attr:`last_run` has the time)."""

    def __init__(self, size: int, algorithm: str = "ring", *,
                 network: Network | None = None) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidInputError(f"expected at least 1 rank, got {size}")
        self.size = size
        self.algorithm = algorithm
        self._world = World(size, network=network)
        self.last_run: WorldResult | None = None  #: the world's record of the last run

    def run(self, program: Callable[[SimGroup], T]) -> list[T]:
        """Run ``program(group)`` once per rank; return each rank's result, in rank order.

        The first exception a rank raises (or a disagreement between ranks) is raised here.
        """
        def per_rank(comm: WorldCommunicator) -> Any:
            return program(SimGroup(comm, self.algorithm))

        self.last_run = self._world.run(per_rank)
        return self.last_run.results


def run_simulated(size: int, program: Callable[[SimGroup], T], *,
                  algorithm: str = "ring") -> list[T]:
    """Run the per-rank ``program`` on ``size`` simulated ranks; each rank's result, in order."""
    return SimWorld(size, algorithm).run(program)
