"""Bytes each rank sends in the binomial trees of :mod:`collectives.tree`, for the cost functions
of every collective that runs one (broadcast, scatter, gather, reduce, reduce-scatter,
all-reduce)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from collectives.spec import Problem
from collectives.tree import binomial_children, binomial_subtree, to_absolute


def per_vrank(problem: Problem, root: int, bytes_of_vrank: Callable[[int], int]) -> np.ndarray:
    """Bytes sent per rank, given as a function of the vrank in a tree rooted at ``root``."""
    sent = np.zeros(problem.ranks, dtype=np.int64)
    for vrank in range(problem.ranks):
        sent[to_absolute(vrank, root, problem.ranks)] = bytes_of_vrank(vrank)
    return sent


def subtree_blocks(vrank: int, ranks: int) -> int:
    """Vranks (so blocks) in the subtree of ``vrank``."""
    start, stop = binomial_subtree(vrank, ranks)
    return stop - start


def broadcast_bytes(problem: Problem, root: int, nbytes: int) -> np.ndarray:
    """Binomial broadcast of ``nbytes``: each vrank sends them once per child."""
    n = problem.ranks
    return per_vrank(problem, root, lambda v: nbytes * len(binomial_children(v, n)))


def reduce_bytes(problem: Problem, root: int, nbytes: int) -> np.ndarray:
    """Binomial reduce of ``nbytes``: every rank but the root sends them once."""
    return per_vrank(problem, root, lambda v: nbytes if v else 0)


def scatter_bytes(problem: Problem, root: int, block: int) -> np.ndarray:
    """Binomial scatter: each vrank sends each child the blocks of the child's subtree."""
    n = problem.ranks
    return per_vrank(problem, root, lambda v: block * sum(
        subtree_blocks(child, n) for child in binomial_children(v, n)))


def gather_bytes(problem: Problem, root: int, block: int) -> np.ndarray:
    """Binomial gather: every vrank but the root sends its parent the blocks of its subtree."""
    n = problem.ranks
    return per_vrank(problem, root, lambda v: block * subtree_blocks(v, n) if v else 0)
