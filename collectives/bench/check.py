"""The ``-c 1`` check: each rank's result against numpy's answer, as a count of wrong elements.

Inputs are :func:`collectives.spec.example_input` (values that depend on rank and position).
:func:`expected_for` is :func:`collectives.spec.expected_output` for one rank, built one input
at a time so a rank never holds all N inputs and N answers of a 64 MiB buffer. Integers and
booleans must match exactly; floats within :func:`collectives.spec.results_match`'s tolerance,
applied element by element (``8·max(N, 2)·eps``, relative and times the largest magnitude).
"""

from __future__ import annotations

import numpy as np

from collectives.spec import Problem, elements_match, example_input, expected_output


def expected_for(problem: Problem, rank: int, seed: int = 0) -> np.ndarray | None:
    """numpy's answer for ``rank`` (None where it gets none), equal to ``expected_outputs``."""

    def input_of(source: int) -> np.ndarray:
        x = example_input(problem.collective, source, problem.ranks, problem.count,
                          problem.dtype, root=problem.root, seed=seed)
        assert x is not None  # only ranks with an input are asked for one
        return x

    return expected_output(problem, rank, input_of)


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
