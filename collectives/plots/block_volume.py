"""Communication volume per block against N: measured on the simulator, beside the formulas.

For each N the MLP and attention blocks run one training step on N simulated ranks; the bytes
one rank sent in the forward all-reduce (inference) and in both (training) are plotted against
2(N−1)/N·bsh·itemsize and 4(N−1)/N·bsh·itemsize (ring), which approach the textbook 2bsh and
4bsh as N grows. The same blocks under sequence parallelism (each rank holding s/N positions,
the saved 1/N input gathered again in backward) are measured too: the same bytes forward,
5(N−1)/N·bsh·itemsize per training step. Each N costs one simulated training step of both
blocks on N ranks, in each variant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from collectives.plots.figure import new_figure, save
from collectives.tensor_parallel.attention import ParallelAttention
from collectives.tensor_parallel.layer import sequence_slice
from collectives.tensor_parallel.mlp import ParallelMLP
from collectives.tensor_parallel.reference import init_attention_params, init_mlp_params
from collectives.tensor_parallel.sim_backend import SimGroup, run_simulated
from collectives.tensor_parallel.volume import (
    ALLREDUCES_PER_BLOCK,
    block_volume_elements,
    ring_formula_bytes,
)


@dataclass
class BlockVolume:
    """Bytes one rank sends per block, for each N: measured, the ring formula, the textbook."""

    batch: int
    seq: int
    hidden: int
    heads: int
    itemsize: int
    algorithm: str
    ranks: list[int]
    measured: dict[str, list[int]] = field(default_factory=dict)  #: "mlp inference", ...
    #: the sequence-parallel blocks: "mlp inference", ...
    sequence: dict[str, list[int]] = field(default_factory=dict)
    sequence_formula: list[float] = field(default_factory=list)  #: training, 5(N−1)/N·bsh
    formula: dict[str, list[float]] = field(default_factory=dict)  #: "inference", "training"
    textbook: dict[str, int] = field(default_factory=dict)  #: 2bsh, 4bsh in bytes
    path: Path | None = None  #: where the picture was written, once it is

    def to_dict(self) -> dict:
        """A JSON-ready copy."""
        return {**asdict(self), "path": None if self.path is None else str(self.path)}


def _block_bytes(group: SimGroup, blocks: dict[str, ParallelMLP | ParallelAttention],
                 x: np.ndarray) -> dict[str, int]:
    """Run each block forward and backward; bytes this rank sent, per block and mode."""
    sent = {}
    for name, block in blocks.items():
        _, cache = block.forward(group, x)
        block.backward(group, cache, x)  # type: ignore[arg-type]
        sent[f"{name} inference"] = sum(r.bytes_sent for r in group.records
                                        if r.label.startswith(f"{name}.")
                                        and r.label.endswith(".forward"))
        sent[f"{name} training"] = group.bytes_sent(f"{name}.")
    return sent


def measure_block_volume(*, batch: int = 2, seq: int = 16, hidden: int = 64, heads: int = 16,
                         ranks: Sequence[int] = (1, 2, 4, 8, 16),
                         algorithm: str = "ring") -> BlockVolume:
    """Measure the bytes rank 0 sends per MLP and attention block for every N in ``ranks``."""
    rng = np.random.default_rng(0)
    mlp_params, attention_params = init_mlp_params(hidden, rng), init_attention_params(hidden, rng)
    x = rng.standard_normal((batch, seq, hidden))
    bsh, itemsize = batch * seq * hidden, x.dtype.itemsize
    volume = BlockVolume(batch, seq, hidden, heads, itemsize, algorithm, list(ranks))
    for n in ranks:
        def program(group: SimGroup) -> dict[str, int]:
            return _block_bytes(group, {
                "mlp": ParallelMLP.from_full(mlp_params, group),
                "attention": ParallelAttention.from_full(attention_params, heads, group)}, x)

        def sequence_program(group: SimGroup) -> dict[str, int]:
            return _block_bytes(group, {
                "mlp": ParallelMLP.from_full(mlp_params, group, sequence=True),
                "attention": ParallelAttention.from_full(attention_params, heads, group,
                                                         sequence=True)},
                                sequence_slice(x, group.size, group.rank))

        for key, value in run_simulated(n, program, algorithm=algorithm)[0].items():
            volume.measured.setdefault(key, []).append(value)
        for key, value in run_simulated(n, sequence_program, algorithm=algorithm)[0].items():
            volume.sequence.setdefault(key, []).append(value)
        volume.sequence_formula.append(2.5 * ring_formula_bytes(bsh, n, itemsize))
        for mode, calls in ALLREDUCES_PER_BLOCK.items():
            volume.formula.setdefault(mode, []).append(calls * ring_formula_bytes(bsh, n,
                                                                                  itemsize))
    for mode in ALLREDUCES_PER_BLOCK:
        volume.textbook[mode] = block_volume_elements(batch, seq, hidden, mode) * itemsize
    return volume


def plot_block_volume(path: str | Path, **kwargs) -> BlockVolume:
    """Measure (keyword arguments as :func:`measure_block_volume`), write the PNG to ``path``,
    and return the numbers behind it."""
    volume = measure_block_volume(**kwargs)
    fig = new_figure(10, 4.5)
    ax = fig.subplots()
    kib = 1024.0
    colours = {"inference": "tab:blue", "training": "tab:red"}
    for mode, colour in colours.items():
        ax.plot(volume.ranks, np.array(volume.formula[mode]) / kib, "-", color=colour,
                label=f"{mode}: ring formula {2 * ALLREDUCES_PER_BLOCK[mode]}(N−1)/N·bsh")
        ax.axhline(volume.textbook[mode] / kib, color=colour, linestyle=":",
                   label=f"{mode}: {2 * ALLREDUCES_PER_BLOCK[mode]}bsh")
        for block, marker in (("mlp", "o"), ("attention", "x")):
            ax.plot(volume.ranks, np.array(volume.measured[f"{block} {mode}"]) / kib, marker,
                    color=colour, linestyle="none", label=f"{mode}: {block} block, measured")
        for block, marker in (("mlp", "s"), ("attention", "+")):
            ax.plot(volume.ranks, np.array(volume.sequence[f"{block} {mode}"]) / kib, marker,
                    color=colour, linestyle="none", fillstyle="none", markersize=10,
                    label=f"{mode}: {block} block, sequence parallel, measured")
    ax.plot(volume.ranks, np.array(volume.sequence_formula) / kib, "--", color="tab:purple",
            label="training, sequence parallel (input re-gathered): 5(N−1)/N·bsh")
    ax.set_xscale("log", base=2)
    ax.set_xticks(volume.ranks, [str(n) for n in volume.ranks])
    ax.set_xlabel("tensor-parallel ranks N")
    ax.set_ylabel("KiB sent per rank per block")
    ax.set_title(f"Tensor-parallel block communication ({volume.algorithm}, "
                 f"b={volume.batch}, s={volume.seq}, h={volume.hidden}, float64)")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, alpha=0.3)
    volume.path = save(fig, path)
    return volume
