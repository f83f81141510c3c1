"""A schedule is a sequence of steps; a step is a set of transfers that happen at once.

A transfer moves ``length`` elements from ``src``'s working buffer at ``src_start`` to ``dst``'s
at ``dst_start``, and either copies them or reduces them into what is there. A step stores its
transfers as parallel numpy arrays (one entry per transfer) so a schedule for thousands of ranks
is built and counted without a Python object per transfer; :meth:`Step.transfers` gives them one
by one for printing.

Several transfers from one rank to the same peer in one step are one message in pieces (an MPI
derived datatype, or several sends to one peer in a row); a transfer with ``src == dst`` is a
local copy that crosses no link.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Action(IntEnum):
    """What a transfer does at its destination."""

    COPY = 0
    REDUCE = 1  #: destination = destination ∘ source (the destination holds the lower ranks)
    REDUCE_SOURCE_FIRST = 2  #: destination = source ∘ destination (the source holds them)


@dataclass(frozen=True)
class Transfer:
    """One transfer of a step, in elements of the working buffers."""

    src: int
    dst: int
    src_start: int
    dst_start: int
    length: int
    action: Action = Action.COPY
    chunk: int = -1

    @property
    def is_local(self) -> bool:
        """True for a copy within one rank, which crosses no link."""
        return self.src == self.dst


_FIELDS = ("src", "dst", "src_start", "dst_start", "length", "action", "chunk")


class Step:
    """The transfers of one step as parallel arrays, with a label naming the phase.

    Every argument is an int or an integer array; scalars are broadcast, so
    ``Step(src=ranks, dst=(ranks + 1) % n, ...)`` is "every rank sends to its right neighbour".
    ``chunk`` is a label for pictures (which chunk or block moves), -1 where none applies.
    ``posted_with_previous`` says a rank posts this step's messages together with the step
    before's, as one round (the steps are apart only to keep one message out and one in per
    rank per step): the flow time (:mod:`collectives.sim.flows`) starts them together.
    """

    __slots__ = ("action", "chunk", "dst", "dst_start", "label", "length", "posted_with_previous",
                 "src", "src_start")

    def __init__(self, src, dst, src_start, dst_start, length,
                 action: Action | int | np.ndarray = Action.COPY,
                 chunk: int | np.ndarray = -1, label: str = "",
                 posted_with_previous: bool = False) -> None:
        values = [np.asarray(value, dtype=np.int64)
                  for value in (src, dst, src_start, dst_start, length, action, chunk)]
        shape = np.broadcast(*values).shape
        for name, value in zip(_FIELDS, values, strict=True):
            column = np.empty(shape, dtype=np.int64)
            column[...] = value  # a copy: a schedule may reuse its arrays
            setattr(self, name, column.reshape(-1))
        self.label = label
        self.posted_with_previous = bool(posted_with_previous)

    @classmethod
    def from_transfers(cls, transfers: Iterable[Transfer], label: str = "") -> Step:
        """A step made of the given transfers."""
        rows = [tuple(int(getattr(t, name)) for name in _FIELDS) for t in transfers]
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(_FIELDS)
        return cls(*columns, label=label)

    @classmethod
    def concat(cls, steps: Iterable[Step], label: str = "",
               posted_with_previous: bool = False) -> Step:
        """One step holding the transfers of all ``steps`` (they happen at once)."""
        steps = list(steps)
        columns = [np.concatenate([getattr(s, name) for s in steps]) if steps else []
                   for name in _FIELDS]
        return cls(*columns, label=label or (steps[0].label if steps else ""),
                   posted_with_previous=posted_with_previous)

    def __len__(self) -> int:
        return len(self.src)

    def __iter__(self) -> Iterator[Transfer]:
        return iter(self.transfers())

    def transfers(self) -> list[Transfer]:
        """The transfers one by one."""
        return [Transfer(int(s), int(d), int(ss), int(ds), int(n), Action(int(a)), int(c))
                for s, d, ss, ds, n, a, c in zip(self.src, self.dst, self.src_start,
                                                 self.dst_start, self.length, self.action,
                                                 self.chunk, strict=True)]

    @property
    def remote(self) -> np.ndarray:
        """Mask of the transfers that cross a link (``src != dst``)."""
        return self.src != self.dst

    def __repr__(self) -> str:
        return f"Step({self.label!r}, {len(self)} transfers)"
