"""One rank's whole transformer layer, tensor parallel or tensor + sequence parallel.

The layer of :mod:`~collectives.tensor_parallel.layer_reference` with its attention and MLP
blocks split over the group's t ranks (Megatron-LM's split), in one of two variants:

- tensor parallel (``sequence=False``): x, the layer norms, the dropouts and the residual adds
  are replicated, [b, s, h] on every rank; each block all-reduces once forward (g) and once
  backward (f).
- tensor + sequence parallel (``sequence=True``, Korthikanti et al. 2022): rank r holds positions
  r·s/t ... (r+1)·s/t − 1 of x and runs the layer norms, dropouts and residuals on them alone;
  f all-gathers the sequence going forward and reduce-scatters it going backward, g
  reduce-scatters going forward and all-gathers going backward. Per block that is the same bytes
  as the two all-reduces (a ring all-reduce is a reduce-scatter and an all-gather), plus, with
  ``regather=True`` (the paper's choice), one more all-gather of the saved 1/t input of each
  block's first linear layer in backward; with ``regather=False`` that input is kept whole.

The dropout masks are given whole (every rank draws the same ones); a rank keeps its heads' part
of the attention-probability mask and (sequence) its positions of the others. The layer norms'
γ and β are replicated: under sequence parallelism each rank's gradient covers its positions
only, so backward all-reduces them (4h elements, logged as ``"norms.grads"``, apart from the
blocks). Needs t to divide 4h, the head count and (sequence) the sequence length s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.errors import InvalidInputError
from collectives.tensor_parallel.attention import ParallelAttention, shard_attention_params
from collectives.tensor_parallel.group import Group
from collectives.tensor_parallel.layer_reference import (
    NORMS,
    LayerCache,
    prefixed,
    sub_params,
)
from collectives.tensor_parallel.linear import Grads
from collectives.tensor_parallel.mlp import ParallelMLP, shard_mlp_params
from collectives.tensor_parallel.norm import dropout, layer_norm_backward, layer_norm_forward
from collectives.tensor_parallel.reference import Params
from collectives.tensor_parallel.shard import part

NORM_GRADS_LABEL = "norms.grads"


def check_sequence(seq: int, size: int) -> None:
    """Raise unless the ``size`` ranks divide the sequence length ``seq``."""
    if seq % size:
        raise InvalidInputError(
            f"expected a sequence length divisible by t = {size} (sequence parallelism gives "
            f"each rank s/t positions), got {seq}")


def sequence_slice(x: np.ndarray, size: int, rank: int) -> np.ndarray:
    """Rank ``rank``'s positions of ``x`` ([b, s, ...]) as an array of its own."""
    check_sequence(x.shape[1], size)
    return np.ascontiguousarray(x[:, part(x.shape[1], size, rank)])


def shard_layer_params(params: Params, heads: int, size: int, rank: int) -> Params:
    """Rank ``rank``'s shard of a whole layer's parameters (or gradients): the blocks split, the
    layer norms whole."""
    shard = {k: v for k, v in params.items() if k.split(".")[0] in NORMS}
    shard.update(prefixed(shard_attention_params(sub_params(params, "attention"), heads, size,
                                                 rank), "attention"))
    shard.update(prefixed(shard_mlp_params(sub_params(params, "mlp"), size, rank), "mlp"))
    return shard


