"""How the ranks agree on a call before its first message: one small built-in collective.

Each rank writes its call as 14 int64 fields, exactly (no hash): a ``ready`` flag, the root
(-1 for a collective without one), the count, the segments, the group size of the nodes the
hierarchical algorithms work in (-1 for none), the length of a text naming the
collective, algorithm, dtype and op (``allreduce|ring|<f8|max``), and that text packed 7 bytes to
a field. One ``Iallreduce`` with ``MIN`` over the fields next to their negations gives every rank
the smallest and the largest value of every field. When both equal its own, every rank made the
same call with good input; otherwise every rank sees a difference (if one rank's fields equal
every minimum and maximum, so do all the others'), so all ranks take the same branch: one round
trip decides.

A rank whose input was refused, or that does not know its call's fields (scatter or broadcast
off the root without a buffer), or whose text does not fit (a structured dtype, an op with a
long name), sends ``ready`` 0, which no rank's fields match. Then every rank gathers every rank's
call and error (pickled, only then) and raises the same error: :class:`InvalidInputError` (or the
refusing rank's own class) naming each rank that refused and why, or :class:`MismatchError`
naming what differs on which ranks. No message of the call has been sent, so the communicator is
fit for the next call. A rank that did not know its block takes it from the root there, and a
call whose text did not fit goes on once the gathered calls compare equal.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields
from typing import Any, NoReturn

import numpy as np
from mpi4py import MPI

from collectives import errors
from collectives.catalogue import ROOTED
from collectives.errors import CollectivesError, DeadlineError, InvalidInputError, MismatchError
from collectives.mpi.deadline import poll
from collectives.mpi.transport import ranks
from collectives.ops import OP_NAMES, Op
from collectives.spec import Problem

_TEXT_FIELDS = 8
_BYTES_PER_FIELD = 7  # fields stay below 2**56, so their negations never overflow
_FIELDS = 6 + _TEXT_FIELDS  # ready, root, count, segments, group size, text length, text
# What a rank sends when it has no fields to offer: ready 0 where every ready rank has 1.
_NOT_READY = np.zeros(2 * _FIELDS, dtype=np.int64)


@dataclass(frozen=True)
class Terms:
    """What every rank must agree on for one call; None where this rank does not know it."""

    collective: str
    algorithm: str | None
    root: int | None  #: None for a collective without a root
    op: str | None  #: None for a collective that does not reduce
    dtype: np.dtype | None
    count: int | None
    segments: Any
    block: tuple[int, ...] | None = field(default=None, compare=False)  #: the root's, for scatter
    group_size: int | None = None  #: G of the nodes (``Problem.group_size``), None for one node

    @property
    def text(self) -> str:
        """``collective|algorithm|dtype|op``, exact (a structured dtype has no such name)."""
        assert self.dtype is not None
        return f"{self.collective}|{self.algorithm}|{self.dtype.str}|{self.op or ''}"

    def fields(self) -> np.ndarray:
        """The fields ``Iallreduce`` compares, next to their negations; ``ready`` 0 when some
        field is unknown or not exact in int64 fields."""
        if self.algorithm is None or self.dtype is None or self.count is None \
                or self.dtype.fields is not None or self.dtype.subdtype is not None:
            return _NOT_READY
        text = self.text.encode()
        if len(text) > _TEXT_FIELDS * _BYTES_PER_FIELD:
            return _NOT_READY
        text = text.ljust(_TEXT_FIELDS * _BYTES_PER_FIELD, b"\0")
        packed = [int.from_bytes(text[i:i + _BYTES_PER_FIELD], "little")
                  for i in range(0, len(text), _BYTES_PER_FIELD)]
        group = -1 if self.group_size is None else self.group_size
        mine = np.array([1, -1 if self.root is None else self.root, self.count, self.segments,
                         group, len(self.text.encode()), *packed], dtype=np.int64)
        return np.concatenate([mine, -mine])


#: ``traffic_matrix()``, agreed on as a call like the collectives: a rank that asks for it while
#: another makes a collective raises MismatchError, as both do
TRAFFIC_MATRIX = Terms("traffic_matrix", "allgather", None, None, np.dtype(np.int64), 1, 1)


def terms_of(problem: Problem, algorithm: str) -> Terms:
    """The terms of a call of ``problem`` run with ``algorithm``."""
    return Terms(problem.collective, algorithm,
                 problem.root if problem.collective in ROOTED else None, op_text(problem.op),
                 problem.dtype, problem.count, problem.segments,
                 group_size=problem.group_size, block=problem.block_shape)


def op_text(op: Op | None) -> str | None:
    """How an op is compared: its name (marked ``/user`` where a user op takes a named op's
    name), and ``/noncommutative`` when it is not commutative."""
    if op is None:
        return None
    user = op.name in OP_NAMES and not op.predefined
    return op.name + ("/user" if user else "") + ("" if op.commutative else "/noncommutative")


class Agreement:
    """The agreement step of every call on a communicator's private duplicate."""

    not_ready = _NOT_READY  #: the fields of a rank that cannot agree at once

    def __init__(self, comm: MPI.Intracomm, deadline: float, *, patient: bool = False) -> None:
        self._comm = comm
        self._deadline = deadline
        self._patient = patient
        self._received = np.empty(2 * _FIELDS, dtype=np.int64)
        #: a round that passed its deadline: its request, kept with its buffers (mpi4py keeps
        #: them alive with it), since the other ranks may still take part in it
        self.unfinished: MPI.Request | None = None

    def check(self, mine: np.ndarray, call: object) -> bool:
        """One round: True when every rank sent exactly ``mine`` (and ``mine`` is ready);
        ``str(call)`` names the call in an error (made only then)."""
        self._wait(self._comm.Iallreduce(mine, self._received, MPI.MIN), call)
        return bool(mine[0]) and self._received.tobytes() == mine.tobytes()

    def _wait(self, request: MPI.Request, call: object) -> None:
        """Complete a collective request of the agreement, or raise DeadlineError."""
        if not poll(request.Test, self._deadline, patient=self._patient):
            self.unfinished = request
            raise DeadlineError(
                f"{call} expected every rank to start the call within {self._deadline:g} s, "
                "got some that did not: a rank left an earlier call or never made this one"
            )

    def _allgather(self, mine: Any, call: object) -> list[Any]:
        """Every rank's ``mine`` (pickled), in rank order, each wait under the deadline."""
        data = np.frombuffer(pickle.dumps(mine), dtype=np.uint8)
        sizes = np.empty(self._comm.Get_size(), dtype=np.int64)
        self._wait(self._comm.Iallgather(np.array([data.size], dtype=np.int64), sizes), call)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        gathered = np.empty(int(sizes.sum()), dtype=np.uint8)
        self._wait(self._comm.Iallgatherv(data, [gathered, sizes.tolist(), starts.tolist(),
                                                 MPI.BYTE]), call)
        return [pickle.loads(gathered[start:start + size].tobytes())
                for start, size in zip(starts, sizes, strict=True)]

    def settle(self, collective: str, terms: Terms | None,
               error: BaseException | None = None) -> Terms:
        """After a round that found a difference: gather every rank's terms and error, raise
        the same error on every rank, or return the terms they agree on (the root's, for a
        rank that did not know its block)."""
        mine = None if error is None else (type(error).__name__, str(error))
        gathered = self._allgather((terms, mine), collective)
        refusals = [(rank, why) for rank, (_, why) in enumerate(gathered) if why is not None]
        if refusals:
            refuse(collective, refusals, error)
        calls: list[Terms] = [t for t, _ in gathered]
        differences = [d for d in (_difference(f.name, calls) for f in fields(Terms)
                                   if f.compare) if d]
        if differences and differences[0].startswith(_PLURAL["collective"]):
            differences = differences[:1]  # the other terms differ because the collectives do
        if differences:
            raise MismatchError(
                f"{collective} expected every rank to make the same call, got different "
                f"{'; different '.join(differences)}"
            )
        known = [t for t in calls if t.dtype is not None]
        root = calls[0].root
        return calls[root] if root is not None and calls[root].dtype is not None else known[0]


