"""Every algorithm of every collective, counted against the reference table, and who wins where.

    python sims/algorithm_zoo.py

Part 1: for N = 4, 5 and 8, each algorithm's steps and the bytes its busiest rank sends, as the
simulator counts them, beside the reference table's figures (``collectives.costs.reference_cost``,
written from the formulas); ``=`` marks an exact match. An algorithm that cannot run at that N
says why; the hierarchical ones run in nodes of G = 2 ranks. Part 2: on a fully connected network
and on a ring (1 µs, 10 GB/s links, reductions at 100 GB/s), and on 2 nodes of 4 ranks joined by
a switch (the same links inside a node, 5 µs and 1.25 GB/s to the switch), which algorithm
finishes first for a small (1 KiB) and a large (16 MiB) message at N = 8; pipelined algorithms
try S = 1, 4, 16 and 64 segments and keep their best. The hierarchical algorithms run on the
nodes network only (on one node they are the flat ring).
"""

from __future__ import annotations

import numpy as np

from collectives.catalogue import (
    CATALOGUE,
    COLLECTIVES,
    REDUCING,
    collective_info,
    runnable_algorithms,
)
from collectives.costs import reference_cost
from collectives.errors import UnsupportedError
from collectives.ops import resolve_op
from collectives.sim import Simulation
from collectives.sim.network import (
    DEFAULT_INTER_ALPHA,
    DEFAULT_INTER_BANDWIDTH,
    Hierarchical,
    Network,
    fully_connected,
    hierarchical,
    ring,
)
from collectives.sim.timing import format_seconds
from collectives.spec import Problem

DTYPE = np.dtype("float32")
BLOCK_BYTES = 1024  #: part 1: bytes per block (or per rank buffer)
RANKS = (4, 5, 8)
SEGMENT_CHOICES = (1, 4, 16, 64)
WINNER_RANKS = 8
SIZES = {"small": 1 << 10, "large": 16 << 20}  #: K, the reference's size, in bytes
GROUP_SIZE = 2  #: part 1: ranks per node of the hierarchical algorithms
NODE_RANKS = 4  #: part 2: ranks per node of the nodes network


def _op(collective: str):
    return resolve_op("sum") if collective in REDUCING else None


def _count_for(collective: str, ranks: int, nbytes: int) -> int:
    """Elements per block (or per buffer) that make the reference's K = ``nbytes``."""
    blocks = collective_info(collective).blocks(ranks)
    return max(nbytes // (blocks * DTYPE.itemsize), 1)


def _counted(collective: str, algorithm: str, ranks: int) -> str:
    """One line of part 1."""
    count = BLOCK_BYTES // DTYPE.itemsize
    group = GROUP_SIZE if CATALOGUE[collective][algorithm].needs_equal_nodes else None
    name = algorithm if group is None else f"{algorithm} G={group}"
    try:
        run = Simulation.count_only(collective, ranks=ranks, count=count, dtype=DTYPE,
                                    algorithm=algorithm, group_size=group).run()
    except UnsupportedError as error:
        reason = str(error).split(", got")[0].split("expected ")[-1]
        return f"    {name:<22}{ranks:>3}   cannot run: expected {reason}"
    table = reference_cost(Problem(collective, ranks, (count,), DTYPE, 0, _op(collective),
                                   group_size=group), algorithm)
    busiest = int(run.bytes_sent.max())
    steps_mark = "=" if run.num_steps == table.steps else "!"
    bytes_mark = "=" if np.array_equal(run.bytes_sent, table.bytes_sent) else "!"
    return (f"    {name:<22}{ranks:>3}   {run.num_steps:>3} {steps_mark} {table.steps:<3}"
            f"   {busiest:>7} {bytes_mark} {table.busiest:<7}   {run.total_bytes:>8}")


def part_one() -> None:
    """Steps and busiest-rank bytes against the table, for every algorithm."""
    print("Part 1: every algorithm, counted, beside the reference table")
    print("=============================================================")
    print(f"Blocks (or buffers) of {BLOCK_BYTES} bytes; root 0; '=' marks an exact match with "
          "the table")
    print("(per rank, not only the busiest; the totals are all ranks together).")
    for collective in COLLECTIVES:
        print()
        print(f"  {collective}")
        print(f"    {'algorithm':<22}{'N':>3}   steps (table)   busiest (table)      total")
        for algorithm in CATALOGUE[collective]:
            for ranks in RANKS:
                print(_counted(collective, algorithm, ranks))


def _fastest(collective: str, algorithm: str, network: Network,
             count: int) -> tuple[float, int]:
    """Best time over the segment choices the algorithm accepts, and the S that gave it."""
    pipelines = CATALOGUE[collective][algorithm].pipelines
    best = (float("inf"), 1)
    for segments in SEGMENT_CHOICES if pipelines else (1,):
        run = Simulation.count_only(collective, ranks=network.ranks, count=count, dtype=DTYPE,
                                    algorithm=algorithm, network=network, segments=segments,
                                    keep_transfers=False).run()
        assert run.time is not None
        best = min(best, (run.time, segments))
    return best


def part_two() -> None:
    """Who wins for small and large messages on two topologies."""
    networks = {"fully connected": fully_connected(WINNER_RANKS),
                "ring": ring(WINNER_RANKS),
                f"{WINNER_RANKS // NODE_RANKS} nodes of {NODE_RANKS}":
                    hierarchical(WINNER_RANKS, NODE_RANKS)}
    print()
    print("Part 2: who wins, N = 8, links of 1 µs and 10 GB/s, reductions at 100 GB/s")
    print("===========================================================================")
    print(f"(nodes: links to the switch of {format_seconds(DEFAULT_INTER_ALPHA)} and "
          f"{DEFAULT_INTER_BANDWIDTH / 1e9:g} GB/s)")
    for collective in COLLECTIVES:
        names, _ = runnable_algorithms(collective, list(CATALOGUE[collective]),
                                       _op(collective), WINNER_RANKS)
        print()
        print(f"  {collective}")
        for label, nbytes in SIZES.items():
            count = _count_for(collective, WINNER_RANKS, nbytes)
            for where, network in networks.items():
                nodes = isinstance(network, Hierarchical)
                times = {name: _fastest(collective, name, network, count) for name in names
                         if nodes or not CATALOGUE[collective][name].needs_equal_nodes}
                ranked = sorted(times.items(), key=lambda item: (item[1][0], item[0]))
                winner, (seconds, segments) = ranked[0]
                shown = f"{winner}" + (f" (S={segments})" if segments > 1 else "")
                rest = ", ".join(f"{name} {format_seconds(t)}" for name, (t, _) in ranked[1:])
                print(f"    {label} ({nbytes // 1024} KiB), {where}: {shown} in "
                      f"{format_seconds(seconds)}" + (f"; then {rest}" if rest else ""))


def main() -> None:
    """Both parts."""
    part_one()
    part_two()


if __name__ == "__main__":
    main()
