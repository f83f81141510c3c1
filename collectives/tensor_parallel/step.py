"""One training step (forward and backward) of an MLP and an attention block, on one rank.

:func:`training_step` is the per-rank program behind ``sims/tensor_parallel.py``: every rank
builds the same full parameters and data from the seed, cuts its shard, runs both blocks forward
and backward through its group, checks its output, input gradient and every gradient of its
shard against the unsplit reference, and returns a picklable :class:`RankReport` (so an MPI run
can gather the reports to rank 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from collectives.tensor_parallel.attention import ParallelAttention, shard_attention_params
from collectives.tensor_parallel.group import AllReduceRecord, Group
from collectives.tensor_parallel.mlp import ParallelMLP, shard_mlp_params
from collectives.tensor_parallel.reference import (
    Params,
    attention_backward,
    attention_forward,
    check_heads,
    init_attention_params,
    init_mlp_params,
    mlp_backward,
    mlp_forward,
)

# Agreement with the unsplit reference: float64 rounding, summed in a different order.
RTOL = 1e-11


@dataclass(frozen=True)
class ModelConfig:
    """The model a step runs: activations [batch, seq, hidden], ``heads`` heads."""

    batch: int = 2
    seq: int = 16
    hidden: int = 64
    heads: int = 4
    causal: bool = True
    layers: int = 1  #: for the parameter count
    vocab: int = 256  #: for the parameter count
    seed: int = 0

    def __post_init__(self) -> None:
        check_heads(self.hidden, self.heads)


@dataclass(frozen=True)
class StepData:
    """The full parameters and data every rank builds from the seed."""

    mlp: Params
    attention: Params
    x: np.ndarray  #: the block input, [b, s, h]
    d_out: np.ndarray  #: the gradient arriving from above, [b, s, h]


def make_data(config: ModelConfig) -> StepData:
    """Deterministic float64 parameters and data for ``config``."""
    rng = np.random.default_rng(config.seed)
    shape = (config.batch, config.seq, config.hidden)
    return StepData(init_mlp_params(config.hidden, rng),
                    init_attention_params(config.hidden, rng),
                    rng.standard_normal(shape), rng.standard_normal(shape))


@dataclass
class BlockReport:
    """One block on one rank: shapes, parameter count, agreement with the reference."""

    shapes: dict[str, tuple[int, ...]]
    parameters: int
    worst_error: float  #: max over output, dX and gradients of |got − want| / max |want|
    matches: bool


@dataclass
class RankReport:
    """What one rank did in the step."""

    rank: int
    size: int
    blocks: dict[str, BlockReport] = field(default_factory=dict)
    records: list[AllReduceRecord] = field(default_factory=list)


def _worst_error(pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    return max(float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-300))
               for got, want in pairs)


def _compare(got: tuple[np.ndarray, np.ndarray, Params],
             want: tuple[np.ndarray, np.ndarray, Params]) -> float:
    """Worst relative error over the output, dX and every gradient."""
    pairs = [(got[0], want[0]), (got[1], want[1])]
    pairs += [(got[2][name], want[2][name]) for name in want[2]]
    return _worst_error(pairs)


def training_step(group: Group, config: ModelConfig, data: StepData | None = None) -> RankReport:
    """Run both blocks forward and backward on this rank and check them against the reference."""
    data = make_data(config) if data is None else data
    report = RankReport(group.rank, group.size)
    n, r = group.size, group.rank

    mlp = ParallelMLP.from_full(data.mlp, group)
    z, cache = mlp.forward(group, data.x)
    dx, grads = mlp.backward(group, cache, data.d_out)
    z_ref, cache_ref = mlp_forward(data.mlp, data.x)
    dx_ref, grads_ref = mlp_backward(data.mlp, cache_ref, data.d_out)
    error = _compare((z, dx, grads), (z_ref, dx_ref, shard_mlp_params(grads_ref, n, r)))
    report.blocks["mlp"] = BlockReport(
        {"X": data.x.shape, "A_r": mlp.fc1.weight.shape, "Y_r": cache.act.shape,
         "B_r": mlp.fc2.weight.shape, "Z": z.shape},
        sum(p.size for p in mlp.parameters().values()), error, error <= RTOL)

    attention = ParallelAttention.from_full(data.attention, config.heads, group,
                                            causal=config.causal)
    out, a_cache = attention.forward(group, data.x)
    dx, grads = attention.backward(group, a_cache, data.d_out)
    out_ref, a_cache_ref = attention_forward(data.attention, data.x, config.heads,
                                             causal=config.causal)
    dx_ref, grads_ref = attention_backward(data.attention, a_cache_ref, data.d_out)
    error = _compare((out, dx, grads), (out_ref, dx_ref, shard_attention_params(
        grads_ref, config.heads, n, r)))
    report.blocks["attention"] = BlockReport(
        {"X": data.x.shape, "W_QKV,r": attention.qkv.weight.shape,
         "Q_r": a_cache.heads.q.shape, "scores": a_cache.heads.probs.shape,
         "context_r": a_cache.context.shape, "W_O,r": attention.proj.weight.shape,
         "out": out.shape},
        sum(p.size for p in attention.parameters().values()), error, error <= RTOL)
    report.records = list(group.records)
    return report
