"""Peak memory of a stretch of code on one rank: numpy's scratch and the RSS high-water mark.

Two figures, both "beyond what was there when the stretch began":

- ``scratch``: the peak of Python and numpy allocations (:mod:`tracemalloc`; numpy reports its
  data buffers to it), so an algorithm's temporary arrays show to the byte, while MPI's own
  buffers do not;
- ``rss``: the peak resident set size (``VmHWM``) minus the RSS at the start. Linux lets a
  process reset its high-water mark (``/proc/self/clear_refs``), so each stretch gets its own
  peak; where that is refused, the peak is the whole run's so far
  (``getrusage(RUSAGE_SELF).ru_maxrss``) and only growth beyond it shows.

Tracing slows small Python allocations, so timings taken with ``--memory`` are not for quoting.
"""

from __future__ import annotations

import resource
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def current_rss() -> int:
    """Resident set size now, in bytes (0 where /proc is missing)."""
    return 1024 * (_status_kib("VmRSS") or 0)


def peak_rss() -> int:
    """The RSS high-water mark, in bytes (``ru_maxrss`` is in KiB on Linux)."""
    hwm = _status_kib("VmHWM")
    if hwm is None:
        hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return 1024 * hwm


def reset_peak_rss() -> bool:
    """Lower the high-water mark to the current RSS; False where the kernel refuses."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class PeakMemory:
    """Peak growth of one stretch, in bytes, and the RSS high-water mark it reached."""

    scratch: int
    rss: int
    rss_peak: int = 0


class MemoryWatch:
    """``start()`` before a stretch, ``stop()`` after it: returns its :class:`PeakMemory`.

    Tracing starts when the watch is made; make it before any warm-up whose allocations should
    not count, since the first traced stretch otherwise pays tracing's own start-up. Tracing
    slows every allocation of the process (measured: docs/mpi.md), so :meth:`close` (or
    leaving a ``with`` block) stops it again, if this watch started it.
    """

    def __init__(self) -> None:
        self._tracing_started = not tracemalloc.is_tracing()
        if self._tracing_started:
            tracemalloc.start()
        self._traced_before = 0
        self._rss_before = 0

    def close(self) -> None:
        """Stop tracing, if this watch started it."""
        if self._tracing_started and tracemalloc.is_tracing():
            tracemalloc.stop()
        self._tracing_started = False

    def __enter__(self) -> MemoryWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Begin a stretch."""
        if reset_peak_rss():
            self._rss_before = current_rss()
        else:
            self._rss_before = peak_rss()
        tracemalloc.reset_peak()  # last, so reading /proc above does not count
        self._traced_before = tracemalloc.get_traced_memory()[0]

    def stop(self) -> PeakMemory:
        """End the stretch and return how far memory grew during it."""
        traced_peak = tracemalloc.get_traced_memory()[1]
        rss_peak = peak_rss()
        return PeakMemory(scratch=max(0, traced_peak - self._traced_before),
                          rss=max(0, rss_peak - self._rss_before), rss_peak=rss_peak)
