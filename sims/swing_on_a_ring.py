"""Swing against recursive doubling and Rabenseifner all-reduce on a ring: nearer peers, less
load on the links.

    python sims/swing_on_a_ring.py

All-reduce of K = 64 MiB (float32) on a ring of N = 8 and 16 ranks (links alpha 1 µs, 10 GB/s
each way; gamma 1e-11 s/B), count-only and timed by the simulator's cost model: a message to a
rank d away crosses the d links of the shorter arc, and the links it shares with the step's other
messages share their bandwidth. For each algorithm: its steps, how far its messages go at each
step (hops on the ring), the bytes on the busiest link and on the average link over the whole
run, and the predicted time.

Swing's peer at step s is |rho(s)| = 1, 1, 3, 5, 11, ... away, about two thirds of recursive
doubling's 2**s. The bandwidth form (``swing``) sends what Rabenseifner sends, K/2**(s+1) at step
s, but Rabenseifner's peers (MPICH's order, r XOR 2**s) are 2**s away, and so are recursive
doubling's, which send all of K at every step. The ring all-reduce, which only talks to
neighbours, is printed for scale.
"""

from __future__ import annotations

import numpy as np

from collectives.sim import SIM_ALGORITHMS
from collectives.sim.network import ring
from collectives.sim.sweep import timed_run
from collectives.spec import Problem

RANKS = (8, 16)
K = 64 << 20  #: bytes
COUNT = K // 4  #: float32 elements
ALGORITHMS = ("swing", "rabenseifner", "recursive_doubling", "swing_latency", "ring")
MIB = float(1 << 20)


def hops(algorithm: str, ranks: int) -> list[int]:
    """The ring distance of each step's farthest message, from the algorithm's schedule."""
    problem = Problem("allreduce", ranks, (ranks,), np.dtype("float32"), 0, None)
    distances = []
    for step in SIM_ALGORITHMS.get("allreduce", algorithm)(problem):
        apart = (step.dst - step.src) % ranks
        distances.append(int(np.minimum(apart, ranks - apart).max()))
    return distances


def shown_hops(distances: list[int]) -> str:
    """``1 1 3 3 1 1`` or, for a long run of ones, ``1 x 14``."""
    if len(distances) > 8 and set(distances) == {1}:
        return f"1 x {len(distances)}"
    return " ".join(str(d) for d in distances)


def table(ranks: int) -> dict[str, tuple[int, float]]:
    """Print one N's rows; returns each algorithm's (busiest link bytes, time)."""
    print(f"N = {ranks}")
    print(f"  {'algorithm':<20}{'steps':>5}  {'hops per step':<22}{'busiest link':>14}"
          f"{'average link':>14}{'time':>12}")
    figures = {}
    for algorithm in ALGORITHMS:
        run = timed_run("allreduce", algorithm, ring(ranks), COUNT, keep_transfers=False)
        assert run.links is not None and run.time is not None
        carried = np.zeros(2 * ranks)  # every directed link, used or not
        carried[:len(run.links.nbytes)] = run.links.nbytes
        busiest = int(carried.max())
        figures[algorithm] = (busiest, run.time)
        print(f"  {algorithm:<20}{run.num_steps:>5}  {shown_hops(hops(algorithm, ranks)):<22}"
              f"{busiest / MIB:>10.1f} MiB{carried.mean() / MIB:>10.1f} MiB"
              f"{run.time * 1e3:>9.3f} ms")
    return figures


def compare(ranks: int, figures: dict[str, tuple[int, float]]) -> None:
    """Swing's busiest link and time as fractions of the others'."""
    for ours, theirs in (("swing", "recursive_doubling"), ("swing", "rabenseifner"),
                         ("swing_latency", "recursive_doubling")):
        (mine, my_time), (other, other_time) = figures[ours], figures[theirs]
        print(f"  {ours} against {theirs}: busiest link {mine / other:.2f}x, "
              f"time {my_time / other_time:.2f}x")


def main() -> None:
    """The table for each N, then the ratios."""
    print("Swing all-reduce on a ring")
    print("==========================")
    print()
    print(f"K = {K >> 20} MiB (float32); ring links alpha 1 µs, 10 GB/s each way; gamma 1e-11 s/B.")
    print("Bytes are over the whole run, on one direction of one link; the average is over all "
          "2N.")
    for ranks in RANKS:
        print()
        figures = table(ranks)
        print()
        compare(ranks, figures)


if __name__ == "__main__":
    main()
