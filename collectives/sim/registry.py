"""The simulator's algorithm registry: name -> function from a Problem to its steps."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from collectives.registry import Registry
from collectives.sim.schedule import Step
from collectives.spec import Problem

ScheduleBuilder = Callable[[Problem], Iterable[Step]]

SIM_ALGORITHMS: Registry[ScheduleBuilder] = Registry("simulator")
register = SIM_ALGORITHMS.register
