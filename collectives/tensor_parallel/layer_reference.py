"""The unsplit transformer layer (pre-norm, as in GPT-2 and Megatron-LM) in one process.

    h₁ = LN₁(x)
    x₂ = x + Dropout(Attention(h₁))        (the attention also drops out its probabilities)
    h₂ = LN₂(x₂)
    y  = x₂ + Dropout(MLP(h₂))

Parameters under ``ln1.*``, ``attention.*``, ``ln2.*`` and ``mlp.*`` (the blocks' names of
:mod:`~collectives.tensor_parallel.reference`); 12h² + 13h of them. The three dropout masks are
inputs (:func:`layer_mask_shapes`), so the split layers can use the same ones. The cache holds
what Korthikanti et al. count for one layer: the two layer norms' inputs, the attention block's
(QKV input, Q, K, V, softmax output, its dropout mask and output, the projection's input), the
MLP's (fc1 input, GeLU input, fc2 input) and the two dropout masks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from collectives.tensor_parallel.linear import Grads
from collectives.tensor_parallel.norm import dropout, layer_norm_backward, layer_norm_forward
from collectives.tensor_parallel.reference import (
    Params,
    attention_backward,
    attention_forward,
    init_attention_params,
    init_mlp_params,
    mlp_backward,
    mlp_forward,
)

NORMS = ("ln1", "ln2")


def init_layer_params(hidden: int, rng: np.random.Generator) -> Params:
    """Random parameters of a whole layer of hidden size ``hidden``."""
    params: Params = {}
    for norm in NORMS:
        params[f"{norm}.weight"] = 1.0 + 0.1 * rng.standard_normal(hidden)
        params[f"{norm}.bias"] = 0.1 * rng.standard_normal(hidden)
    params.update({f"attention.{k}": v for k, v in init_attention_params(hidden, rng).items()})
    params.update({f"mlp.{k}": v for k, v in init_mlp_params(hidden, rng).items()})
    return params


def layer_mask_shapes(batch: int, seq: int, hidden: int,
                      heads: int) -> dict[str, tuple[int, ...]]:
    """The dropout masks a layer uses: on the attention probabilities and on each block's
    output."""
    return {"attention.probs": (batch, heads, seq, seq), "attention.out": (batch, seq, hidden),
            "mlp.out": (batch, seq, hidden)}


def sub_params(params: Params, prefix: str) -> Params:
    """The entries under ``prefix.``, without the prefix."""
    return {k.removeprefix(f"{prefix}."): v for k, v in params.items()
            if k.startswith(f"{prefix}.")}


def prefixed(grads: Grads, prefix: str) -> Grads:
    """``grads`` with every name under ``prefix.``."""
    return {f"{prefix}.{k}": v for k, v in grads.items()}


@dataclass(frozen=True)
class LayerCache:
    """What a layer keeps for backward (the unsplit layer's, or one rank's)."""

    ln1_x: np.ndarray  #: the layer's input x, LN₁'s input
    attention: Any  #: the attention block's cache (unsplit or one rank's)
    attention_keep: np.ndarray  #: the dropout mask on the attention output
    ln2_x: np.ndarray  #: x₂, LN₂'s input
    mlp: Any  #: the MLP block's cache
    mlp_keep: np.ndarray  #: the dropout mask on the MLP output
    keep_prob: float


def layer_forward(params: Params, x: np.ndarray, masks: dict[str, np.ndarray], heads: int, *,
                  causal: bool, keep_prob: float) -> tuple[np.ndarray, LayerCache]:
    """The layer's output y and its cache."""
    h1 = layer_norm_forward(x, params["ln1.weight"], params["ln1.bias"])
    a, a_cache = attention_forward(sub_params(params, "attention"), h1, heads, causal=causal,
                                   keep=masks["attention.probs"], keep_prob=keep_prob)
    x2 = x + dropout(a, masks["attention.out"], keep_prob)
    h2 = layer_norm_forward(x2, params["ln2.weight"], params["ln2.bias"])
    m, m_cache = mlp_forward(sub_params(params, "mlp"), h2)
    y = x2 + dropout(m, masks["mlp.out"], keep_prob)
    return y, LayerCache(x, a_cache, masks["attention.out"], x2, m_cache, masks["mlp.out"],
                         keep_prob)


def layer_backward(params: Params, cache: LayerCache,
                   dy: np.ndarray) -> tuple[np.ndarray, Grads]:
    """dx and the gradient of every parameter, given dy."""
    p = cache.keep_prob
    dh2, mlp_grads = mlp_backward(sub_params(params, "mlp"), cache.mlp,
                                  dropout(dy, cache.mlp_keep, p))
    dx2_norm, ln2_grads = layer_norm_backward(cache.ln2_x, params["ln2.weight"], dh2)
    dx2 = dy + dx2_norm
    dh1, attention_grads = attention_backward(sub_params(params, "attention"), cache.attention,
                                              dropout(dx2, cache.attention_keep, p))
    dx1_norm, ln1_grads = layer_norm_backward(cache.ln1_x, params["ln1.weight"], dh1)
    grads = {**prefixed(ln1_grads, "ln1"), **prefixed(attention_grads, "attention"),
             **prefixed(ln2_grads, "ln2"), **prefixed(mlp_grads, "mlp")}
    return dx2 + dx1_norm, grads