@dataclass
class ParallelTransformerLayer:
    """One rank's layer: replicated layer norms, split attention and MLP blocks."""

    norms: Params  #: ``ln1.weight`` ... ``ln2.bias``, replicated
    attention: ParallelAttention
    mlp: ParallelMLP
    keep_prob: float
    sequence: bool = False

    @classmethod
    def from_full(cls, params: Params, heads: int, group: Group, *, causal: bool = True,
                  keep_prob: float = 1.0, sequence: bool = False,
                  regather: bool = True) -> ParallelTransformerLayer:
        """This rank's layer cut from a whole layer's parameters."""
        norms = {k: v for k, v in params.items() if k.split(".")[0] in NORMS}
        attention = ParallelAttention.from_full(sub_params(params, "attention"), heads, group,
                                                causal=causal, sequence=sequence,
                                                regather=regather)
        mlp = ParallelMLP.from_full(sub_params(params, "mlp"), group, sequence=sequence,
                                    regather=regather)
        return cls(norms, attention, mlp, keep_prob, sequence)

    def parameters(self) -> Params:
        """This rank's parameters by name."""
        return {**self.norms, **prefixed(self.attention.parameters(), "attention"),
                **prefixed(self.mlp.parameters(), "mlp")}

    def _my_masks(self, group: Group, masks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """This rank's part of each whole mask, as arrays of their own."""
        probs = masks["attention.probs"]
        mine = {"attention.probs": np.ascontiguousarray(
            probs[:, part(probs.shape[1], group.size, group.rank)])}
        for name in ("attention.out", "mlp.out"):
            mine[name] = (sequence_slice(masks[name], group.size, group.rank) if self.sequence
                          else masks[name])
        return mine

    def forward(self, group: Group, x: np.ndarray,
                masks: dict[str, np.ndarray]) -> tuple[np.ndarray, LayerCache]:
        """y from x: both [b, s, h] (tensor parallel) or this rank's [b, s/t, h] (sequence)."""
        seq = masks["mlp.out"].shape[1]
        if self.sequence:
            check_sequence(seq, group.size)
        want = seq // group.size if self.sequence else seq
        if x.ndim != 3 or x.shape[1] != want:
            raise InvalidInputError(f"expected x of shape [b, {want}, h] (this rank's positions "
                                    f"of the {seq} the masks cover), got {list(x.shape)}")
        mine, p = self._my_masks(group, masks), self.keep_prob
        h1 = layer_norm_forward(x, self.norms["ln1.weight"], self.norms["ln1.bias"])
        a, a_cache = self.attention.forward(group, h1, keep=mine["attention.probs"], keep_prob=p)
        x2 = x + dropout(a, mine["attention.out"], p)
        h2 = layer_norm_forward(x2, self.norms["ln2.weight"], self.norms["ln2.bias"])
        m, m_cache = self.mlp.forward(group, h2)
        y = x2 + dropout(m, mine["mlp.out"], p)
        return y, LayerCache(x, a_cache, mine["attention.out"], x2, m_cache, mine["mlp.out"], p)

    def backward(self, group: Group, cache: LayerCache,
                 dy: np.ndarray) -> tuple[np.ndarray, Grads]:
        """dx (shaped as x) and this rank's parameter gradients, each whole for its shard."""
        p = cache.keep_prob
        dh2, mlp_grads = self.mlp.backward(group, cache.mlp, dropout(dy, cache.mlp_keep, p))
        dx2_norm, ln2_grads = layer_norm_backward(cache.ln2_x, self.norms["ln2.weight"], dh2)
        dx2 = dy + dx2_norm
        dh1, attention_grads = self.attention.backward(
            group, cache.attention, dropout(dx2, cache.attention_keep, p))
        dx1_norm, ln1_grads = layer_norm_backward(cache.ln1_x, self.norms["ln1.weight"], dh1)
        norm_grads = {**prefixed(ln1_grads, "ln1"), **prefixed(ln2_grads, "ln2")}
        if self.sequence:  # each rank's sums cover its positions: add them up
            norm_grads = self._summed(group, norm_grads)
        return dx2 + dx1_norm, {**norm_grads, **prefixed(attention_grads, "attention"),
                                **prefixed(mlp_grads, "mlp")}

    @staticmethod
    def _summed(group: Group, grads: Grads) -> Grads:
        """Every rank's ``grads`` summed, in one all-reduce."""
        names = sorted(grads)
        total = group.allreduce(np.concatenate([grads[n] for n in names]),
                                label=NORM_GRADS_LABEL)
        return dict(zip(names, np.split(total, len(names)), strict=True))
