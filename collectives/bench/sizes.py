"""Message sizes as nccl-tests takes them: ``-b 8 -e 64M -f 2``, and the count each size means.

A size is bytes with an optional binary suffix (``K`` = 1024, ``M`` = 1024², ``G`` = 1024³;
``KB``/``KiB`` spellings too). The sweep runs from the minimum, multiplying by the factor, up to
and including the maximum. A size ``S`` is the bytes the bandwidth is computed on (see
:mod:`collectives.bench.bandwidth`): one rank's buffer for broadcast, reduce and all-reduce, all
N blocks together for the others. The element count per block is ``S // (itemsize · blocks)``,
rounded down as nccl-tests does, so the size shown is the one really moved; sizes that round to
the same count are measured once.
"""

from __future__ import annotations

import re

import numpy as np

from collectives.catalogue import collective_info
from collectives.errors import InvalidInputError

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"^\s*(\d+)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """``"64M"`` -> 67108864; ``"8"`` -> 8; an int passes through."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise InvalidInputError(f"expected a size >= 0, got {text}")
        return text
    match = _SIZE.match(str(text))
    if match is None:
        raise InvalidInputError(f"expected a size like 8, 4K, 64M or 1G, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


def format_size(nbytes: int) -> str:
    """The shortest exact spelling: 4096 -> ``4K``, 1000 -> ``1000``."""
    for suffix in ("T", "G", "M", "K"):
        unit = _UNITS[suffix]
        if nbytes >= unit and nbytes % unit == 0:
            return f"{nbytes // unit}{suffix}"
    return str(nbytes)


def size_sweep(min_bytes: int, max_bytes: int, factor: float = 2) -> list[int]:
    """Sizes from ``min_bytes`` to ``max_bytes`` (inclusive), each ``factor`` times the last."""
    if min_bytes < 0 or max_bytes < min_bytes:
        raise InvalidInputError(
            f"expected 0 <= min bytes <= max bytes, got {min_bytes} and {max_bytes}"
        )
    if min_bytes == max_bytes:
        return [min_bytes]
    if factor <= 1:
        raise InvalidInputError(f"expected a step factor > 1, got {factor}")
    sizes, size = [], max(min_bytes, 1)
    if min_bytes == 0:
        sizes.append(0)
    while size <= max_bytes:
        sizes.append(size)
        size = max(size + 1, int(size * factor))
    return sizes


def blocks_in_size(collective: str, ranks: int) -> int:
    """How many blocks of ``count`` elements make up the size S: 1 or N, as in the reference's
    K."""
    return collective_info(collective).blocks(ranks)


def count_for_size(collective: str, nbytes: int, dtype: np.dtype | str, ranks: int) -> int:
    """Elements per block (per buffer for broadcast, reduce, all-reduce) for a size in bytes."""
    unit = np.dtype(dtype).itemsize * blocks_in_size(collective, ranks)
    return nbytes // unit


def size_of_count(collective: str, count: int, dtype: np.dtype | str, ranks: int) -> int:
    """The size S in bytes that ``count`` elements per block make."""
    return count * np.dtype(dtype).itemsize * blocks_in_size(collective, ranks)


def counts_for_sweep(collective: str, sizes: list[int], dtype: np.dtype | str,
                     ranks: int) -> list[int]:
    """The distinct counts the sizes round down to, in order."""
    counts: list[int] = []
    for size in sizes:
        count = count_for_size(collective, size, dtype, ranks)
        if not counts or counts[-1] != count:
            counts.append(count)
    return counts
