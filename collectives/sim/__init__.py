"""The step-accurate simulator: N virtual ranks in one process, every byte counted.

    >>> from collectives.sim import simulate
    >>> result = simulate("allreduce", inputs, algorithm="ring")
    >>> result.bytes_sent, result.num_steps

Importing it never starts MPI.
"""

from collectives.sim import algorithms as _algorithms  # noqa: F401  (registers them)
from collectives.sim.engine import SimResult, Simulation, StepRecord, simulate
from collectives.sim.registry import SIM_ALGORITHMS
from collectives.sim.schedule import Action, Step, Transfer

__all__ = ["SIM_ALGORITHMS", "Action", "SimResult", "Simulation", "Step", "StepRecord",
           "Transfer", "simulate"]
