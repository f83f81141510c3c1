"""Ring all-reduce goes as fast as its slowest link, whatever N.

    python sims/slowest_link.py

Ring all-reduce of K = 768 KiB (196608 float32 elements, which every N below divides) runs on
rings of N ranks, N from 2 to 64, timed by the simulator's cost model (links: alpha 1 µs,
10 GB/s; reduction: gamma 1e-11 s/B): on a ring with uniform links, then with one link
(both directions) at 1 GB/s, once at 0 <-> 1 and once halfway round. Every step of ring
all-reduce sends one chunk of K/N bytes over every link, so every step waits for the slow one:

    time = 2(N-1)(alpha + K/(N·B_slowest)) + (N-1)(K/N)·gamma

which the simulated times equal, and which tends to 2K/B_slowest as N grows: adding ranks does
not make it slower, and a faster network elsewhere does not make it faster.
"""

from __future__ import annotations

from collectives.cli.progress import progress
from collectives.sim.network import ring
from collectives.sim.sweep import timed_run
from collectives.sim.timing import format_seconds

RANKS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
COUNT = 196608  # float32 elements: K = 786432 bytes
K = COUNT * 4
ALPHA, BANDWIDTH, GAMMA = 1e-6, 1e10, 1e-11
SLOW = 1e9


def formula(n: int, bandwidth: float) -> float:
    """2(N-1)(alpha + K/(N·B)) + (N-1)(K/N)·gamma."""
    return 2 * (n - 1) * (ALPHA + K / (n * bandwidth)) + (n - 1) * (K / n) * GAMMA


def microseconds(seconds: float) -> str:
    """Seconds as µs with three decimals, right-aligned in 10 characters."""
    return f"{seconds * 1e6:10.3f}"


def same(a: float, b: float) -> str:
    """``=`` when the simulated time equals the formula (to rounding), else ``!``."""
    return "=" if abs(a - b) <= 1e-12 * max(abs(a), abs(b)) else "!"


def main() -> None:
    """Print the table of times against N, then what it shows."""
    limit = 2 * K / SLOW + K * GAMMA
    print("Ring all-reduce and the slowest link")
    print("====================================")
    print()
    print(f"K = {K} bytes (float32); links alpha = {ALPHA:g} s, B = {BANDWIDTH:g} B/s; "
          f"gamma = {GAMMA:g} s/B;")
    print(f"the slow link runs at {SLOW:g} B/s in both directions. Times in µs; '=' marks a "
          "simulated time")
    print("equal to the formula 2(N-1)(alpha + K/(N*B_slowest)) + (N-1)(K/N)*gamma. The last "
          "column is")
    print("the slow ring's time less its latency 2(N-1)*alpha.")
    print()
    print(f"{'N':>4}  {'uniform':>10}   {'formula':>10}  {'slow 0-1':>10}   "
          f"{'slow N/2':>10}   {'formula':>10}  {'slow link busy':>14}  {'- latency':>10}")
    for n in progress(RANKS, desc="N"):
        figures = {"alpha": ALPHA, "bandwidth": BANDWIDTH, "gamma": GAMMA}
        halfway = n // 2
        uniform = timed_run("allreduce", "ring", ring(n, **figures), COUNT).time
        slow = timed_run("allreduce", "ring", ring(n, **figures).with_link(0, 1, bandwidth=SLOW),
                         COUNT)
        there = timed_run("allreduce", "ring", ring(n, **figures).with_link(
            halfway, (halfway + 1) % n, bandwidth=SLOW), COUNT).time
        assert uniform is not None and slow.time is not None and there is not None
        assert slow.links is not None
        busiest = slow.links.busiest()
        assert busiest is not None
        print(f"{n:>4}  {microseconds(uniform)} {same(uniform, formula(n, BANDWIDTH))} "
              f"{microseconds(formula(n, BANDWIDTH))}  {microseconds(slow.time)} "
              f"{same(slow.time, formula(n, SLOW))} {microseconds(there)} "
              f"{same(there, formula(n, SLOW))} {microseconds(formula(n, SLOW))}  "
              f"{busiest[0]:>6} {100 * busiest[2] / slow.time:5.1f}%  "
              f"{microseconds(slow.time - 2 * (n - 1) * ALPHA)}")
    top = RANKS[-1]
    print()
    print(f"Less its latency, the slow ring's time is (N-1)/N of 2K/B_slowest + K*gamma = "
          f"{format_seconds(limit)}:")
    print("it climbs towards that and never past it, however many ranks join. The slowest link "
          "sets the")
    print("pace, wherever it sits on the ring, and is busy nearly all the run while the other "
          "links wait.")
    slow, fast = formula(top, SLOW), formula(top, BANDWIDTH)
    print(f"At N = {top} one link {BANDWIDTH / SLOW:g}x slower makes the whole all-reduce "
          f"{slow / fast:.1f}x slower ({format_seconds(slow)} against {format_seconds(fast)}).")


if __name__ == "__main__":
    main()
