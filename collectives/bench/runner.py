"""The run loop: for each size, for each algorithm, warm up and time out of place, then in place,
then check the results.

Timing: every iteration starts at a barrier on the user's communicator and each rank times its
own call with ``time.perf_counter``; after the loop one max-reduce over all iterations gives the
slowest rank's time per iteration, and the row keeps the median of those
(:func:`collectives.timing_loop.time_calls`). Buffers are allocated
once per size and shared by every algorithm (:class:`collectives.bench.calls.Buffers`).

Check (``-c 1``): the out-of-place result array is poisoned before the warm-up, so the last timed
call's result is what is checked; in place, the timed calls fold the result into itself again
and again, so the input is put back and the call made once more. Wrong elements are summed over
the ranks. With ``--memory`` the peak is taken over exactly these calls of one algorithm (the
counting of wrong elements comes after), after one priming call of one element per
algorithm.

Everything here runs on every rank; the rows it returns are the same on every rank.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from collectives.bench.bandwidth import algbw, busbw
from collectives.bench.calls import Buffers, call_for
from collectives.bench.check import count_wrong, expected_for, poison
from collectives.bench.memory import MemoryWatch, PeakMemory, current_rss
from collectives.bench.sizes import counts_for_sweep, size_of_count
from collectives.catalogue import REDUCING, ROOTED
from collectives.errors import InvalidInputError
from collectives.ops import resolve_op
from collectives.spec import Problem
from collectives.timing_loop import time_calls


@dataclass(frozen=True)
class BenchConfig:
    """What to measure: one collective, its algorithms, sizes in bytes, and the nccl-tests knobs."""

    collective: str
    algorithms: tuple[str, ...]
    sizes: tuple[int, ...]
    dtype: np.dtype = field(default_factory=lambda: np.dtype("float32"))
    op: str = "sum"
    root: int = 0
    iterations: int = 20
    warmup: int = 5
    check: bool = True
    memory: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.algorithms:
            raise InvalidInputError("expected at least one algorithm, got none")
        if self.iterations < 1 or self.warmup < 0:
            raise InvalidInputError(
                f"expected >= 1 iteration and >= 0 warm-up iterations, got {self.iterations} "
                f"and {self.warmup}"
            )

    def problem(self, ranks: int, count: int) -> Problem:
        """The call every rank makes at ``count`` elements per block."""
        op = resolve_op(self.op) if self.collective in REDUCING else None
        return Problem(self.collective, ranks, (count,), np.dtype(self.dtype), self.root, op)

    def bytes_per_rank(self, ranks: int) -> int:
        """About the most one rank holds at the largest size: its input, in-place array,
        result, numpy's answer (with the check) and one call's working buffer."""
        counts = counts_for_sweep(self.collective, list(self.sizes), self.dtype, ranks)
        p = self.problem(ranks, max(counts, default=0))
        output = p.count * (ranks if p.output_shape(p.root) != p.block_shape else 1)
        inputs = p.input_count * (2 if p.info.in_place else 1)
        return p.itemsize * (inputs + output * (2 if self.check else 1) + p.work_size)


@dataclass(frozen=True)
class Timing:
    """One half of a row (out of place or in place)."""

    seconds: float
    algbw: float
    busbw: float
    wrong: int | None  #: elements differing from numpy's answer, summed over ranks; None unchecked


@dataclass(frozen=True)
class Row:
    """One size and one algorithm."""

    collective: str
    algorithm: str
    ranks: int
    size: int
    count: int
    dtype: str
    op: str | None
    root: int | None
    out_of_place: Timing
    in_place: Timing | None  #: None where the collective has no in-place form
    memory: PeakMemory | None = None  #: the largest growth over the ranks, with ``--memory``

    @property
    def halves(self) -> list[Timing]:
        """The timings this row has."""
        return [t for t in (self.out_of_place, self.in_place) if t is not None]


def _total(comm: Any, value: int) -> int:
    from mpi4py import MPI

    return int(comm.allreduce(value, op=MPI.SUM))


def _time_half(comm: Any, communicator: Any, config: BenchConfig, problem: Problem,
               algorithm: str, buffers: Buffers, in_place: bool) -> float:
    """Time one half of a row; leave its result in the buffers for the check."""
    call = call_for(communicator, problem, algorithm, buffers, in_place)
    if in_place:
        buffers.refill()
    elif buffers.target is not None:
        poison(buffers.target)  # a call that writes nothing cannot pass the check
    seconds = time_calls(comm, call, config.iterations, config.warmup)
    if in_place and config.check:
        buffers.refill()  # the timed calls reduced the result again and again: one fresh call
        call()
    return seconds


def _prime(comm: Any, communicator: Any, config: BenchConfig) -> None:
    """One timed call of one element per algorithm, so the first row's memory is not charged
    with the one-off costs of a first call (lazy imports, numpy's first median: about 1 MiB)."""
    ranks, rank = comm.Get_size(), comm.Get_rank()
    problem = config.problem(ranks, 1)
    buffers = Buffers.allocate(problem, rank, config.seed)
    for algorithm in config.algorithms:
        time_calls(comm, call_for(communicator, problem, algorithm, buffers, in_place=False), 1, 0)


def _largest(comm: Any, memory: PeakMemory) -> PeakMemory:
    from mpi4py import MPI

    mine = np.array([memory.scratch, memory.rss, memory.rss_peak], dtype=np.int64)
    largest = np.empty_like(mine)
    comm.Allreduce(mine, largest, op=MPI.MAX)
    return PeakMemory(*(int(v) for v in largest))


@dataclass
class MemoryLog:
    """Per rank, over the whole run: RSS at the start and the highest peak seen since."""

    start_rss: int = field(default_factory=current_rss)
    peak_rss: int = 0
    peak_scratch: int = 0

    def note(self, memory: PeakMemory) -> None:
        """Record one stretch's peaks."""
        self.peak_rss = max(self.peak_rss, memory.rss_peak)
        self.peak_scratch = max(self.peak_scratch, memory.scratch)

    @property
    def rss_growth(self) -> int:
        """Peak RSS during the run minus RSS at its start."""
        return max(0, self.peak_rss - self.start_rss)


def _timing(config: BenchConfig, ranks: int, nbytes: int, seconds: float,
            wrong: int | None) -> Timing:
    return Timing(seconds, algbw(nbytes, seconds), busbw(config.collective, ranks, nbytes,
                                                         seconds), wrong)


def run_sweep(comm: Any, communicator: Any, config: BenchConfig,
              memory_log: MemoryLog | None = None) -> Iterator[Row]:
    """Yield one row per size and algorithm, in that order (every rank yields the same rows)."""
    if not config.memory:
        yield from _sweep(comm, communicator, config, None, memory_log)
        return
    with MemoryWatch() as watch:  # tracing allocations ends with the sweep
        yield from _sweep(comm, communicator, config, watch, memory_log)


def _sweep(comm: Any, communicator: Any, config: BenchConfig, watch: MemoryWatch | None,
           memory_log: MemoryLog | None) -> Iterator[Row]:
    """The sweep's rows, each algorithm's memory watched by ``watch`` (when not None)."""
    ranks, rank = comm.Get_size(), comm.Get_rank()
    collective = config.collective
    counts = counts_for_sweep(collective, list(config.sizes), config.dtype, ranks)
    if watch is not None:
        _prime(comm, communicator, config)
    for count in counts:
        problem = config.problem(ranks, count)
        nbytes = size_of_count(collective, count, config.dtype, ranks)
        buffers = Buffers.allocate(problem, rank, config.seed)
        expected = expected_for(problem, rank, config.seed) if config.check else None
        modes = [False, True] if problem.info.in_place else [False]
        for algorithm in config.algorithms:
            if watch is not None:
                watch.start()
            seconds = [_time_half(comm, communicator, config, problem, algorithm, buffers, mode)
                       for mode in modes]
            memory = None
            if watch is not None:
                mine = watch.stop()
                if memory_log is not None:
                    memory_log.note(mine)
                memory = _largest(comm, mine)
            halves: list[Timing | None] = [None, None]
            for mode, time in zip(modes, seconds, strict=True):
                wrong = None
                if config.check:
                    result = buffers.result(mode)
                    wrong = _total(comm, count_wrong(result, expected, ranks))
                halves[mode] = _timing(config, ranks, nbytes, time, wrong)
            out_of_place = halves[0]
            assert out_of_place is not None
            yield Row(collective, algorithm, ranks, nbytes, count, str(np.dtype(config.dtype)),
                      problem.op.name if problem.op is not None else None,
                      config.root if collective in ROOTED else None,
                      out_of_place, halves[1], memory)
        del buffers, expected

