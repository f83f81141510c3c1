"""Activation memory one rank keeps for backward, in Korthikanti et al.'s accounting.

The paper counts, per transformer layer, every tensor kept from the forward pass for backward at
2 bytes an element (16-bit activations) and every dropout mask at 1 byte an element. Here the
arrays are float64 and bool; :func:`stored_bytes` walks a layer's cache and counts each array
once at 2 bytes an element (1 for a bool mask), whatever its dtype, so the figure is the paper's.

The 14 tensors a layer keeps (:data:`TERMS`), with s the sequence, b the batch, h the hidden
size, a the head count, t the ranks; the paper's formula is their sum:

- tensor parallel: the layer norms' inputs, the QKV and fc1 inputs (the replicated X entering
  each block) and the two block-output dropout masks are whole (10sbh), the rest split by heads
  or columns (24sbh/t + 5as²b/t): sbh(10 + 24/t + 5as/ht);
- tensor + sequence parallel: all 1/t: (sbh/t)(34 + 5as/h); keeping the gathered QKV and fc1
  inputs instead of re-gathering them adds 4sbh(t − 1)/t.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

ACTIVATION_BYTES = 2  #: a kept activation element, as the paper counts it
MASK_BYTES = 1  #: a dropout mask element

VARIANTS = ("tensor", "sequence", "sequence, inputs kept")


@dataclass(frozen=True)
class Term:
    """One tensor a layer keeps: where it is in the cache and its size, c₁·sbh + c₂·as²b bytes."""

    name: str
    path: str  #: where the array(s) are in a layer's cache, ``"attention.heads.q k"``
    sbh: int  #: c₁
    as2b: int  #: c₂
    split_by_tensor: bool  #: 1/t under tensor parallelism (split by heads or columns)
    gathered: bool = False  #: a block's input: whole again when the gathered input is kept


TERMS = (
    Term("LN₁ input", "ln1_x", 2, 0, False),
    Term("QKV input", "attention.x", 2, 0, False, gathered=True),
    Term("Q, K", "attention.heads.q k", 4, 0, True),
    Term("softmax output", "attention.heads.probs", 0, 2, True),
    Term("softmax dropout mask", "attention.heads.keep", 0, 1, True),
    Term("softmax dropout output", "attention.heads.dropped", 0, 2, True),
    Term("V", "attention.heads.v", 2, 0, True),
    Term("projection input", "attention.context", 2, 0, True),
    Term("attention dropout mask", "attention_keep", 1, 0, False),
    Term("LN₂ input", "ln2_x", 2, 0, False),
    Term("fc1 input", "mlp.x", 2, 0, False, gathered=True),
    Term("GeLU input", "mlp.pre", 8, 0, True),
    Term("fc2 input", "mlp.act", 8, 0, True),
    Term("MLP dropout mask", "mlp_keep", 1, 0, False),
)


def array_bytes(array: np.ndarray) -> int:
    """The paper's bytes for ``array``: 1 an element for a mask, 2 for an activation."""
    return array.size * (MASK_BYTES if array.dtype == np.bool_ else ACTIVATION_BYTES)


def _arrays(obj: Any) -> list[np.ndarray]:
    if isinstance(obj, np.ndarray):
        return [obj]
    if dataclasses.is_dataclass(obj):
        return [a for f in dataclasses.fields(obj) for a in _arrays(getattr(obj, f.name))]
    return []


def stored_bytes(cache: Any) -> int:
    """The paper's bytes of every distinct array in ``cache`` (a dataclass, walked through)."""
    unique = {id(a): a for a in _arrays(cache)}
    return sum(array_bytes(a) for a in unique.values())


def term_bytes(cache: Any) -> dict[str, int]:
    """The paper's bytes of each of :data:`TERMS` in a layer's cache."""
    sizes = {}
    for term in TERMS:
        *parents, leaves = term.path.split(".")
        node = cache
        for name in parents:
            node = getattr(node, name)
        sizes[term.name] = sum(array_bytes(getattr(node, leaf)) for leaf in leaves.split())
    return sizes


def is_split(term: Term, variant: str) -> bool:
    """Whether ``variant`` (one of :data:`VARIANTS`) keeps 1/t of the term on a rank."""
    if variant == "tensor":
        return term.split_by_tensor
    return not (variant == "sequence, inputs kept" and term.gathered)


def term_formula(term: Term, variant: str, *, batch: int, seq: int, hidden: int, heads: int,
                 ranks: int) -> Fraction:
    """The term's bytes on one rank in ``variant`` (one of :data:`VARIANTS`)."""
    whole = term.sbh * seq * batch * hidden + term.as2b * heads * seq * seq * batch
    return Fraction(whole, ranks) if is_split(term, variant) else Fraction(whole)


def paper_formula(variant: str, *, batch: int, seq: int, hidden: int, heads: int,
                  ranks: int) -> Fraction:
    """sbh(10 + 24/t + 5as/ht), (sbh/t)(34 + 5as/h), or the latter + 4sbh(t − 1)/t."""
    s, b, h, a, t = seq, batch, hidden, heads, ranks
    sbh = s * b * h
    if variant == "tensor":
        return sbh * (10 + Fraction(24, t) + Fraction(5 * a * s, h * t))
    sequence = Fraction(sbh, t) * (34 + Fraction(5 * a * s, h))
    return sequence if variant == "sequence" else sequence + Fraction(4 * sbh * (t - 1), t)
