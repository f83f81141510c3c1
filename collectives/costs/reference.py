"""What a reference cost is, and the registry that maps each algorithm to its cost function.

A cost function takes a :class:`Problem` and returns the algorithm's :class:`ReferenceCost`:
its steps, the exact bytes each rank sends, and its time on uniform fully connected links as a
linear form in alpha, beta and gamma. Cost functions are written from the formulas, never from
the schedules, so a test can hold each schedule to them. ``K`` is :attr:`Problem.nbytes`,
``B`` one block's bytes, ``R = ceil(lg N)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from collectives.registry import Registry
from collectives.spec import Problem


@dataclass(frozen=True)
class ReferenceCost:
    """Steps, per-rank bytes sent and the time that the reference gives for one algorithm and
    call.

    The time on uniform fully connected links is ``steps·alpha + path_bytes·beta +
    path_reduced·gamma``: every step costs one alpha, and ``path_bytes`` (``path_reduced``) are
    the bytes that cross a link (that are reduced) on the way from the first step to the last.
    An algorithm that works in nodes (``Problem.group_size``) also gives ``across``, the bytes
    each rank sends to ranks of other nodes (on a ``hierarchical`` network, what its link to the
    switch carries); None for the others.
    """

    steps: int
    bytes_sent: np.ndarray
    path_bytes: float = 0.0
    path_reduced: float = 0.0
    across: np.ndarray | None = None

    @property
    def inside(self) -> np.ndarray | None:
        """Bytes each rank sends to ranks of its own node (None where ``across`` is)."""
        return None if self.across is None else self.bytes_sent - self.across

    @property
    def busiest(self) -> int:
        """Bytes sent by the busiest rank."""
        return int(self.bytes_sent.max()) if self.bytes_sent.size else 0

    @property
    def total(self) -> int:
        """Bytes sent by all ranks together."""
        return int(self.bytes_sent.sum())

    def time(self, alpha: float, beta: float, gamma: float) -> float:
        """Seconds with ``alpha`` seconds per step, ``beta`` per byte on a link and ``gamma`` per
        byte reduced."""
        return self.steps * alpha + self.path_bytes * beta + self.path_reduced * gamma


CostFunction = Callable[[Problem], ReferenceCost]

COSTS: Registry[CostFunction] = Registry("reference cost")
cost = COSTS.register


def every_rank_sends(problem: Problem, blocks: int) -> np.ndarray:
    """Bytes sent per rank when every rank sends ``blocks`` blocks."""
    return np.full(problem.ranks, blocks * problem.count * problem.itemsize, dtype=np.int64)


def share(problem: Problem) -> float:
    """``K(N - 1)/N``: what a rank sends of K when it sends all but its own N-th."""
    return problem.nbytes * (problem.ranks - 1) / problem.ranks


def all_but_own_block(problem: Problem, steps: int, *, reduced: bool = False) -> ReferenceCost:
    """Every rank sends the N - 1 blocks not its own, K(N - 1)/N, in ``steps`` steps whose
    largest messages add up to that too, reduced on arrival where ``reduced``."""
    n = problem.ranks
    return ReferenceCost(steps, every_rank_sends(problem, n - 1), path_bytes=share(problem),
                         path_reduced=share(problem) if reduced else 0.0)
