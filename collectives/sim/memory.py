"""What a simulation holds in memory, estimated before it runs, and the refusal of one that
cannot fit.

A run holds, at most (bytes; :class:`Footprint` names each part):

- **data**: each rank's input and working buffer, and the outputs and numpy's answer at the
  end, ``N · itemsize · (2 · input + 3 · work)`` elements (data and provenance modes);
- **provenance**: one int32 cell per (element, rank, input position) of every rank;
- **step**: one step's transfers, built, checked, counted and timed:
  :data:`STEP_BYTES_PER_TRANSFER` per transfer. A step has at most 2N transfers, except Bruck
  all-to-all's, N(N - 1): each rank moves half its N blocks, one transfer each;
- **pairs**: the traffic of every pair that exchanged bytes (:mod:`collectives.sim.pairs`),
  :data:`PAIR_BYTES` per pair while merging. At most ``N(ceil(lg N) + 2)`` pairs talk, except
  in pairwise exchanges, N(N - 1);
- **records**: :data:`RECORD_BYTES` per step of the run;
- **kept steps**: with ``keep_transfers``, every step's transfers and their timing, for the
  whole run, :data:`KEPT_BYTES_PER_TRANSFER` per transfer.

The bounds on transfers and pairs are the algorithms' (a test runs every registered algorithm
against them); a custom schedule's steps and pairs are not known before it runs, so only its
data is estimated. A run whose estimate exceeds the memory available
(:func:`available_memory`) is refused before anything is allocated, with the estimate
(:func:`check_run`); one estimated at no more than :data:`ALWAYS_FITS` is taken to fit without
reading the memory (``/proc/meminfo``), so a small run's check is arithmetic only.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

from collectives.costs import reference_cost
from collectives.errors import InvalidInputError, UnknownAlgorithmError
from collectives.spec import Problem

STEP_BYTES_PER_TRANSFER = 320  #: one step's columns and the temporaries of its check and timing
KEPT_BYTES_PER_TRANSFER = 200  #: a kept transfer: its columns and its share of the step timing
PAIR_BYTES = 64  #: a pair's key and total, and the copies made while merging
RECORD_BYTES = 400  #: one step's record and its time
ALWAYS_FITS = 64 * 2**20  #: a run estimated at most this large is not weighed against the memory

# Algorithms whose steps hold more than 2N transfers, and the most one of their steps holds.
# Hierarchical reduce-scatter and all-gather move a column of M <= N / 2 blocks per rank inside
# a node (M pieces each, where nodes hold G >= 2 ranks).
_WIDE_STEPS = {("alltoall", "bruck"): lambda n: n * (n - 1),
               ("reduce_scatter", "hierarchical"): lambda n: max(2 * n, n * (n // 2)),
               ("allgather", "hierarchical"): lambda n: max(2 * n, n * (n // 2))}
# Algorithms in which more than N(ceil(lg N) + 2) pairs talk: every rank to every other.
_ALL_PAIRS = frozenset({("alltoall", "pairwise"), ("reduce_scatter", "pairwise")})


def format_bytes(value: float) -> str:
    """``1536`` -> ``1.5 KiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def transfers_per_step(collective: str, algorithm: str, ranks: int) -> int:
    """The most transfers one step of a registered algorithm holds."""
    wide = _WIDE_STEPS.get((collective, algorithm))
    return wide(ranks) if wide is not None else 2 * ranks


def talking_pairs(collective: str, algorithm: str, ranks: int) -> int:
    """The most pairs of ranks that exchange bytes over a run of a registered algorithm."""
    if (collective, algorithm) in _ALL_PAIRS:
        return ranks * (ranks - 1)
    return ranks * (math.ceil(math.log2(ranks)) + 2) if ranks > 1 else 0


