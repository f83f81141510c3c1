"""The README's pictures, all written by one call (``python -m collectives plots``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collectives.plots.animation import animate
from collectives.plots.block_volume import plot_block_volume
from collectives.plots.scaling import bytes_scaling, time_scaling
from collectives.plots.timeline import step_timeline
from collectives.plots.traffic import link_bars, traffic_heatmap
from collectives.sim.engine import Simulation
from collectives.sim.frames import DEFAULT_COUNT, record_frames
from collectives.sim.network import fully_connected, ring
from collectives.sim.sweep import timed_run
from collectives.spec import example_inputs

SMALL_COUNT = 8 * 1024  #: float32 elements of the small runs: K = 32 KiB

# file name -> one sentence on what the picture shows
CAPTIONS: dict[str, str] = {
    "traffic_heatmap.png": "Bytes from each rank (row) to each rank (column) in an 8-rank "
                           "all-reduce of 32 KiB: ring sends 2(N-1)K/N to the next rank "
                           "only; tree sends whole K-byte buffers up and down a binomial tree "
                           "rooted at rank 0.",
    "link_bytes.png": "Bytes each link of an 8-rank ring network carries: ring all-reduce "
                      "loads the clockwise links evenly; tree all-reduce sends messages over "
                      "several hops, both ways, and loads some links three times as much as "
                      "others.",
    "timeline_ring_allreduce.png": "Ring all-reduce on a 6-rank ring whose link 2->3 has a "
                                   "quarter of the bandwidth: one row per link, one bar per "
                                   "chunk sent, coloured by chunk; every step of both phases "
                                   "waits for the slow link.",
    "timeline_tree_allreduce.png": "Tree all-reduce on a 6-rank ring: the reduce phase, then "
                                   "the broadcast; a message to a rank two hops away appears "
                                   "on both links it crosses.",
    "timeline_alltoall_ring.png": "Pairwise all-to-all on a 5-rank ring: at step s every rank "
                                  "sends to the rank s ahead, h = min(s, N-s) hops away, so h "
                                  "messages share each link; they split its row and the step "
                                  "lasts h times as long.",
    "bytes_per_rank.png": "Bytes each rank sends in all-reduce against N: ring stays on "
                          "2(N-1)K/N, which tends to 2K; the tree's mean is the same, but its "
                          "root sends lg N times K.",
    "time_vs_ranks.png": "All-reduce time against N on uniform links and on a ring with one "
                         "link 10x slower: ring all-reduce's time goes flat at 2K/B_slowest, "
                         "set by that link and not by N.",
    "animation_ring_allreduce.gif": "Ring all-reduce on 4 ranks, step by step: every rank "
                                    "sends one chunk to the next; after N-1 steps each rank "
                                    "holds one chunk with every rank's input in it, after "
                                    "N-1 more every chunk does, and every rank has sent "
                                    "2(N-1)K/N.",
    "animation_tree_allreduce.gif": "Tree all-reduce on 4 ranks, step by step: whole buffers "
                                    "go up a binomial tree to rank 0 and back down; rank 0 and "
                                    "rank 2 send 2K, the leaves K.",
    "tensor_parallel_volume.png": "Bytes each rank sends per tensor-parallel block against N, "
                                  "inference and training, measured on the simulator beside "
                                  "2(N-1)/N*bsh*itemsize and the textbook 2bsh and 4bsh; the "
                                  "sequence-parallel blocks beside them (hollow markers).",
}


def make_gallery(out: str | Path, *, max_ranks_bytes: int = 1024,
                 max_ranks_time: int = 256) -> dict[str, Any]:
    """Write every picture of :data:`CAPTIONS` into ``out``; return the numbers behind each,
    by file name. The sweeps run N = 2, 4, ... up to the given maxima."""
    out = Path(out)
    pictures: dict[str, Any] = {}
    flat = [Simulation.count_only("allreduce", ranks=8, count=SMALL_COUNT, algorithm=name).run()
            for name in ("ring", "tree")]
    pictures["traffic_heatmap.png"] = traffic_heatmap(flat, out / "traffic_heatmap.png")
    on_ring = [timed_run("allreduce", name, ring(8), SMALL_COUNT) for name in ("ring", "tree")]
    pictures["link_bytes.png"] = link_bars(
        on_ring, out / "link_bytes.png",
        titles=[f"{r.algorithm} all-reduce on a ring of 8" for r in on_ring])
    slow = ring(6).with_link(2, 3, bandwidth=ring(6).bandwidth / 4)
    pictures["timeline_ring_allreduce.png"] = step_timeline(
        timed_run("allreduce", "ring", slow, SMALL_COUNT), out / "timeline_ring_allreduce.png",
        title="ring all-reduce, 6 ranks on a ring, link 2<->3 at 1/4 bandwidth")
    pictures["timeline_tree_allreduce.png"] = step_timeline(
        timed_run("allreduce", "tree", ring(6), SMALL_COUNT), out / "timeline_tree_allreduce.png",
        title="tree all-reduce, 6 ranks on a ring")
    pictures["timeline_alltoall_ring.png"] = step_timeline(
        timed_run("alltoall", "pairwise", ring(5), SMALL_COUNT // 5),
        out / "timeline_alltoall_ring.png", title="pairwise all-to-all, 5 ranks on a ring")
    pictures["bytes_per_rank.png"] = bytes_scaling(_powers_of_two(max_ranks_bytes),
                                                   out / "bytes_per_rank.png")
    pictures["time_vs_ranks.png"] = time_scaling(_powers_of_two(max_ranks_time),
                                                 out / "time_vs_ranks.png")
    pictures["tensor_parallel_volume.png"] = plot_block_volume(out / "tensor_parallel_volume.png")
    inputs = example_inputs("allreduce", 4, DEFAULT_COUNT, "float32")
    for name in ("ring", "tree"):
        picture = f"animation_{name}_allreduce.gif"
        run = record_frames("allreduce", inputs, algorithm=name, network=fully_connected(4))
        pictures[picture] = animate(run, out / picture)
    return pictures


def _powers_of_two(top: int) -> list[int]:
    return [1 << e for e in range(1, max(top, 2).bit_length())]