def refuse(collective: str, refusals: list[tuple[int, tuple[str, str]]],
           error: BaseException | None) -> NoReturn:
    """Raise, on every rank alike, the error of the ranks that refused their input: the class of
    the refusing rank's error where it is one of this package's (and the same on every refusing
    rank), else InvalidInputError."""
    by_message: dict[str, list[int]] = {}
    for rank, (_, message) in refusals:
        by_message.setdefault(message, []).append(rank)
    if len(by_message) == 1:
        [(message, who)] = by_message.items()
        text = f"{collective} refused by {ranks(who)}: {message}"
    else:
        text = f"{collective} refused by {ranks([r for r, _ in refusals])}: " + "; ".join(
            f"{ranks(who)}: {message}" for message, who in by_message.items())
    names = {name for _, (name, _) in refusals}
    kind = getattr(errors, names.pop(), None) if len(names) == 1 else None
    if not (isinstance(kind, type) and issubclass(kind, CollectivesError)):
        kind = InvalidInputError
    raise kind(text) from error


_PLURAL = {"collective": "collectives", "algorithm": "algorithms", "root": "roots",
           "op": "ops", "dtype": "dtypes", "count": "counts", "segments": "segments",
           "group_size": "group sizes"}
_UNKNOWABLE = frozenset({"algorithm", "dtype", "count"})  # None: this rank does not know it


def _difference(name: str, calls: list[Terms]) -> str:
    """``ops: 'max' on rank 0, 'prod' on rank 1``, or "" when the ranks agree on ``name``."""
    values: dict[Any, list[int]] = {}  # value -> the ranks that have it
    for rank, terms in enumerate(calls):
        value = getattr(terms, name)
        if value is None and name in _UNKNOWABLE:
            continue
        try:
            values.setdefault(value, []).append(rank)
        except TypeError:  # a segments value that cannot be hashed: its text stands for it
            values.setdefault(repr(value), []).append(rank)
    if len(values) < 2:
        return ""
    return f"{_PLURAL[name]}: " + ", ".join(
        f"{_shown(value)} on {ranks(who)}" for value, who in values.items())


def _shown(value: Any) -> str:
    """A term as a message shows it (a dtype by name, with its byte order where not native)."""
    if isinstance(value, np.dtype):
        return str(value) if value.isnative else value.str
    return repr(value)
