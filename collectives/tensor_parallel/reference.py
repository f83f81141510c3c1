"""The unsplit MLP and attention blocks in one process: the answer the parallel ones must give.

Parameters are dicts of float64 arrays under the names the parallel blocks use:

- MLP (hidden size 4h, tanh GeLU): ``fc1.weight`` A [h, 4h], ``fc1.bias`` [4h],
  ``fc2.weight`` B [4h, h], ``fc2.bias`` [h]; Z = GeLU(X·A + a)·B + b. 8h² + 5h parameters.
- Attention: ``qkv.weight`` [W_Q | W_K | W_V] [h, 3h], ``qkv.bias`` [3h], ``proj.weight`` W_O
  [h, h], ``proj.bias`` [h]; out = softmax(Q·Kᵀ/√d)·V·W_O + b_O per head. 4h² + 4h parameters.

No layer norm, dropout or residual here: the blocks are the parts that tensor parallelism
splits (the whole transformer layer around them is :mod:`~collectives.tensor_parallel.layer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.errors import InvalidInputError
from collectives.tensor_parallel.gelu import gelu, gelu_derivative
from collectives.tensor_parallel.heads import (
    HeadsCache,
    attention_heads_backward,
    attention_heads_forward,
)
from collectives.tensor_parallel.linear import Grads, bias_grad, weight_grad

Params = dict[str, np.ndarray]


def init_mlp_params(hidden: int, rng: np.random.Generator) -> Params:
    """Random MLP parameters for hidden size ``hidden`` (scaled like 1/√fan-in)."""
    return {
        "fc1.weight": rng.standard_normal((hidden, 4 * hidden)) / np.sqrt(hidden),
        "fc1.bias": rng.standard_normal(4 * hidden) * 0.1,
        "fc2.weight": rng.standard_normal((4 * hidden, hidden)) / np.sqrt(4 * hidden),
        "fc2.bias": rng.standard_normal(hidden) * 0.1,
    }


def init_attention_params(hidden: int, rng: np.random.Generator) -> Params:
    """Random attention parameters for hidden size ``hidden``."""
    return {
        "qkv.weight": rng.standard_normal((hidden, 3 * hidden)) / np.sqrt(hidden),
        "qkv.bias": rng.standard_normal(3 * hidden) * 0.1,
        "proj.weight": rng.standard_normal((hidden, hidden)) / np.sqrt(hidden),
        "proj.bias": rng.standard_normal(hidden) * 0.1,
    }


def check_heads(hidden: int, heads: int) -> None:
    """Raise unless ``heads`` divides ``hidden`` into whole heads."""
    if heads < 1 or hidden % heads:
        raise InvalidInputError(
            f"expected a head count >= 1 that divides the hidden size {hidden}, got {heads}"
        )


@dataclass(frozen=True)
class MLPCache:
    """The unsplit MLP's saved activations."""

    x: np.ndarray
    pre: np.ndarray  #: X·A + a
    act: np.ndarray  #: GeLU(pre)


def mlp_forward(params: Params, x: np.ndarray) -> tuple[np.ndarray, MLPCache]:
    """Z = GeLU(X·A + a)·B + b."""
    pre = x @ params["fc1.weight"] + params["fc1.bias"]
    act = gelu(pre)
    return act @ params["fc2.weight"] + params["fc2.bias"], MLPCache(x, pre, act)


def mlp_backward(params: Params, cache: MLPCache, dz: np.ndarray) -> tuple[np.ndarray, Grads]:
    """dX and the gradient of every parameter, given dZ."""
    dact = dz @ params["fc2.weight"].T
    dpre = dact * gelu_derivative(cache.pre)
    grads = {
        "fc1.weight": weight_grad(cache.x, dpre), "fc1.bias": bias_grad(dpre),
        "fc2.weight": weight_grad(cache.act, dz), "fc2.bias": bias_grad(dz),
    }
    return dpre @ params["fc1.weight"].T, grads


@dataclass(frozen=True)
class AttentionCache:
    """The unsplit attention block's saved activations."""

    x: np.ndarray
    heads: HeadsCache
    context: np.ndarray  #: the heads' output, [b, s, h]


def attention_forward(params: Params, x: np.ndarray, heads: int, *, causal: bool = False,
                      keep: np.ndarray | None = None,
                      keep_prob: float = 1.0) -> tuple[np.ndarray, AttentionCache]:
    """softmax(Q·Kᵀ/√d)·V per head (probabilities dropped out where ``keep``, [b, H, s, s], is
    False), then the output projection."""
    check_heads(x.shape[-1], heads)
    qkv = x @ params["qkv.weight"] + params["qkv.bias"]
    q, k, v = np.split(qkv, 3, axis=-1)
    context, heads_cache = attention_heads_forward(q, k, v, heads, causal=causal, keep=keep,
                                                   keep_prob=keep_prob)
    out = context @ params["proj.weight"] + params["proj.bias"]
    return out, AttentionCache(x, heads_cache, context)


def attention_backward(params: Params, cache: AttentionCache,
                       d_out: np.ndarray) -> tuple[np.ndarray, Grads]:
    """dX and the gradient of every parameter, given d(out)."""
    d_context = d_out @ params["proj.weight"].T
    dqkv = np.concatenate(attention_heads_backward(cache.heads, d_context), axis=-1)
    grads = {
        "qkv.weight": weight_grad(cache.x, dqkv), "qkv.bias": bias_grad(dqkv),
        "proj.weight": weight_grad(cache.context, d_out), "proj.bias": bias_grad(d_out),
    }
    return dqkv @ params["qkv.weight"].T, grads
