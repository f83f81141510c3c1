"""Ring all-reduce on 4 ranks, one step at a time: the picture every tutorial draws.

Printed by ``python sims/ring_allreduce.py`` and first by ``python -m collectives demo``.

Each rank holds 8 int32 elements, rank r's element i being 10·r + i. The simulator runs the
ring's 2(N - 1) steps one by one (``Simulation.step()``); after each step the script prints
every rank's chunks with their values and, from provenance, whose data has been summed into each
one. Then it holds the bytes each rank sent to 2(N - 1)K/N and the total to 2(N - 1)K, and shows
how the bytes per rank behave as N grows, against a binomial tree.
"""

from __future__ import annotations

import numpy as np

from collectives.partition import chunk_counts
from collectives.sim import Simulation, StepRecord

RANKS = 4
COUNT = 8
DTYPE = np.dtype("int32")
CELL = 15  # characters per chunk column


def _cell_values(values: np.ndarray) -> str:
    return "[" + " ".join(f"{int(v):>2}" for v in values) + "]"


def _cell_sources(ranks: tuple[int, ...]) -> str:
    return "+".join(str(r) for r in ranks)


def _picture(sim: Simulation, fresh: dict[int, int]) -> list[str]:
    """Two lines per rank: each chunk's values, then whose data is in it; ``*`` marks the chunk
    a rank has just received (``fresh`` maps rank -> chunk)."""
    n = sim.problem.ranks
    lines = [("          " + "".join(f"chunk {c}".ljust(CELL) for c in range(n))).rstrip()]
    for rank in range(n):
        chunks = sim.chunks(rank)
        sources = sim.contributors(rank)
        starts = np.concatenate([[0], np.cumsum([len(c) for c in chunks])])
        values, whose = f"  rank {rank}  ", "          "
        for index, chunk in enumerate(chunks):
            mark = " *" if fresh.get(rank) == index else ""
            values += (_cell_values(chunk) + mark).ljust(CELL)
            whose += _cell_sources(sources[int(starts[index])]).ljust(CELL)
        lines += [values.rstrip(), whose.rstrip()]
    return lines


def _describe(record: StepRecord, total: int) -> list[str]:
    """The step's heading and the messages it carried."""
    phase, number = record.label.rsplit(" ", 1)
    per_phase = total // 2
    what = ("the receiver adds it into its own copy of that chunk" if phase == "reduce-scatter"
            else "the receiver replaces its copy with the finished chunk")
    moves = ",  ".join(f"{t.src} -> {t.dst}: chunk {t.chunk}" for t in record.transfers)
    return [f"Step {record.index + 1} of {total}, {phase} {int(number) + 1} of {per_phase}: "
            f"every rank sends one chunk to its right-hand neighbour;",
            f"{what}.",
            f"  {moves}"]


def _inputs() -> list[np.ndarray]:
    """Rank r's element i is 10·r + i."""
    return [(10 * r + np.arange(COUNT)).astype(DTYPE) for r in range(RANKS)]


def _walk_through() -> Simulation:
    """Print the ring, the start, and the picture after every step; return the finished run."""
    sim = Simulation("allreduce", _inputs(), algorithm="ring", provenance=True)
    k = COUNT * DTYPE.itemsize
    chunk = COUNT // RANKS
    ring = " -> ".join(f"rank {r}" for r in [*range(RANKS), 0])
    print("Ring all-reduce, step by step")
    print("=============================")
    print()
    print(f"{RANKS} ranks stand in a ring; each one only ever sends to its right-hand neighbour:")
    print()
    print(f"    {ring}")
    print()
    print(f"Each rank holds {COUNT} {DTYPE} elements (K = {k} bytes); rank r's element i is "
          "10*r + i.")
    print(f"The buffer is cut into {RANKS} chunks of {chunk} elements. In each picture a cell "
          "is one chunk:")
    print("its values, and below them the ranks whose data has been summed into it; a * marks")
    print("the chunk a rank has just received.")
    print()
    print("Start: every rank holds only its own data.")
    print()
    print("\n".join(_picture(sim, {})))
    total = 2 * (RANKS - 1)
    while not sim.done:
        record = sim.step()
        if record.index == RANKS - 1:
            print()
            print("The reduce-scatter is over: rank r holds chunk r + 1 summed over every rank.")
            print("Now the all-gather passes the finished chunks around the ring.")
        print()
        print("\n".join(_describe(record, total)))
        print()
        print("\n".join(_picture(sim, {t.dst: t.chunk for t in record.transfers})))
    return sim


def _costs(sim: Simulation) -> None:
    """Bytes each rank sent against 2(N - 1)K/N, the total against 2(N - 1)K."""
    result = sim.result()
    n, k = RANKS, COUNT * DTYPE.itemsize
    numpy_sum = np.sum(np.stack(_inputs()), axis=0, dtype=DTYPE)
    same = all(np.array_equal(out, numpy_sum) for out in result.outputs)
    print()
    print(f"Done after {result.num_steps} = 2(N-1) steps. Every rank holds "
          f"[{' '.join(str(int(v)) for v in result.outputs[0])}],")
    print(f"and that is numpy's sum of the {n} inputs: {'yes' if same else 'NO'}.")
    print()
    print("What it cost")
    print("------------")
    chunk_bytes = int(chunk_counts(COUNT, n)[0]) * DTYPE.itemsize
    per_rank = 2 * (n - 1) * k // n
    print(f"Every step, every rank sends one chunk of {COUNT // n} {DTYPE} = {chunk_bytes} bytes: "
          f"{result.num_steps} x {chunk_bytes} = {result.num_steps * chunk_bytes} bytes each.")
    print()
    print(f"  rank   bytes sent   2(N-1)K/N = 2*{n - 1}*{k}/{n}")
    for rank, sent in enumerate(result.bytes_sent.tolist()):
        verdict = "equal" if sent == per_rank else "DIFFER"
        print(f"  {rank:>4}   {sent:>10}   {per_rank:>4}  {verdict}")
    total = 2 * (n - 1) * k
    print(f"  all    {result.total_bytes:>10}   2(N-1)K = 2*{n - 1}*{k} = {total}  "
          f"{'equal' if result.total_bytes == total else 'DIFFER'}")


def _scaling() -> None:
    """Bytes per rank as N grows, ring against the busiest rank of a binomial tree."""
    count = 1024
    k = count * DTYPE.itemsize
    print()
    print("As N grows")
    print("----------")
    print(f"The same all-reduce of K = {k} bytes per rank on more ranks (counted, not moved):")
    print()
    print("      N   ring: each rank sends   tree: busiest rank sends")
    for n in (2, 4, 8, 64, 512):
        ring = Simulation.count_only("allreduce", ranks=n, count=count, dtype=DTYPE,
                                     algorithm="ring").run()
        tree = Simulation.count_only("allreduce", ranks=n, count=count, dtype=DTYPE,
                                     algorithm="tree").run()
        ring_bytes, tree_bytes = int(ring.bytes_sent.max()), int(tree.bytes_sent.max())
        print(f"  {n:>5}   {ring_bytes:>7} = {ring_bytes / k:.3f} K     "
              f"{tree_bytes:>7} = {tree_bytes / k:.0f} K")
    print()
    print("Each ring rank sends 2(N-1)/N of its buffer: never more than 2K, however many ranks")
    print("join. No all-reduce can make every rank send less (Patarasuk and Yuan), while the")
    print("tree's root sends its whole buffer once per level, lg N times.")


def main() -> None:
    """Walk through the ring, then count its bytes."""
    sim = _walk_through()
    _costs(sim)
    _scaling()


if __name__ == "__main__":
    main()
