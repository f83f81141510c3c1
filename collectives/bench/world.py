"""The simulated world's overhead: calls per second through :func:`collectives.sim.world.run_world`.

    python -m collectives.bench.world                  # the two figures the project holds to
    python -m collectives.bench.world --ranks 16 --calls 500 --algorithm ring

Each case runs a program of ``calls`` all-reduces of ``size`` bytes of float32 per rank, on a
fully connected network (the default figures, flow time), and prints the wall time of the whole
run (threads started and joined included) and the calls per second. The first call of a
signature goes through the engine; the rest replay its steps (:mod:`collectives.sim.replay`).
Held to: N = 8, 4 KiB, at least 2,000 calls/s; N = 64, 1,000 calls in seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from collectives.sim.network import fully_connected
from collectives.sim.world import WorldCommunicator, run_world

# (ranks, calls): the figures the project holds the world to.
DEFAULT_CASES: tuple[tuple[int, int], ...] = ((8, 5000), (64, 1000))


@dataclass(frozen=True)
class Overhead:
    """One case's figures."""

    ranks: int
    calls: int
    nbytes: int
    algorithm: str  #: what ran (``auto`` resolved)
    seconds: float  #: wall time of the whole run

    @property
    def calls_per_second(self) -> float:
        """Collective calls per second of wall time."""
        return self.calls / self.seconds

    def describe(self) -> str:
        """One line for the report."""
        return (f"N = {self.ranks:>3}, {self.nbytes} B float32 all-reduce ({self.algorithm}): "
                f"{self.calls} calls in {self.seconds:.2f} s = {self.calls_per_second:,.0f} "
                "calls/s")


def _program(comm: WorldCommunicator, calls: int, count: int, algorithm: str) -> str | None:
    x = np.full(count, comm.rank + 1, dtype=np.float32)
    out = np.empty_like(x)
    for _ in range(calls):
        comm.allreduce(x, algorithm=algorithm, out=out)
    return comm.last_algorithm


def measure(ranks: int, calls: int, nbytes: int = 4096, algorithm: str = "auto") -> Overhead:
    """Time ``calls`` all-reduces of ``nbytes`` on ``ranks`` simulated ranks."""
    started = time.perf_counter()
    world = run_world(_program, ranks, calls, nbytes // 4, algorithm,
                      network=fully_connected(ranks))
    seconds = time.perf_counter() - started
    return Overhead(ranks, calls, nbytes, str(world.results[0]), seconds)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the overhead of each case."""
    parser = argparse.ArgumentParser(prog="python -m collectives.bench.world",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--ranks", "-n", type=int, help="one case of N ranks (default: the "
                        "held cases, N = 8 and N = 64)")
    parser.add_argument("--calls", "-c", type=int, default=1000, help="calls in the one case")
    parser.add_argument("--bytes", "-b", type=int, default=4096, help="bytes per rank")
    parser.add_argument("--algorithm", "-a", default="auto", help="all-reduce algorithm")
    args = parser.parse_args(argv)
    cases = DEFAULT_CASES if args.ranks is None else ((args.ranks, args.calls),)
    for ranks, calls in cases:
        print(measure(ranks, calls, args.bytes, args.algorithm).describe(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