@dataclass(frozen=True)
class Footprint:
    """The estimated peak memory of a run, by part (bytes)."""

    parts: dict[str, int]

    @property
    def total(self) -> int:
        """All parts together."""
        return sum(self.parts.values())

    def describe(self) -> str:
        """``"data 1.0 GiB + pairs 2.0 MiB"``, the largest part first."""
        parts = sorted(self.parts.items(), key=lambda item: -item[1])
        return " + ".join(f"{name} {format_bytes(nbytes)}" for name, nbytes in parts if nbytes)


def estimate(problem: Problem, algorithm: str | None, *, data: bool, provenance: bool = False,
             keep_transfers: bool = False, steps: int | None = None) -> Footprint:
    """The footprint of a run of ``problem``: ``algorithm`` a registered one (None for a custom
    schedule), moving data or not, tracking provenance or not, keeping its steps or not;
    ``steps`` the run's step count where known."""
    n = problem.ranks
    parts: dict[str, int] = {}
    if data or provenance:
        parts["data"] = n * problem.itemsize * (2 * problem.input_count + 3 * problem.work_size)
    if provenance:
        parts["provenance"] = 4 * n * problem.work_size * n * problem.input_count
    if algorithm is not None:
        per_step = transfers_per_step(problem.collective, algorithm, n)
        parts["step"] = STEP_BYTES_PER_TRANSFER * per_step
        parts["pairs"] = PAIR_BYTES * talking_pairs(problem.collective, algorithm, n)
        if steps is not None:
            parts["records"] = RECORD_BYTES * steps
            if keep_transfers:
                parts["kept steps"] = KEPT_BYTES_PER_TRANSFER * per_step * steps
    return Footprint(parts)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux's MemAvailable, else the free
    physical pages); None where neither can be read."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def check_fits(what: str, needed: int, detail: str, hint: str) -> None:
    """Raise, naming ``what`` and the estimate, when ``needed`` bytes exceed the memory
    available."""
    available = available_memory()
    if available is not None and needed > available:
        raise InvalidInputError(
            f"expected {what} to fit in the {format_bytes(available)} of memory available, got "
            f"an estimate of {format_bytes(needed)} ({detail}); {hint}")


def check_run(problem: Problem, algorithm: str | None, *, data: bool, provenance: bool = False,
              keep_transfers: bool = False) -> int | None:
    """Refuse a run whose estimated memory cannot fit, before it allocates anything, with the
    estimate and a hint for its largest parts; ``algorithm`` is None for a custom schedule.
    Return the steps the reference gives the run (None where it gives none)."""
    steps = None if algorithm is None else _reference_steps(problem, algorithm)
    footprint = estimate(problem, algorithm, data=data, provenance=provenance,
                         keep_transfers=keep_transfers, steps=steps)
    if footprint.total <= ALWAYS_FITS:
        return steps
    mode = "a count-only run" if not data else "a provenance run" if provenance else "a run"
    large = {name for name, nbytes in footprint.parts.items() if 4 * nbytes >= footprint.total}
    hints = [hint for part, hint in (("data", "count-only mode"),
                                     ("provenance", "no provenance"),
                                     ("kept steps", "keep_transfers=False (no --trace)"))
             if part in large]
    name = repr(algorithm) if algorithm else "(a custom schedule)"
    check_fits(f"{mode} of {problem.collective} {name} on {problem.ranks} ranks",
               footprint.total, footprint.describe(),
               "use fewer ranks or elements" + "".join(f", or {hint}" for hint in hints))
    return steps


def _reference_steps(problem: Problem, algorithm: str) -> int | None:
    """The steps the reference's cost table gives ``algorithm`` on ``problem`` (None where it
    gives none), remembered for the calls seen last (a program repeats its calls)."""
    try:
        return _remembered_steps(problem, algorithm)
    except TypeError:  # an op that cannot be a key (a user's MPI.Op): not remembered
        return _remembered_steps.__wrapped__(problem, algorithm)


@functools.lru_cache(maxsize=256)
def _remembered_steps(problem: Problem, algorithm: str) -> int | None:
    try:
        return reference_cost(problem, algorithm).steps
    except (KeyError, UnknownAlgorithmError):  # an algorithm the reference table does not list
        return None
