"""A schedule the engine has run, replayed on new data without re-checking or re-timing it.

The simulated world (:mod:`collectives.sim.world`) makes the same call many times. The first
call of a signature runs through :class:`~collectives.sim.engine.Simulation` (step-model checks,
bytes, time, numpy's answer); its steps, which depend only on the :class:`~collectives.spec.
Problem` and never on the data, are then compiled here and replayed for every later call.

All N working buffers lie end to end in one flat array (and as N rows of it), so a transfer is
a range of it. A step's transfers, per action (copy, reduce, reduce with the source first), take
the cheapest of three forms: transfers that share their starts and length (whole-buffer
exchanges, trees) are one slice of N rows, read and written in one numpy call each; short ones
are one array of the elements read and one of the elements written, also one call each; long
ones (more than :data:`LONG` elements each, on average), whose index arrays would cost more
memory than the data, stay ranges copied one by one. Either way the engine's semantics hold:
every read of a step happens before any write (the engine checked that no element is written
twice in a step), and a reduction calls the op on the gathered elements, which for an op that
works element by element (as :class:`~collectives.ops.Op` requires) gives the engine's bits.

Cost: compiling is O(elements the schedule moves), kept as int64 indices for short unaligned
transfers (16 bytes per element moved); a replay allocates one zeroed array of N × work_size
elements and makes 2 to 4 numpy calls per action of a step, or 1 + 2 per long transfer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from collectives.ops import Op
from collectives.sim.schedule import Action, Step
from collectives.spec import Problem

# Mean elements per transfer above which unaligned transfers are replayed range by range.
LONG = 512

_ACTIONS = (Action.COPY, Action.REDUCE, Action.REDUCE_SOURCE_FIRST)


def _expand(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenated ranges ``starts[i] .. starts[i] + lengths[i]``."""
    total = int(lengths.sum())
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total, dtype=np.int64)


def _combine(target: np.ndarray, values: np.ndarray, action: Action, op: Op | None) -> None:
    """``target`` ∘= ``values`` in place, the operands in the order ``action`` says."""
    assert op is not None
    op.reduce_into(target, values, operand_first=action == Action.REDUCE_SOURCE_FIRST)


class _Aligned:
    """Transfers of one action that share their source start, destination start and length
    (whole-buffer exchanges, trees): a slice of N rows, read and written in one call each."""

    __slots__ = ("action", "dst", "dst_start", "length", "src", "src_start")

    def __init__(self, action: Action, src: np.ndarray, dst: np.ndarray, src_start: int,
                 dst_start: int, length: int) -> None:
        self.action, self.src, self.dst = action, src, dst
        self.src_start, self.dst_start, self.length = src_start, dst_start, length

    def read(self, flat: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return rows[self.src, self.src_start:self.src_start + self.length]

    def write(self, flat: np.ndarray, rows: np.ndarray, values: np.ndarray,
              op: Op | None) -> None:
        where = (self.dst, slice(self.dst_start, self.dst_start + self.length))
        if self.action != Action.COPY:
            target = rows[where]
            _combine(target, values, self.action, op)
            values = target
        rows[where] = values


class _Indexed:
    """Short transfers of one action: the flat elements read and written, one call each."""

    __slots__ = ("action", "dst", "src")

    def __init__(self, action: Action, src: np.ndarray, dst: np.ndarray) -> None:
        self.action, self.src, self.dst = action, src, dst

    def read(self, flat: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return flat[self.src]

    def write(self, flat: np.ndarray, rows: np.ndarray, values: np.ndarray,
              op: Op | None) -> None:
        if self.action != Action.COPY:
            target = flat[self.dst]
            _combine(target, values, self.action, op)
            values = target
        flat[self.dst] = values


class _Ranges:
    """Long transfers of one action: (flat source start, flat destination start, length) each,
    copied one by one."""

    __slots__ = ("action", "ranges")

    def __init__(self, action: Action, ranges: list[tuple[int, int, int]]) -> None:
        self.action, self.ranges = action, ranges

    def read(self, flat: np.ndarray, rows: np.ndarray) -> list[np.ndarray]:
        return [flat[src:src + length].copy() for src, _, length in self.ranges]

    def write(self, flat: np.ndarray, rows: np.ndarray, values: list[np.ndarray],
              op: Op | None) -> None:
        for (_, dst, length), data in zip(self.ranges, values, strict=True):
            if self.action == Action.COPY:
                flat[dst:dst + length] = data
            else:
                _combine(flat[dst:dst + length], data, self.action, op)


_Group = _Aligned | _Indexed | _Ranges


def _group(action: Action, step: Step, mine: np.ndarray, size: int) -> _Group:
    """The transfers ``mine`` of ``step`` (all of ``action``), in the cheapest form."""
    src, dst = step.src[mine], step.dst[mine]
    src_start, dst_start, length = step.src_start[mine], step.dst_start[mine], step.length[mine]
    if (src_start == src_start[0]).all() and (dst_start == dst_start[0]).all() \
            and (length == length[0]).all():
        return _Aligned(action, src, dst, int(src_start[0]), int(dst_start[0]), int(length[0]))
    src_flat, dst_flat = src * size + src_start, dst * size + dst_start
    if length.mean() > LONG:
        return _Ranges(action, list(zip(src_flat.tolist(), dst_flat.tolist(), length.tolist(),
                                        strict=True)))
    return _Indexed(action, _expand(src_flat, length), _expand(dst_flat, length))


class Replay:
    """The steps of ``problem``'s schedule, compiled to run on any inputs of that problem."""

    def __init__(self, problem: Problem, steps: Sequence[Step]) -> None:
        self.problem = problem
        size = problem.work_size
        self._placements = [(rank, rank * size + work_start, in_start, length)
                            for rank in range(problem.ranks)
                            for in_start, work_start, length in problem.placements(rank)]
        self._steps: list[list[_Group]] = []
        for step in steps:
            moving = step.length > 0
            groups = [_group(action, step, moving & (step.action == action), size)
                      for action in _ACTIONS if (moving & (step.action == action)).any()]
            if groups:
                self._steps.append(groups)

    def run(self, inputs: Sequence[np.ndarray | None], op: Op | None) -> np.ndarray:
        """Every rank's working buffer at the end, shape (N, work_size), from each rank's flat
        input (None where a rank brings none), reducing with ``op``."""
        p = self.problem
        flat = np.zeros(p.ranks * p.work_size, dtype=p.dtype)
        rows = flat.reshape(p.ranks, p.work_size)
        for rank, start, in_start, length in self._placements:
            x = inputs[rank]
            assert x is not None
            flat[start:start + length] = x[in_start:in_start + length]
        for groups in self._steps:
            reads = [group.read(flat, rows) for group in groups]  # every read before any write
            for group, values in zip(groups, reads, strict=True):
                group.write(flat, rows, values, op)
        return rows
