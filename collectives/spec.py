"""What each collective computes: shapes, the working-buffer layout, numpy's answer, provenance.

Shared by both implementations. Conventions (the same in the simulator and under MPI):

- ``count`` is elements per block for scatter, gather, all-gather, reduce-scatter and all-to-all,
  and elements per rank buffer for broadcast, reduce and all-reduce;
- blocks run along the first axis: the inputs of scatter (root), reduce-scatter and all-to-all
  have shape ``(N, *block)``, and gathered results are stacks of shape ``(N, *block)``;
- every rank works on one flat working buffer of ``work_size`` elements; an algorithm moves
  ranges of it. Its input is placed there first, and its output is a range of it at the end.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from math import prod
from typing import Any

import numpy as np

from collectives.catalogue import COLLECTIVE_INFO, CollectiveInfo, collective_info
from collectives.errors import InvalidInputError
from collectives.ops import Op


@dataclass(frozen=True)
class Problem:
    """One collective call as every rank agrees on it."""

    collective: str
    ranks: int
    block_shape: tuple[int, ...]
    dtype: np.dtype
    root: int = 0
    op: Op | None = None
    segments: int = 1  #: S, pieces a pipelining algorithm cuts the data into (chunk_counts)
    #: G, ranks per node, nodes of consecutive ranks (:mod:`collectives.hierarchy`); None: one node
    group_size: int | None = None

    def __post_init__(self) -> None:
        info = collective_info(self.collective)
        object.__setattr__(self, "segments", checked_segments(self.segments))
        object.__setattr__(self, "dtype", as_dtype(self.dtype))
        if self.ranks < 1:
            raise InvalidInputError(f"expected at least 1 rank, got {self.ranks}")
        if self.group_size is not None:
            object.__setattr__(self, "group_size", checked_group_size(self.group_size,
                                                                      self.ranks))
        if any(extent < 0 for extent in self.block_shape):
            raise InvalidInputError(
                f"expected a count (block shape) >= 0, got {self.block_shape}"
            )
        if info.rooted:
            object.__setattr__(self, "root", checked_root(self.root, self.ranks))
        if info.reducing and self.op is not None:
            self.op.check_dtype(self.dtype)

    @cached_property
    def info(self) -> CollectiveInfo:
        """The catalogue's record of the collective."""
        return COLLECTIVE_INFO[self.collective]

    @cached_property
    def count(self) -> int:
        """Elements per block (block collectives) or per rank buffer."""
        return prod(self.block_shape)

    @cached_property
    def itemsize(self) -> int:
        """Bytes per element."""
        return np.dtype(self.dtype).itemsize

    @cached_property
    def input_count(self) -> int:
        """Elements of one rank's input (the root's, for broadcast and scatter)."""
        return self.ranks * self.count if self.info.blocked_input else self.count

    @cached_property
    def nbytes(self) -> int:
        """The reference's K: one rank's buffer for broadcast, reduce and all-reduce, else all
        N blocks together."""
        return self.info.blocks(self.ranks) * self.count * self.itemsize

    @cached_property
    def work_size(self) -> int:
        """Elements in each rank's working buffer: [input | result], or the larger of the two
        where they share it."""
        if self.info.input_beside_result:
            return 2 * self.ranks * self.count
        return self.info.blocks(self.ranks) * self.count

    def has_input(self, rank: int) -> bool:
        """False for the ranks that bring no data (non-roots of broadcast and scatter)."""
        return not self.info.input_at_root or rank == self.root

    def has_output(self, rank: int) -> bool:
        """False for the ranks that get no result (non-roots of gather and reduce)."""
        return not self.info.output_at_root or rank == self.root

    def input_shape(self, rank: int) -> tuple[int, ...] | None:
        """Shape of ``rank``'s input, or None where it brings none."""
        if not self.has_input(rank):
            return None
        if self.info.blocked_input:
            return (self.ranks, *self.block_shape)
        return self.block_shape

    def output_shape(self, rank: int) -> tuple[int, ...] | None:
        """Shape of ``rank``'s result, or None where it gets none."""
        if not self.has_output(rank):
            return None
        if self.info.stacked_output:
            return (self.ranks, *self.block_shape)
        return self.block_shape

    def placements(self, rank: int) -> list[tuple[int, int, int]]:
        """Where ``rank``'s input goes in its working buffer: (input start, work start, length)."""
        if not self.has_input(rank):
            return []
        c, n, info = self.count, self.ranks, self.info
        if info.input_beside_result:  # the own block needs no message
            return [(0, 0, n * c), (rank * c, n * c + rank * c, c)]
        if info.stacked_output:  # the own block of the stack
            return [(0, rank * c, c)]
        return [(0, 0, self.input_count)]

    def output_span(self, rank: int) -> tuple[int, int] | None:
        """The range of ``rank``'s working buffer that holds its result, or None."""
        if not self.has_output(rank):
            return None
        c, n, info = self.count, self.ranks, self.info
        if info.input_beside_result:
            return n * c, 2 * n * c
        if info.blocked_input:  # the own block of the input
            return rank * c, (rank + 1) * c
        return 0, self.work_size


