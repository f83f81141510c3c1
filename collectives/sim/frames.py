"""What each frame of an animated run shows, read from the simulator one step at a time
(:mod:`collectives.plots.animation` draws them).

The run is a :class:`~collectives.sim.engine.Simulation` in provenance mode on a network; frame 0
is the start and frame s + 1 the state after step s. Each frame holds

- the links the step used (its :class:`~collectives.sim.timing.StepTiming`'s routes), each with
  the bytes that crossed it and the schedule's chunk labels of the transfers on it;
- for every chunk of every rank's working buffer, which inputs it holds so far: the share of its
  elements into which rank i's input has gone (:meth:`Simulation.provenance`);
- the chunks the step wrote into;
- the bytes each rank has sent so far (:attr:`Simulation.bytes_sent`).

Beside them, the reference formula's bytes per rank for the whole run
(:func:`collectives.costs.reference_cost`), which the last frame reaches.

A chunk is one block where the working buffer is made of blocks (N of them; 2N for all-to-all,
whose buffer holds the blocks to send and the blocks received) and, where it holds one buffer
(broadcast, reduce, all-reduce), one of the N pieces the ring cuts it into
(:func:`~collectives.partition.chunk_offsets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from collectives.costs import reference_cost
from collectives.ops import Op
from collectives.partition import chunk_offsets
from collectives.sim.engine import SimResult, Simulation, StepRecord
from collectives.sim.network import Network
from collectives.spec import Problem

START_LABEL = "start"
DEFAULT_COUNT = 16  #: elements per rank of an animated run: few, so tracking inputs stays cheap


@dataclass(frozen=True)
class LinkCrossing:
    """One link a step used, and what crossed it."""

    link: int  #: the link's id in the network
    source: int  #: vertex the link leaves (a rank, or a switch numbered after the ranks)
    target: int  #: vertex it enters
    nbytes: int  #: bytes of every message of the step that crossed it
    chunks: tuple[int, ...]  #: the chunk labels of the transfers on it, sorted (-1: no label)


@dataclass(frozen=True)
class Frame:
    """The run at the start (index 0) or after step ``index - 1``."""

    index: int
    label: str  #: "start", or the step's label ("reduce-scatter 0")
    links: tuple[LinkCrossing, ...]  #: the links the step used, by link id (none at the start)
    holdings: np.ndarray  #: [rank, chunk, input rank]: share of the chunk's elements holding it
    written: np.ndarray  #: [rank, chunk]: True where the step wrote into the chunk
    bytes_sent: np.ndarray  #: per rank, so far


@dataclass(frozen=True)
class RunFrames:
    """Every frame of one run, with what stays the same from frame to frame."""

    result: SimResult  #: the finished run (provenance checked)
    network: Network
    offsets: np.ndarray  #: chunk boundaries in each working buffer (parts + 1 offsets)
    formula: np.ndarray  #: the reference's bytes per rank for the whole run
    frames: list[Frame]

    @property
    def parts(self) -> int:
        """Chunks per working buffer."""
        return len(self.offsets) - 1

    @property
    def links_used(self) -> list[int]:
        """Every link some step used, sorted."""
        return sorted({crossing.link for frame in self.frames for crossing in frame.links})


def chunk_parts(problem: Problem) -> int:
    """Chunks to cut a working buffer into: its blocks, or N where it is one buffer."""
    blocks = problem.work_size // problem.count if problem.count else 1
    return problem.ranks if blocks == 1 else blocks


def record_frames(collective: str, inputs: Sequence[np.ndarray | None], *, algorithm: str,
                  network: Network, op: str | Op | Any = "sum", root: int = 0) -> RunFrames:
    """Run ``algorithm`` on ``inputs`` (one per rank) on ``network`` in provenance mode and
    keep a frame at the start and after every step."""
    sim = Simulation(collective, inputs, algorithm=algorithm, op=op, root=root, provenance=True,
                     network=network, keep_transfers=True)
    offsets = chunk_offsets(sim.problem.work_size, chunk_parts(sim.problem))
    frames = [_frame(sim, offsets, None, network)]
    while not sim.done:
        frames.append(_frame(sim, offsets, sim.step(), network))
    return RunFrames(result=sim.result(), network=network, offsets=offsets,
                     formula=reference_cost(sim.problem, algorithm).bytes_sent, frames=frames)


def _frame(sim: Simulation, offsets: np.ndarray, record: StepRecord | None,
           network: Network) -> Frame:
    n = sim.problem.ranks
    holdings = np.stack([_holdings(sim.provenance(rank), offsets) for rank in range(n)])
    written = np.zeros((n, len(offsets) - 1), dtype=bool)
    if record is None:
        return Frame(0, START_LABEL, (), holdings, written, sim.bytes_sent)
    step = record.transfers
    assert step is not None  # kept: the simulation was made with keep_transfers=True
    start, stop = step.dst_start, step.dst_start + step.length
    touches = (offsets[None, :-1] < stop[:, None]) & (offsets[None, 1:] > start[:, None])
    np.logical_or.at(written, step.dst, touches & (step.length > 0)[:, None])
    return Frame(record.index + 1, record.label, _crossings(record, network), holdings, written,
                 sim.bytes_sent)


def _holdings(provenance: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """[chunk, input rank]: the share of the chunk's elements that input has gone into."""
    went_in = provenance.any(axis=2).astype(np.int64)  # [element, input rank]
    running = np.concatenate([np.zeros((1, went_in.shape[1]), dtype=np.int64),
                              np.cumsum(went_in, axis=0)])
    sizes = np.diff(offsets)[:, None]
    return (running[offsets[1:]] - running[offsets[:-1]]) / np.maximum(sizes, 1)


def _crossings(record: StepRecord, network: Network) -> tuple[LinkCrossing, ...]:
    timing, step = record.timing, record.transfers
    assert timing is not None and step is not None
    sources, targets = network.link_ends(timing.link_ids)
    crossings = []
    for link, load, source, target in zip(timing.link_ids.tolist(), timing.link_load.tolist(),
                                          sources.tolist(), targets.tolist(), strict=True):
        messages = timing.hop_message[timing.hop_link == link]
        on_link = np.isin(timing.message_of, messages) & step.remote
        chunks = tuple(sorted({int(c) for c in step.chunk[on_link].tolist()}))
        crossings.append(LinkCrossing(link, source, target, int(load), chunks))
    return tuple(crossings)
