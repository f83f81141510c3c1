"""How a full weight is cut into N tensor-parallel shards: by columns or by rows, in N equal parts.

Rank r owns the r-th contiguous part. A dimension that N does not divide is refused with a
message naming what must be divisible and why; the parts are never uneven, so every rank runs
the same shapes (as in Megatron-LM).
"""

from __future__ import annotations

import numpy as np

from collectives.errors import InvalidInputError


def check_divisible(what: str, value: int, size: int, why: str) -> None:
    """Raise unless ``size`` divides ``value`` (``what`` names it, ``why`` says who needs it)."""
    if size < 1:
        raise InvalidInputError(f"expected at least 1 tensor-parallel rank, got {size}")
    if value % size:
        raise InvalidInputError(
            f"expected {what} divisible by the {size} tensor-parallel ranks ({why}), got {value}"
        )


def part(total: int, size: int, rank: int) -> slice:
    """Rank ``rank``'s part of ``total`` indices cut into ``size`` equal parts."""
    width = total // size
    return slice(rank * width, (rank + 1) * width)


def split_columns(weight: np.ndarray, size: int, rank: int, *, parts: int = 1) -> np.ndarray:
    """Rank ``rank``'s columns (last axis) of ``weight``.

    With ``parts`` > 1 the last axis holds ``parts`` matrices side by side (the fused
    [W_Q | W_K | W_V]); the rank gets its columns of each, side by side.
    """
    pieces = np.split(weight, parts, axis=-1)
    return np.concatenate([p[..., part(p.shape[-1], size, rank)] for p in pieces], axis=-1)


def split_rows(weight: np.ndarray, size: int, rank: int) -> np.ndarray:
    """Rank ``rank``'s rows (first axis) of ``weight``."""
    return weight[part(weight.shape[0], size, rank)]