def checked_segments(segments: Any) -> int:
    """``segments`` (S, the pieces a pipelining algorithm cuts the data into) as an int >= 1."""
    if isinstance(segments, bool) or not isinstance(segments, (int, np.integer)) or segments < 1:
        raise InvalidInputError(f"expected segments, an integer >= 1, got {segments!r}")
    return int(segments)


def checked_root(root: Any, ranks: int) -> int:
    """``root`` as an int in ``0..ranks-1``; a float such as 1.5 is no rank."""
    try:
        value = operator.index(root)
    except TypeError:
        raise InvalidInputError(
            f"expected an integer root, got {root!r} ({type(root).__name__})"
        ) from None
    if not 0 <= value < ranks:
        raise InvalidInputError(f"expected a root in 0..{ranks - 1}, got {value}")
    return value


def checked_group_size(group_size: Any, ranks: int) -> int:
    """``group_size`` as an int in ``1..ranks`` (ranks per node); a float or bool is none."""
    if isinstance(group_size, bool) or not isinstance(group_size, (int, np.integer)) \
            or not 1 <= group_size <= ranks:
        raise InvalidInputError(
            f"expected group_size, an integer in 1..{ranks} (ranks per node), got {group_size!r}"
        )
    return int(group_size)


def as_dtype(dtype: np.dtype | str) -> np.dtype:
    """``dtype`` as a numpy dtype whose elements are bytes that can travel (no objects)."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise InvalidInputError(f"expected a numpy dtype name, got {dtype!r}") from None
    if result.hasobject:
        raise InvalidInputError(
            f"expected a dtype of plain bytes (numbers, booleans), got {result}"
        )
    return result


def block_shape_of(collective: str, shape: tuple[int, ...], ranks: int,
                   what: str = "input") -> tuple[int, ...]:
    """The block shape implied by one rank's ``shape``; blocked inputs need a first axis of N."""
    if collective_info(collective).blocked_input:
        if len(shape) == 0 or shape[0] != ranks:
            raise InvalidInputError(
                f"{collective} expected an {what} of shape ({ranks}, ...) holding one block per "
                f"rank along the first axis, got shape {shape}"
            )
        return tuple(shape[1:])
    return tuple(shape)


def problem_from_inputs(collective: str, inputs: Sequence[np.ndarray | None], *,
                        root: int = 0, op: Op | None = None, segments: int = 1,
                        group_size: int | None = None) -> Problem:
    """Check the N ranks' inputs against each other and describe the call they make."""
    info = collective_info(collective)
    ranks = len(inputs)
    if ranks < 1:
        raise InvalidInputError("expected inputs for at least 1 rank, got an empty sequence")
    if info.rooted:
        root = checked_root(root, ranks)
    leader = root if info.input_at_root else 0
    if inputs[leader] is None:
        raise InvalidInputError(f"{collective} expected an array on rank {leader}, got None")
    first = np.asarray(inputs[leader])
    for rank, x in enumerate(inputs):
        if x is None:
            if not info.input_at_root:
                raise InvalidInputError(f"{collective} expected an array on rank {rank}, got None")
            continue
        x = np.asarray(x)
        if x.dtype != first.dtype:
            raise InvalidInputError(
                f"{collective} expected every rank's dtype to be {first.dtype} "
                f"(rank {leader}'s), got {x.dtype} on rank {rank}"
            )
        if x.shape != first.shape:
            raise InvalidInputError(
                f"{collective} expected every rank's shape to be {first.shape} "
                f"(rank {leader}'s), got {x.shape} on rank {rank}"
            )
    block = block_shape_of(collective, first.shape, ranks)
    return Problem(collective, ranks, block, first.dtype, root, op, segments, group_size)


def expected_output(problem: Problem, rank: int,
                    input_of: Callable[[int], np.ndarray]) -> np.ndarray | None:
    """numpy's answer for ``rank`` (None where it gets none), asking ``input_of(i)`` for rank
    i's input one rank at a time: of the root's input, of every rank's stacked in rank order, or
    of every rank's combined left to right (``x0 ∘ x1 ∘ ...``), block ``rank`` of each where the
    input is in blocks, else all of it."""
    if not problem.has_output(rank):
        return None
    info = problem.info
    sources = [problem.root] if info.input_at_root else range(problem.ranks)

    def taken(source: int) -> np.ndarray:
        x = input_of(source)
        return x[rank] if info.blocked_input else x

    if info.stacked_output:
        return np.stack([taken(source) for source in sources])
    result = np.array(taken(sources[0]), copy=True)
    if info.reducing:
        assert problem.op is not None
        for source in sources[1:]:
            problem.op.reduce_into(result, taken(source))
    return result


