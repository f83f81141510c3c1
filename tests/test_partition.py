"""Chunking a count into N parts whose sizes differ by at most one element."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectives.partition import chunk_counts, chunk_offsets, chunk_slice


@given(count=st.integers(0, 10_000), parts=st.integers(1, 300))
def test_chunks_add_up_and_differ_by_at_most_one(count, parts):
    """The chunks sum to the count, differ by at most one, and the larger ones come first."""
    counts = chunk_counts(count, parts)
    assert counts.sum() == count and len(counts) == parts
    assert counts.max() - counts.min() <= 1
    assert np.all(np.diff(counts) <= 0)


@given(count=st.integers(0, 500), parts=st.integers(1, 40))
def test_chunks_match_numpy_array_split(count, parts):
    """Offsets and slices cut exactly where numpy.array_split cuts."""
    pieces = np.array_split(np.arange(count), parts)
    offsets = chunk_offsets(count, parts)
    assert [len(p) for p in pieces] == chunk_counts(count, parts).tolist()
    for index, piece in enumerate(pieces):
        assert np.arange(count)[offsets[index]:offsets[index + 1]].tolist() == piece.tolist()
        assert np.arange(count)[chunk_slice(count, parts, index)].tolist() == piece.tolist()


def test_count_zero_gives_empty_chunks():
    """Count 0: every chunk is empty and every offset is 0."""
    assert chunk_counts(0, 4).tolist() == [0, 0, 0, 0]
    assert chunk_offsets(0, 4).tolist() == [0] * 5
    assert chunk_slice(0, 4, 3) == slice(0, 0)


def test_count_below_parts_gives_ones_then_empties():
    """Count 3 on 5 parts: three chunks of one element, then two empty ones."""
    assert chunk_counts(3, 5).tolist() == [1, 1, 1, 0, 0]
    assert chunk_offsets(3, 5).tolist() == [0, 1, 2, 3, 3, 3]


def test_an_uneven_count():
    """Count 10 on 4 parts: 3, 3, 2, 2."""
    assert chunk_counts(10, 4).tolist() == [3, 3, 2, 2]
    assert chunk_offsets(10, 4).tolist() == [0, 3, 6, 8, 10]
    assert chunk_slice(10, 4, 2) == slice(6, 8)


def test_chunk_slice_wraps_its_index():
    """chunk_slice takes the index modulo the parts, as ring arithmetic needs."""
    assert chunk_slice(10, 4, -1) == chunk_slice(10, 4, 3) == slice(8, 10)
    assert chunk_slice(10, 4, 5) == chunk_slice(10, 4, 1)


def test_offsets_are_int64():
    """Offsets are int64, so byte counts for large buffers do not overflow."""
    assert chunk_offsets(3 * 2**31, 2).dtype == np.int64
    assert chunk_offsets(3 * 2**31, 2)[-1] == 3 * 2**31


@pytest.mark.parametrize(("count", "parts", "match"), [
    (5, 0, r"expected at least one part, got 0"),
    (-1, 3, r"expected a count >= 0, got -1"),
])
def test_bad_arguments(count, parts, match):
    """No parts or a negative count is refused."""
    with pytest.raises(ValueError, match=match):
        chunk_counts(count, parts)
