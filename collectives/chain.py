"""A pipelined chain from the root: position p (rank root + p) passes segments to p + 1.

At step t position p sends segment ``t - p`` when ``0 <= t - p < S``: the first segment reaches
the last rank after N - 1 steps and the last one S - 1 steps later, ``N - 2 + S`` steps in all.
Segments cut the count as :func:`collectives.partition.chunk_counts` does.
"""

from __future__ import annotations


def chain_steps(size: int, segments: int) -> int:
    """N - 2 + S steps, none for one rank."""
    return 0 if size == 1 else size - 2 + segments


def chain_segment(position: int, step: int) -> int:
    """The segment position ``position`` sends at ``step`` (out of range: it sends none)."""
    return step - position
