"""The reference's cost of each algorithm: steps, the exact bytes each rank sends, and the time.

These are the figures of ``collectives.md``'s cost table, written from the formulas (with the
uneven-chunk form where N does not divide the count) and not from the schedules, so a test can
hold each schedule to them. One module per collective, named for it, holds the cost function of
each of its algorithms, registered with ``@cost(collective, algorithm)``
(:mod:`collectives.costs.reference`); importing this package imports every module in it.

The time is the table's (``K(N-1)/N`` as it stands), so it is the simulator's on uniform fully
connected links when N divides the count. Rows the table lacks are composed of rows it has:
binomial reduce-scatter is a binomial reduce of K then a binomial scatter; a non-commutative
binomial reduce to a root other than 0 adds one hop of K. The recursive halving and doubling rows
extend to any N with the fold's steps and to uneven chunks with each step's largest message,
exactly (:mod:`collectives.costs.halving`); Swing's two all-reduces are Rabenseifner's and
recursive doubling's rows with other peers and, for the first, other home chunks. Bruck
all-to-all is exact for any N (its blocks are ``sum(popcount(i), i < N)`` in all, the table's
``(K/2) lg N`` for N = 2**k); the pipelined rows (chain broadcast, double binary tree) are exact
when S, resp. 2S, divides the count.
"""

from __future__ import annotations

from collectives.costs.reference import COSTS, ReferenceCost, cost
from collectives.registry import import_modules
from collectives.spec import Problem

import_modules(__name__, __path__)  # costs/<collective>.py registers its algorithms' costs


def reference_cost(problem: Problem, algorithm: str) -> ReferenceCost:
    """Steps, exact bytes sent per rank and time of ``algorithm`` on ``problem``; an unknown
    name lists the valid ones."""
    return COSTS.get(problem.collective, algorithm)(problem)


def reference_time(problem: Problem, algorithm: str, alpha: float, beta: float,
                   gamma: float) -> float:
    """The reference table's time of ``algorithm`` on ``problem``: ``alpha`` seconds per
    message, ``beta`` seconds per byte on a link, ``gamma`` seconds per byte reduced."""
    return reference_cost(problem, algorithm).time(alpha, beta, gamma)


__all__ = ["COSTS", "ReferenceCost", "cost", "reference_cost", "reference_time"]
