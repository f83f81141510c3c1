"""Softmax attention over whole heads, forward and backward; no communication.

Inputs q, k, v have shape [b, s, H·d] (H heads of width d side by side); the result has the same
shape. Per head: S = Q·Kᵀ/√d, optionally causal (position i sees positions ≤ i), P = softmax(S)
over the keys, O = P·V. Backward, with dO given:

    dV = Pᵀ·dO,   dP = dO·Vᵀ,   dS = P ⊙ (dP − rowsum(dP ⊙ P)),   dQ = dS·K/√d,   dK = dSᵀ·Q/√d

With a dropout mask M on the probabilities (kept with probability p): P' = P ⊙ M/p, O = P'·V,
and backward dV = P'ᵀ·dO, dP = (dO·Vᵀ) ⊙ M/p; the cache then holds M (1 byte an element) and
P' beside P, as Korthikanti et al. count them.

Heads never interact, so a rank that owns H/N whole heads runs this on its own columns; the
unsplit reference runs it on all H heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HeadsCache:
    """What the backward pass needs from the forward pass."""

    q: np.ndarray  #: [b, H, s, d]
    k: np.ndarray
    v: np.ndarray
    probs: np.ndarray  #: [b, H, s, s]
    keep: np.ndarray | None = None  #: the dropout mask on probs (bool), if any
    dropped: np.ndarray | None = None  #: probs ⊙ keep / keep_prob, if dropout
    keep_prob: float = 1.0


def _to_heads(x: np.ndarray, heads: int) -> np.ndarray:
    b, s, width = x.shape
    return x.reshape(b, s, heads, width // heads).transpose(0, 2, 1, 3)


def _from_heads(x: np.ndarray) -> np.ndarray:
    b, heads, s, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, s, heads * d)


def attention_heads_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, heads: int, *,
                            causal: bool, keep: np.ndarray | None = None,
                            keep_prob: float = 1.0) -> tuple[np.ndarray, HeadsCache]:
    """softmax(Q·Kᵀ/√d)·V per head (the probabilities dropped out where ``keep`` is False,
    [b, H, s, s]); returns [b, s, H·d] and the cache for backward."""
    qh, kh, vh = (_to_heads(t, heads) for t in (q, k, v))
    scores = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(qh.shape[-1])
    if causal:
        s = scores.shape[-1]
        scores = np.where(np.tril(np.ones((s, s), dtype=bool)), scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    probs = weights / weights.sum(axis=-1, keepdims=True)
    if keep is None:
        return _from_heads(probs @ vh), HeadsCache(qh, kh, vh, probs)
    dropped = probs * keep / keep_prob
    return _from_heads(dropped @ vh), HeadsCache(qh, kh, vh, probs, keep, dropped, keep_prob)


def attention_heads_backward(cache: HeadsCache,
                             d_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of q, k and v (each [b, s, H·d]) given the output gradient ``d_out``."""
    q, k, v, probs = cache.q, cache.k, cache.v, cache.probs
    scale = 1.0 / np.sqrt(q.shape[-1])
    do = _to_heads(d_out, q.shape[1])
    used = probs if cache.dropped is None else cache.dropped
    dv = used.transpose(0, 1, 3, 2) @ do
    dprobs = do @ v.transpose(0, 1, 3, 2)
    if cache.keep is not None:
        dprobs = dprobs * cache.keep / cache.keep_prob
    dscores = probs * (dprobs - (dprobs * probs).sum(axis=-1, keepdims=True))
    dq = dscores @ k * scale
    dk = dscores.transpose(0, 1, 3, 2) @ q * scale
    return _from_heads(dq), _from_heads(dk), _from_heads(dv)
