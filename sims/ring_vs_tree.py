"""Ring against tree all-reduce: latency wins small messages, bandwidth wins large ones.

    python sims/ring_vs_tree.py

Both algorithms run (count-only, timed by the simulator's cost model) for message sizes K from
8 bytes to 16 MiB, N = 4, 16 and 64, on two networks with the same links (alpha 1 µs, 10 GB/s;
gamma 1e-11 s/B):

- fully connected: every message crosses one link, and the times are the reference table's
  ring 2(N-1)alpha + 2K(N-1)/N·beta + K(N-1)/N·gamma and tree 2⌈lg N⌉(alpha + K·beta) +
  ⌈lg N⌉K·gamma. The tree takes 2⌈lg N⌉ steps against the ring's 2(N-1), so it wins while
  latency dominates; the ring sends 2K(N-1)/N per rank against the tree's K per step, so it
  wins once bandwidth does. The crossover solves ring = tree;
- a ring of N ranks: ring all-reduce only ever talks to neighbours, while the tree's message
  to a rank 2^j away crosses 2^j links, each adding its latency: 1 + 2 + ... + N/2 = N - 1 hops
  per phase, the ring's 2(N - 1) latencies exactly, so the tree loses its edge on small
  messages and the ring wins or ties at every size.

Times within 1% of each other are called a tie.
"""

from __future__ import annotations

from collectives.cli.progress import progress
from collectives.sim.network import Network, fully_connected, ring
from collectives.sim.sweep import timed_run
from collectives.sim.timing import format_seconds

SIZES = tuple(8 * 8 ** e for e in range(8))  # 8 B .. 16 MiB
RANKS = (4, 16, 64)
TIE = 1.01  # times closer than this ratio are a tie
ALPHA, BANDWIDTH, GAMMA = 1e-6, 1e10, 1e-11
NETWORKS = {"fully connected": fully_connected, "ring": ring}


def size_name(nbytes: int) -> str:
    """8 -> ``8 B``, 4096 -> ``4 KiB``."""
    for unit in ("B", "KiB", "MiB"):
        if nbytes < 1024:
            return f"{nbytes} {unit}"
        nbytes //= 1024
    return f"{nbytes} GiB"


def crossover(n: int) -> float:
    """The K at which ring and tree take the same time on uniform fully connected links."""
    rounds = (n - 1).bit_length()
    beta = 1 / BANDWIDTH
    latency = 2 * (n - 1 - rounds) * ALPHA  # the ring's extra latency
    per_byte = 2 * rounds * beta + rounds * GAMMA - (n - 1) / n * (2 * beta + GAMMA)
    return latency / per_byte


def compare(name: str, build, n: int) -> None:
    """Print ring and tree times for every size on one network, and where the ring wins."""
    network: Network = build(n, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    print(f"{name}, N = {n}:")
    print(f"  {'K':>8}  {'ring':>12}  {'tree':>12}  faster  by")
    wins: dict[str, list[int]] = {"ring": [], "tree": [], "tie": []}
    for nbytes in progress(SIZES, desc=f"{name} N={n}"):
        times = {algorithm: timed_run("allreduce", algorithm, network, nbytes // 4).time
                 for algorithm in ("ring", "tree")}
        ring_time, tree_time = times["ring"], times["tree"]
        assert ring_time is not None and tree_time is not None
        ratio = max(ring_time, tree_time) / min(ring_time, tree_time)
        winner = "tie" if ratio < TIE else "ring" if ring_time < tree_time else "tree"
        wins[winner].append(nbytes)
        print(f"  {size_name(nbytes):>8}  {format_seconds(ring_time):>12}  "
              f"{format_seconds(tree_time):>12}  {winner:>6}  {ratio:5.2f}x")
    parts = [f"tree wins up to {size_name(max(wins['tree']))}" if wins["tree"] else
             "tree wins at no size", f"ring from {size_name(min(wins['ring']))}" if wins["ring"]
             else "ring at no size"]
    if wins["tie"]:
        parts.append(f"a tie at {', '.join(size_name(k) for k in wins['tie'])}")
    line = "  " + "; ".join(parts)
    if name == "fully connected":
        line += f"; the formulas cross at K = {crossover(n):,.0f} bytes"
    print(line)
    print()


def main() -> None:
    """Every network, N and size."""
    print("Ring against tree all-reduce")
    print("============================")
    print()
    print(f"Links: alpha = {ALPHA:g} s, bandwidth = {BANDWIDTH:g} B/s; gamma = {GAMMA:g} s/B; "
          "float32 buffers of K bytes.")
    print()
    for name, build in NETWORKS.items():
        for n in RANKS:
            compare(name, build, n)
    print("Small messages cost latency: on fully connected links the tree's 2*ceil(lg N) steps")
    print("beat the ring's 2(N-1). Large messages cost bandwidth: the ring sends 2K(N-1)/N per "
          "rank in all,")
    print("the tree K in each of its 2*ceil(lg N) steps, so the ring wins. On a ring network the "
          "tree's")
    print("messages to ranks further away cross as many links as the ring takes steps, so its "
          "latency")
    print("edge is gone and the ring wins or ties at every size.")


if __name__ == "__main__":
    main()
