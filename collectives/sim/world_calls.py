"""What one rank of the simulated world asks for at a meeting, and the error when ranks disagree.

A :class:`Request` carries the call's :attr:`~Request.signature`, which every rank must share:
the kind of call, the collective, the algorithm that runs (after ``auto``), dtype, count (per
block or per buffer, as :mod:`collectives.spec` counts), root (rooted collectives), op name
(reducing ones), segments, the phase the call is made in and the group size of the nodes.
:func:`mismatch_message` names what differs and what each rank called, ranks grouped by value
beyond eight of them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from collectives.catalogue import CATALOGUE, ROOTED
from collectives.ops import Op
from collectives.spec import Problem

COLLECTIVE = "collective"
TRAFFIC = "traffic_matrix"
FINISHED = "finished"

# The fields of a collective's signature after its kind, as named in a mismatch.
_FIELDS = ("collective", "algorithm", "dtype", "count", "root", "op", "segments", "phase",
           "group_size")

# Up to this many ranks a mismatch lists every rank; beyond, ranks with equal values are grouped.
_LISTED = 8


@dataclass(frozen=True, slots=True)
class Request:
    """One rank's call: what it must agree on, and what it brings."""

    kind: str
    signature: tuple[Any, ...]
    problem: Problem | None = None
    asked: str | None = None  #: the algorithm the program asked for (``auto``, a name)
    data: np.ndarray | None = None  #: this rank's flat input (None where it brings none)
    op: Op | None = None
    learns: bool = False  #: the rank brought no buffer and gets the root's problem back


FINISHED_REQUEST = Request(FINISHED, (FINISHED,))
TRAFFIC_REQUEST = Request(TRAFFIC, (TRAFFIC,))


def collective_request(problem: Problem, algorithm: str, asked: str | None, phase: str | None,
                       data: np.ndarray | None) -> Request:
    """The request of a collective call on ``problem`` running ``algorithm``."""
    p = problem
    signature = (COLLECTIVE, p.collective, algorithm, p.dtype, p.count,
                 p.root if p.collective in ROOTED else None,
                 p.op.name if p.op is not None else None, p.segments, phase, p.group_size)
    return Request(COLLECTIVE, signature, p, asked, data, p.op)


def from_root_request(collective: str, asked: str | None, root: int, segments: int,
                      phase: str | None, group_size: int | None) -> Request:
    """The request of a rank that brings no buffer to a broadcast or scatter: algorithm (when
    ``auto``), dtype and count are None, to be the root's (:func:`settle_from_root`)."""
    signature = (COLLECTIVE, collective, asked, None, None, root, None, segments, phase,
                 group_size)
    return Request(COLLECTIVE, signature, None, asked)


def settle_from_root(requests: list[Request]) -> list[Request]:
    """The requests with those of ranks that brought no buffer (:func:`from_root_request`)
    completed from the root's: its algorithm where theirs asked ``auto``, its dtype and count.
    Requests that do not meet as one collective call are returned as they are."""
    signatures = [request.signature for request in requests]
    if any(s[0] != COLLECTIVE or s[1] != signatures[0][1] for s in signatures) or all(
            request.problem is not None for request in requests):
        return requests
    roots = {s[5] for s in signatures}
    root = roots.pop() if len(roots) == 1 else None
    if root is None or requests[root].problem is None:
        return requests
    known = requests[root]
    settled = []
    for request in requests:
        if request.problem is None:
            s = request.signature
            algorithm = known.signature[2] if s[2] is None else s[2]
            signature = (*s[:2], algorithm, known.signature[3], known.signature[4], *s[5:])
            request = Request(COLLECTIVE, signature, known.problem, request.asked, None,
                              known.op, learns=True)
        settled.append(request)
    return settled


def describe(signature: tuple[Any, ...]) -> str:
    """``allreduce/ring float32 x100 op sum`` (with root, S and phase where they apply), or
    ``program finished`` / ``traffic_matrix()``."""
    kind = signature[0]
    if kind == FINISHED:
        return "program finished"
    if kind == TRAFFIC:
        return "traffic_matrix()"
    _, collective, algorithm, dtype, count, root, op, segments, phase, group_size = signature
    shown = "(the root's dtype and count)" if dtype is None else f"{np.dtype(dtype)} x{count}"
    text = f"{collective}/{algorithm or 'auto'} {shown}"
    info = CATALOGUE[collective].get(algorithm)
    if group_size is not None and info is not None and info.needs_equal_nodes:
        text += f" in nodes of {group_size}"
    if root is not None:
        text += f" root {root}"
    if op is not None:
        text += f" op {op}"
    if segments != 1:
        text += f" S{segments}"
    if phase is not None:
        text += f" in phase {phase!r}"
    return text


def _show(field: str, value: Any) -> str:
    if field in ("algorithm", "op", "phase"):
        return repr(value)
    if value is None and field in ("dtype", "count"):
        return "the root's"
    return str(np.dtype(value)) if field == "dtype" else str(value)


def _rank_ranges(ranks: list[int]) -> str:
    """``rank 4`` or ``ranks 0-3, 5``."""
    parts = []
    for _, run in itertools.groupby(enumerate(ranks), key=lambda pair: pair[1] - pair[0]):
        members = [rank for _, rank in run]
        parts.append(str(members[0]) if len(members) == 1 else f"{members[0]}-{members[-1]}")
    return f"rank{'s' if len(ranks) > 1 else ''} {', '.join(parts)}"


def per_rank(values: list[str]) -> str:
    """``rank 0: a, rank 1: b`` for up to eight ranks; ``ranks 0-6: a; rank 7: b`` beyond."""
    if len(values) <= _LISTED:
        return ", ".join(f"rank {rank}: {value}" for rank, value in enumerate(values))
    groups: dict[str, list[int]] = {}
    for rank, value in enumerate(values):
        groups.setdefault(value, []).append(rank)
    return "; ".join(f"{_rank_ranges(ranks)}: {value}" for value, ranks in groups.items())


def mismatch_message(index: int, signatures: list[tuple[Any, ...]]) -> str:
    """Why the ranks' calls number ``index`` (from 0) cannot meet: the fields that differ with
    each rank's value, then each rank's whole call."""
    calls = per_rank([describe(signature) for signature in signatures])
    head = f"expected every rank to make the same call (call {index}), got "
    if len({(s[0], s[1] if s[0] == COLLECTIVE else None) for s in signatures}) > 1:
        return head + calls
    differing = [(position, field) for position, field in enumerate(_FIELDS, start=1)
                 if len({s[position] for s in signatures}) > 1]
    fields = "; ".join(f"{field} {per_rank([_show(field, s[position]) for s in signatures])}"
                       for position, field in differing)
    return f"{head}different {', '.join(f for _, f in differing)}: {fields} (calls: {calls})"
