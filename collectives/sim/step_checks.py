"""The checks of one step before it runs: the step model, the world's ranks, the buffer's bounds.

The step model (the reference's): in one step each rank sends to at most one peer and receives
from at most one peer, at once, and no element of a rank is written twice. :func:`check_step`
raises :class:`~collectives.errors.ScheduleError` ("expected X, got Y", naming the step) for a
step that breaks it, names a rank outside ``0..N-1`` or reaches outside the working buffer, and
returns the step's transfers that cross links (:class:`Crossing`), which the engine counts.

It assumes a well-formed :class:`~collectives.sim.schedule.Step` (parallel integer columns of
one length); transfers a rank makes to itself are local and exempt from the one-peer rule.

Costs, for a step of T transfers on N ranks: the range checks are O(T). The one-peer checks
take fast paths that need no search when senders are strictly increasing (each rank sends one
transfer, as in the algorithms' steps) and no rank receives two pieces; otherwise each costs an
O(N) peer array, and the written-once check an O(T log T) sort of the pieces a rank receives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.errors import ScheduleError
from collectives.sim.schedule import Step


@dataclass(frozen=True)
class Crossing:
    """The transfers of a step that cross links: their ranks and lengths."""

    src: np.ndarray
    dst: np.ndarray
    length: np.ndarray
    ascending: bool  #: src strictly increasing: each rank sends at most one transfer

    @classmethod
    def of(cls, step: Step) -> Crossing:
        """The transfers of ``step`` between two ranks (not a rank's copies to itself)."""
        remote = step.remote
        if remote.all():
            src, dst, length = step.src, step.dst, step.length
        else:
            src, dst, length = step.src[remote], step.dst[remote], step.length[remote]
        return cls(src, dst, length, _strictly_increasing(src))


def check_step(step: Step, index: int, ranks: int, work_size: int) -> Crossing:
    """Reject step ``index`` if it breaks the step model or reaches outside the ``ranks``
    ranks or a ``work_size``-element buffer; return its transfers that cross links."""
    where = f"step {index} ({step.label or 'unlabelled'})"
    check_ranges(step, where, ranks, work_size)
    crossing = Crossing.of(step)
    # Fast paths: ranks that send once (ascending) and ranks written once need no search.
    one_each = not len(step) or int(np.bincount(step.dst).max()) <= 1
    if not crossing.ascending:
        check_one_peer("sends to", crossing.src, crossing.dst, where, ranks)
    if not one_each:
        check_one_peer("receives from", crossing.dst, crossing.src, where, ranks)
        check_written_once(step, where)
    return crossing


def check_ranges(step: Step, where: str, ranks: int, work_size: int) -> None:
    """Ranks, lengths and ranges of ``step`` inside the world and the working buffer."""
    for name in ("src", "dst"):
        column = getattr(step, name)
        if len(column) and (column.min() < 0 or column.max() >= ranks):
            raise ScheduleError(f"{where}: expected {name} ranks in 0..{ranks - 1}, "
                                f"got {int(column.min())}..{int(column.max())}")
    if len(step) and step.length.min() < 0:
        raise ScheduleError(f"{where}: expected lengths >= 0, got {int(step.length.min())}")
    for name in ("src_start", "dst_start"):
        start = getattr(step, name)
        if len(step) and (start.min() < 0 or (start + step.length).max() > work_size):
            got = (f"one starting at {int(start.min())}" if start.min() < 0
                   else f"one reaching {int((start + step.length).max())}")
            raise ScheduleError(f"{where}: expected {name.split('_')[0]} ranges inside the "
                                f"{work_size}-element working buffer, got {got}")


def check_one_peer(role: str, ranks: np.ndarray, peers: np.ndarray, where: str,
                   world: int) -> None:
    """Each of ``ranks`` has one peer in ``peers`` (the step model: one per direction), in a
    world of ``world`` ranks."""
    peer_of = np.full(world, -1, dtype=np.int64)
    peer_of[ranks] = peers  # with one peer per rank, every write agrees
    clash = np.flatnonzero(peer_of[ranks] != peers)
    if clash.size:
        rank = int(ranks[clash[0]])
        named = sorted({int(p) for p in peers[ranks == rank]})
        raise ScheduleError(
            f"{where}: rank {rank} {role} ranks {named}; the step model expected at "
            f"most one peer per direction per step, got {len(named)}"
        )


def check_written_once(step: Step, where: str) -> None:
    """No element of a rank is written twice by ``step``."""
    written = step.length > 0
    if np.bincount(step.dst[written], minlength=1).max() > 1:  # a rank gets several pieces
        dst, start = step.dst[written], step.dst_start[written]
        stop = start + step.length[written]
        order = np.lexsort((start, dst))  # by rank, then start: an overlap shows next door
        dst, start, stop = dst[order], start[order], stop[order]
        twice = np.flatnonzero((dst[1:] == dst[:-1]) & (start[1:] < stop[:-1]))
        if twice.size:
            first = twice[0] + 1
            raise ScheduleError(
                f"{where}: rank {int(dst[first])} is written twice at element "
                f"{int(start[first])}; expected each element written at most once per step"
            )


def _strictly_increasing(values: np.ndarray) -> bool:
    return len(values) < 2 or bool(np.all(values[1:] > values[:-1]))
