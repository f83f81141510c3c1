"""Communication volume per block against N: measured on the simulator, beside the formulas.

For each N the MLP and attention blocks run one training step on N simulated ranks; the bytes
one rank sent in the forward all-reduce (inference) and in both (training) are plotted against
2(N−1)/N·bsh·itemsize and 4(N−1)/N·bsh·itemsize (ring), which approach the textbook 2bsh and
4bsh as N grows. Each N costs one simulated training step of both blocks on N ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from collectives.plots.figure import new_figure, save
from collectives.tensor_parallel.attention import ParallelAttention
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
        sent[f"{name} inference"] = group.bytes_sent(f"{name}.g.forward")
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

        for key, value in run_simulated(n, program, algorithm=algorithm)[0].items():
            volume.measured.setdefault(key, []).append(value)
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
    fig = new_figure(7, 4.5)
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
    ax.set_xscale("log", base=2)
    ax.set_xticks(volume.ranks, [str(n) for n in volume.ranks])
    ax.set_xlabel("tensor-parallel ranks N")
    ax.set_ylabel("KiB sent per rank per block")
    ax.set_title(f"Tensor-parallel block communication ({volume.algorithm} all-reduce, "
                 f"b={volume.batch}, s={volume.seq}, h={volume.hidden}, float64)")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, alpha=0.3)
    volume.path = save(fig, path)
    return volume
