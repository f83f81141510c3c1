"""One training step of a whole transformer layer on one rank, in each parallel variant.

:func:`layer_step` is the per-rank program behind the layer section of
``sims/tensor_parallel.py``: every rank builds the same parameters, input, output gradient and
dropout masks from the seed, runs the unsplit layer (the reference), then the layer forward and
backward in each of :data:`~collectives.tensor_parallel.memory.VARIANTS` through its group
(sequence variants on its slice of the sequence), and returns a picklable
:class:`LayerRankReport`: agreement with the reference, the calls and bytes the group logged, and
the activation bytes each variant's forward kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from collectives.tensor_parallel.group import AllReduceRecord, Group
from collectives.tensor_parallel.layer import (
    ParallelTransformerLayer,
    check_sequence,
    sequence_slice,
    shard_layer_params,
)
from collectives.tensor_parallel.layer_reference import (
    init_layer_params,
    layer_backward,
    layer_forward,
    layer_mask_shapes,
)
from collectives.tensor_parallel.memory import VARIANTS, stored_bytes, term_bytes
from collectives.tensor_parallel.norm import dropout_masks
from collectives.tensor_parallel.reference import Params, check_heads
from collectives.tensor_parallel.step import RTOL

#: the layer's options per variant
VARIANT_OPTIONS = {"tensor": {"sequence": False},
                   "sequence": {"sequence": True, "regather": True},
                   "sequence, inputs kept": {"sequence": True, "regather": False}}


@dataclass(frozen=True)
class LayerConfig:
    """The layer a step runs: activations [batch, seq, hidden], ``heads`` heads, dropout keeping
    each element with probability ``keep_prob``."""

    batch: int = 2
    seq: int = 16
    hidden: int = 64
    heads: int = 4
    causal: bool = True
    keep_prob: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        check_heads(self.hidden, self.heads)


@dataclass(frozen=True)
class LayerData:
    """The whole parameters, data and dropout masks every rank builds from the seed."""

    params: Params
    x: np.ndarray  #: the layer input, [b, s, h]
    d_out: np.ndarray  #: the gradient arriving from above, [b, s, h]
    masks: dict[str, np.ndarray]


def make_layer_data(config: LayerConfig) -> LayerData:
    """Deterministic float64 parameters, data and masks for ``config``."""
    rng = np.random.default_rng(config.seed)
    shape = (config.batch, config.seq, config.hidden)
    params = init_layer_params(config.hidden, rng)
    x, d_out = rng.standard_normal(shape), rng.standard_normal(shape)
    masks = dropout_masks(layer_mask_shapes(*shape, config.heads), config.keep_prob,
                          config.seed + 1)
    return LayerData(params, x, d_out, masks)


@dataclass
class VariantReport:
    """One variant of the layer on one rank."""

    input_shape: tuple[int, ...]
    worst_error: float  #: max over y, dx and gradients of |got − want| / max |want|
    matches: bool
    records: list[AllReduceRecord]  #: the calls this variant made, in order
    stored: int  #: the paper's bytes of every array the forward pass kept
    terms: dict[str, int]  #: the same, per tensor of the paper's count


@dataclass
class LayerRankReport:
    """What one rank did in the layer step."""

    rank: int
    size: int
    variants: dict[str, VariantReport] = field(default_factory=dict)


def _relative(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-300))


def _run_variant(group: Group, config: LayerConfig, data: LayerData, variant: str,
                 want: tuple[np.ndarray, np.ndarray, Params]) -> VariantReport:
    """Run ``variant`` forward and backward; compare with the reference ``want``."""
    options = VARIANT_OPTIONS[variant]
    layer = ParallelTransformerLayer.from_full(data.params, config.heads, group,
                                               causal=config.causal,
                                               keep_prob=config.keep_prob, **options)

    def mine(array: np.ndarray) -> np.ndarray:
        return sequence_slice(array, group.size, group.rank) if options["sequence"] else array

    first = len(group.records)
    x = mine(data.x)
    y, cache = layer.forward(group, x, data.masks)
    stored, terms = stored_bytes(cache), term_bytes(cache)
    dx, grads = layer.backward(group, cache, mine(data.d_out))
    want_grads = shard_layer_params(want[2], config.heads, group.size, group.rank)
    error = max([_relative(y, mine(want[0])), _relative(dx, mine(want[1]))]
                + [_relative(grads[name], want_grads[name]) for name in want_grads])
    return VariantReport(x.shape, error, error <= RTOL, group.records[first:], stored, terms)


def layer_step(group: Group, config: LayerConfig,
               data: LayerData | None = None) -> LayerRankReport:
    """Run the layer in every variant on this rank and check each against the reference."""
    check_sequence(config.seq, group.size)  # on every rank alike, before any message
    data = make_layer_data(config) if data is None else data
    y, cache = layer_forward(data.params, data.x, data.masks, config.heads,
                             causal=config.causal, keep_prob=config.keep_prob)
    dx, grads = layer_backward(data.params, cache, data.d_out)
    report = LayerRankReport(group.rank, group.size)
    for variant in VARIANTS:
        report.variants[variant] = _run_variant(group, config, data, variant, (y, dx, grads))
    return report
