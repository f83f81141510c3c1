"""Provenance mode's counts: where each element of a working buffer came from, and the check of
the collective's postcondition on them at the end of a run.

Rank r's track is an int32 array ``P[e, i, q]``: how many times input position ``q`` of rank
``i`` went into element ``e`` of r's working buffer. It starts as the rank's own input placed
in its buffer (:func:`initial_tracks`); the engine moves tracks with the data, adding counts
where the data is reduced (:func:`add_counts`), so a chunk reduced twice or sent to the wrong
place shows. :func:`check_tracks` compares each rank's output span with the postcondition
(:func:`~collectives.spec.expected_provenance`) and raises
:class:`~collectives.errors.ProvenanceError` naming the first wrong element, as
``{rank 0 pos 3, rank 1 pos 3 x2}``.

It assumes the problem's placements and output spans (:class:`~collectives.spec.Problem`) and
that a reduction adds its operands' counts whatever the op.

Costs: N · work · N · inputs int32 cells (4 bytes each) for the run, and each step moves them
like the data, N · inputs times the data's work; a run needing more than
:data:`PROVENANCE_CELL_LIMIT` cells is refused before any is allocated. The final check builds
each rank's expected counts in turn (int64, the size of its output span's tracks).
"""

from __future__ import annotations

import numpy as np

from collectives.errors import CollectivesError, ProvenanceError
from collectives.spec import Problem, expected_provenance

# Provenance keeps a (work, N, input) count array per rank; beyond this many cells it is refused.
PROVENANCE_CELL_LIMIT = 20_000_000


def initial_tracks(problem: Problem) -> list[np.ndarray]:
    """Each rank's counts before the first step: its input's positions where it placed them;
    refused beyond :data:`PROVENANCE_CELL_LIMIT` cells."""
    p = problem
    cells = p.ranks * p.work_size * p.ranks * p.input_count
    if cells > PROVENANCE_CELL_LIMIT:
        raise CollectivesError(
            f"provenance mode expected at most {PROVENANCE_CELL_LIMIT} tracking cells, got "
            f"{cells} ({p.ranks} ranks, {p.count} elements); use fewer ranks or elements"
        )
    tracks = []
    for rank in range(p.ranks):
        track = np.zeros((p.work_size, p.ranks, p.input_count), dtype=np.int32)
        for in_start, work_start, length in p.placements(rank):
            offsets = np.arange(length)
            track[work_start + offsets, rank, in_start + offsets] = 1
        tracks.append(track)
    return tracks


def add_counts(target: np.ndarray, incoming: np.ndarray, source_first: bool) -> None:
    """Reduce counts into ``target``: a reduction of two pieces holds both pieces' inputs
    (``source_first``, the operands' order, does not change a sum of counts)."""
    target += incoming


def check_tracks(problem: Problem, algorithm: str, tracks: list[np.ndarray]) -> None:
    """Every rank's output holds exactly the inputs the collective's postcondition gives it,
    each the number of times it gives."""
    for rank in range(problem.ranks):
        expected = expected_provenance(problem, rank)
        span = problem.output_span(rank)
        if expected is None or span is None:
            continue
        actual = tracks[rank][span[0]:span[1]]
        wrong = np.flatnonzero((actual != expected).any(axis=(1, 2)))
        if wrong.size:
            element = int(wrong[0])
            raise ProvenanceError(
                f"{problem.collective} algorithm {algorithm!r}: rank {rank} output element "
                f"{element} expected {describe(expected[element])}, "
                f"got {describe(actual[element])}"
            )


def describe(counts: np.ndarray) -> str:
    """``{rank 0 pos 3, rank 1 pos 3 x2}`` for a provenance cell."""
    ranks, positions = np.nonzero(counts)
    if not len(ranks):
        return "{no input}"
    parts = [f"rank {r} pos {q}" + (f" x{counts[r, q]}" if counts[r, q] != 1 else "")
             for r, q in zip(ranks, positions, strict=True)]
    return "{" + ", ".join(parts) + "}"
