"""The step-accurate simulator: N virtual ranks in one process, every byte counted.

    >>> from collectives.sim import simulate
    >>> result = simulate("allreduce", inputs, algorithm="ring")
    >>> result.bytes_sent, result.num_steps

    >>> from collectives.sim import run_world          # per-rank programs, Communicator's API
    >>> world = run_world(lambda comm: comm.allreduce(np.ones(4) * comm.rank), 8)

Importing it never starts MPI.
"""

from collectives.sim import algorithms as _algorithms  # noqa: F401  (registers them)
from collectives.sim.engine import SimResult, Simulation, StepRecord, simulate
from collectives.sim.registry import SIM_ALGORITHMS
from collectives.sim.schedule import Action, Step, Transfer
from collectives.sim.world import World, run_world
from collectives.sim.world_comm import WorldCommunicator
from collectives.sim.world_result import CallRecord, WorldResult

__all__ = ["SIM_ALGORITHMS", "Action", "CallRecord", "SimResult", "Simulation", "Step",
           "StepRecord", "Transfer", "World", "WorldCommunicator", "WorldResult", "run_world",
           "simulate"]