def expected_outputs(problem: Problem,
                     inputs: Sequence[np.ndarray | None]) -> list[np.ndarray | None]:
    """numpy's answer for every rank (None where a rank gets none)."""
    arrays = [None if x is None else np.asarray(x) for x in inputs]
    input_of = arrays.__getitem__
    if problem.info.blocked_input:  # each rank's answer is made of its own blocks
        return [expected_output(problem, rank, input_of) for rank in range(problem.ranks)]
    first = problem.root if problem.info.output_at_root else 0  # the same everywhere
    shared = expected_output(problem, first, input_of)
    assert shared is not None
    return [shared.copy() if problem.has_output(rank) else None for rank in range(problem.ranks)]


def expected_provenance(problem: Problem, rank: int) -> np.ndarray | None:
    """The postcondition as counts: ``E[e, i, q]`` is how often input ``q`` of rank ``i`` must
    have gone into element ``e`` of ``rank``'s result (None where it gets none)."""
    span = problem.output_span(rank)
    if span is None:
        return None
    n, c, info = problem.ranks, problem.count, problem.info
    expected = np.zeros((span[1] - span[0], n, problem.input_count), dtype=np.int64)
    q = np.arange(c)
    taken = rank * c + q if info.blocked_input else q  # block ``rank`` of an input in blocks
    everyone = np.arange(n)[:, None]
    if info.stacked_output:  # block i of the result from rank i
        expected[everyone * c + q, everyone, taken] = 1
    elif info.reducing:  # from every rank
        expected[q, everyone, taken] = 1
    else:  # from the root
        expected[q, problem.root, taken] = 1
    return expected


def example_input(collective: str, rank: int, ranks: int, count: int, dtype: np.dtype | str,
                  *, root: int = 0, seed: int = 0) -> np.ndarray | None:
    """A deterministic input for ``rank`` whose values depend on rank and position, so a block
    in the wrong place shows (None for ranks that bring no data)."""
    problem = Problem(collective, ranks, (count,), as_dtype(dtype), root)
    shape = problem.input_shape(rank)
    if shape is None:
        return None
    dtype = np.dtype(dtype)
    size = prod(shape)
    position = np.arange(size, dtype=np.int64)
    if dtype.kind == "b":
        values = ((rank * 31 + position * 7 + seed) % 5) < 2
    elif dtype.kind in "iu":
        values = (rank + 1) * 1009 + position * 17 + seed * 13 - (size // 2) * 17
    else:
        rng = np.random.default_rng([seed, rank, size])
        values = rng.standard_normal(size) + rank
        if dtype.kind == "c":
            values = values + 1j * (rng.standard_normal(size) - rank)
    return np.asarray(values).astype(dtype).reshape(shape)


def example_inputs(collective: str, ranks: int, count: int, dtype: np.dtype | str, *,
                   root: int = 0, seed: int = 0) -> list[np.ndarray | None]:
    """:func:`example_input` for every rank."""
    return [example_input(collective, r, ranks, count, dtype, root=root, seed=seed)
            for r in range(ranks)]


def results_match(actual: np.ndarray | None, expected: np.ndarray | None, ranks: int) -> bool:
    """Integers and booleans exactly; finite floats within the rounding of N combinations,
    NaN and inf exactly."""
    if actual is None or expected is None:
        return actual is None and expected is None
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        return False
    return bool(elements_match(actual, expected, ranks).all())


def elements_match(actual: np.ndarray, expected: np.ndarray, ranks: int) -> np.ndarray:
    """Element by element, :func:`results_match`'s rule: integers and booleans equal; finite
    floats within ``8·max(N, 2)·eps``, relative and times the largest finite magnitude of
    ``expected``; non-finite ones exactly (NaN where NaN, inf of the same sign where inf, part by
    part for complex)."""
    if expected.dtype.kind not in "fc":
        return np.asarray(actual == expected)
    tolerance = 8 * max(ranks, 2) * float(np.finfo(expected.dtype).eps)
    finite_expected = np.isfinite(expected)
    finite = finite_expected & np.isfinite(actual)
    everywhere = bool(finite.all())
    magnitudes = np.abs(expected if everywhere else expected[finite_expected])
    scale = float(np.max(magnitudes, initial=0.0))
    close = np.isclose(actual, expected, rtol=tolerance, atol=tolerance * scale)
    if everywhere:
        return close
    exact = _same_value(np.real(actual), np.real(expected))
    if expected.dtype.kind == "c":
        exact &= _same_value(np.imag(actual), np.imag(expected))
    return np.where(finite, close, exact)


def _same_value(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Equal, or NaN in both (real arrays)."""
    return (actual == expected) | (np.isnan(actual) & np.isnan(expected))
