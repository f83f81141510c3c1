"""The tensor-parallel multi-head attention block on one rank (Megatron-LM's split).

W_Q, W_K and W_V are split by columns along head boundaries, so rank r owns H/N whole heads and
computes their softmax attention with no communication; the fused shard is
[W_Q,r | W_K,r | W_V,r] ([h, 3h/N]), behind one f. The output projection W_O is split by rows
(row-parallel, behind g). Shapes per rank: [b, s, h] × [h, 3h/N] → Q, K, V of [b, s, h/N]
(H/N heads) → context [b, s, h/N] × [h/N, h] → [b, s, h].

Cost: one all-reduce of [b, s, h] forward (g), one backward (f); with the ring algorithm each
moves 2(N−1)/N·bsh elements per rank. Needs N to divide the head count H. With
``sequence=True`` X and the output are this rank's s/N positions and each all-reduce becomes
an all-gather and a reduce-scatter (see :mod:`~collectives.tensor_parallel.linear`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.tensor_parallel.group import Group
from collectives.tensor_parallel.heads import (
    HeadsCache,
    attention_heads_backward,
    attention_heads_forward,
)
from collectives.tensor_parallel.linear import ColumnParallelLinear, Grads, RowParallelLinear
from collectives.tensor_parallel.reference import Params, check_heads
from collectives.tensor_parallel.shard import check_divisible, split_columns, split_rows


def shard_attention_params(params: Params, heads: int, size: int, rank: int) -> Params:
    """Rank ``rank``'s shard of the full attention parameters (whole heads)."""
    check_heads(params["proj.weight"].shape[0], heads)
    check_divisible("the head count", heads, size, "each rank owns whole heads")
    return {
        "qkv.weight": split_columns(params["qkv.weight"], size, rank, parts=3),
        "qkv.bias": split_columns(params["qkv.bias"], size, rank, parts=3),
        "proj.weight": split_rows(params["proj.weight"], size, rank),
        "proj.bias": params["proj.bias"],
    }


@dataclass(frozen=True)
class ParallelAttentionCache:
    """One rank's saved activations."""

    x: np.ndarray  #: what the QKV layer saved: X, or this rank's slice of it
    heads: HeadsCache
    context: np.ndarray  #: this rank's heads' output, [b, s, h/N]


@dataclass
class ParallelAttention:
    """One rank's attention: a column-parallel fused QKV, its heads, a row-parallel W_O."""

    qkv: ColumnParallelLinear
    proj: RowParallelLinear
    heads: int  #: heads on this rank, H/N
    causal: bool = False

    @classmethod
    def from_full(cls, params: Params, heads: int, group: Group, *, causal: bool = False,
                  block: str = "attention", sequence: bool = False,
                  regather: bool = True) -> ParallelAttention:
        """This rank's block cut from the full parameters of an H-head attention (``sequence``:
        taking and giving this rank's slice of the sequence)."""
        shard = shard_attention_params(params, heads, group.size, group.rank)
        return cls(ColumnParallelLinear(shard["qkv.weight"], shard["qkv.bias"], block,
                                        sequence, regather),
                   RowParallelLinear(shard["proj.weight"], shard["proj.bias"], block, sequence),
                   heads // group.size, causal)

    def parameters(self) -> Params:
        """This rank's parameters by name."""
        return {f"{name}.{key}": value for name, layer in (("qkv", self.qkv), ("proj", self.proj))
                for key, value in layer.parameters().items()}

    def forward(self, group: Group, x: np.ndarray, *, keep: np.ndarray | None = None,
                keep_prob: float = 1.0) -> tuple[np.ndarray, ParallelAttentionCache]:
        """The block's output (whole on every rank, or this rank's slice) from X (replicated,
        or this rank's slice); one all-reduce. ``keep``: this rank's heads' dropout mask on the
        attention probabilities, [b, H/N, s, s]."""
        qkv, saved = self.qkv.forward(group, x)
        q, k, v = np.split(qkv, 3, axis=-1)
        context, heads_cache = attention_heads_forward(q, k, v, self.heads, causal=self.causal,
                                                       keep=keep, keep_prob=keep_prob)
        out = self.proj.forward(group, context)
        return out, ParallelAttentionCache(saved, heads_cache, context)

    def backward(self, group: Group, cache: ParallelAttentionCache,
                 d_out: np.ndarray) -> tuple[np.ndarray, Grads]:
        """dX (whole, on every rank) and this rank's parameter gradients; one all-reduce."""
        d_context, proj_grads = self.proj.backward(group, cache.context, d_out)
        dqkv = np.concatenate(attention_heads_backward(cache.heads, d_context), axis=-1)
        dx, qkv_grads = self.qkv.backward(group, cache.x, dqkv)
        grads = {f"qkv.{k}": v for k, v in qkv_grads.items()}
        grads.update({f"proj.{k}": v for k, v in proj_grads.items()})
        return dx, grads
