"""The ``-c 1`` check: each rank's result against numpy's answer, as a count of wrong elements.

Inputs are :func:`collectives.spec.example_input` (values that depend on rank and position).
:func:`expected_for` is :func:`collectives.spec.expected_outputs` for one rank, built one input
at a time so a rank never holds all N inputs and N answers of a 64 MiB buffer; the reductions
combine in rank order with :meth:`Op.reduce_into`, as ``reduce_in_rank_order`` does. Integers and
booleans must match exactly; floats within :func:`collectives.spec.results_match`'s tolerance,
applied element by element (``8·max(N, 2)·eps``, relative and times the largest magnitude).
"""

from __future__ import annotations

import numpy as np

from collectives.ops import Op
from collectives.spec import Problem, elements_match, example_input


def _input(problem: Problem, rank: int, seed: int) -> np.ndarray:
    x = example_input(problem.collective, rank, problem.ranks, problem.count, problem.dtype,
                      root=problem.root, seed=seed)
    assert x is not None  # only ranks with an input are asked for one
    return x


def expected_for(problem: Problem, rank: int, seed: int = 0) -> np.ndarray | None:
    """numpy's answer for ``rank`` (None where it gets none), equal to ``expected_outputs``."""
    p, n = problem, problem.ranks
    if not p.has_output(rank):
        return None
    name = p.collective
    if name == "broadcast":
        return _input(p, p.root, seed)
    if name == "scatter":
        return _input(p, p.root, seed)[rank].copy()
    if name in ("gather", "allgather"):
        return np.stack([_input(p, r, seed) for r in range(n)])
    if name == "alltoall":
        return np.stack([_input(p, r, seed)[rank] for r in range(n)])
    op: Op | None = p.op
    assert op is not None  # Problem of a reducing collective always carries its op here
    pick = (lambda x: x[rank]) if name == "reduce_scatter" else (lambda x: x)
    result = np.array(pick(_input(p, 0, seed)), copy=True)
    for r in range(1, n):
        op.reduce_into(result, pick(_input(p, r, seed)))
    return result


def count_wrong(actual: np.ndarray | None, expected: np.ndarray | None, ranks: int) -> int:
    """Elements of ``actual`` that differ from ``expected`` (all of them when the sizes differ)."""
    if expected is None:
        return 0 if actual is None else int(np.asarray(actual).size)
    if actual is None:
        return int(expected.size)
    actual = np.asarray(actual)
    if actual.size != expected.size:
        return int(max(actual.size, expected.size))
    actual, expected = actual.reshape(-1), expected.reshape(-1)  # same order, any shape
    close = elements_match(actual, expected, ranks)
    return int(close.size - np.count_nonzero(close))


def poison(buffer: np.ndarray) -> None:
    """Fill an output buffer with a value no correct result has there (NaN, the integer max)."""
    kind = buffer.dtype.kind
    if kind in "fc":
        buffer.fill(np.nan)
    elif kind in "iu":
        buffer.fill(np.iinfo(buffer.dtype).max)
    else:
        buffer.fill(0)
