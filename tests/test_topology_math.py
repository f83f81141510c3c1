"""Ring neighbours and chunk schedule, binomial trees for any root, and the power-of-two fold:
the index math both implementations share."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectives.bruck import alltoall_runs, bruck_steps, travels
from collectives.fold import (
    fold_partner,
    folded_rank,
    is_power_of_two,
    largest_power_of_two,
    unfolded_rank,
)
from collectives.ring import (
    ALLGATHER_SHIFT,
    ALLREDUCE_ALLGATHER_SHIFT,
    ALLREDUCE_REDUCE_SCATTER_SHIFT,
    REDUCE_SCATTER_SHIFT,
    ring_chunk,
    ring_next,
    ring_prev,
)
from collectives.tree import (
    absolute_block_runs,
    binomial_children,
    binomial_down_round,
    binomial_parent,
    binomial_rounds,
    binomial_subtree,
    binomial_up_round,
    to_absolute,
    to_relative,
)

SIZES = [*range(1, 18), 31, 32, 33, 64, 100]

# -- ring ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_ring_next_and_prev_are_inverse(size):
    """next(prev(r)) = prev(next(r)) = r; next is r + 1 wrapping at N; works on arrays too."""
    ranks = np.arange(size)
    assert ring_next(ranks, size).tolist() == [(r + 1) % size for r in range(size)]
    assert ring_prev(ring_next(ranks, size), size).tolist() == ranks.tolist()
    assert all(ring_next(ring_prev(r, size), size) == r for r in range(size))


def _ring_pass(have: list[list[set[int]]], shift: int, reduce: bool) -> list[list[set[int]]]:
    """Run N - 1 ring steps on sets of contributing ranks, with simultaneous semantics; a copy
    must send a chunk the sender already holds complete."""
    n = len(have)
    for step in range(n - 1):
        sends = [(r, ring_chunk(r, step, n, shift), set(have[r][ring_chunk(r, step, n, shift)]))
                 for r in range(n)]
        for r, chunk, data in sends:
            if not reduce:
                assert data == set(range(n)), f"rank {r} forwards incomplete chunk {chunk}"
            receiver = have[ring_next(r, n)]
            receiver[chunk] = receiver[chunk] | data if reduce else data
    return have


@pytest.mark.parametrize("size", SIZES)
def test_ring_allreduce_chunk_schedule(size):
    """Reduce-scatter phase (shift 0): rank r ends holding chunk r + 1 from every rank; the
    all-gather phase (shift 1) then forwards only complete chunks and fills every rank."""
    have = [[{r} for _ in range(size)] for r in range(size)]
    _ring_pass(have, ALLREDUCE_REDUCE_SCATTER_SHIFT, reduce=True)
    for r in range(size):
        assert have[r][(r + 1) % size] == set(range(size))
    _ring_pass(have, ALLREDUCE_ALLGATHER_SHIFT, reduce=False)
    assert all(chunk == set(range(size)) for row in have for chunk in row)


@pytest.mark.parametrize("size", SIZES)
def test_ring_reduce_scatter_ends_with_block_r_on_rank_r(size):
    """Shift -1: after N - 1 steps rank r holds block r combined from every rank."""
    have = [[{r} for _ in range(size)] for r in range(size)]
    _ring_pass(have, REDUCE_SCATTER_SHIFT, reduce=True)
    assert all(have[r][r] == set(range(size)) for r in range(size))


@pytest.mark.parametrize("size", SIZES)
def test_ring_allgather_forwards_what_it_has(size):
    """Shift 0: rank r starts with block r, sends only blocks it holds, and ends with all."""
    holds = [{r} for r in range(size)]
    for step in range(size - 1):
        sends = [(r, ring_chunk(r, step, size, ALLGATHER_SHIFT)) for r in range(size)]
        for r, block in sends:
            assert block in holds[r]
        for r, block in sends:
            holds[ring_next(r, size)].add(block)
    assert all(h == set(range(size)) for h in holds)


# -- binomial trees -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_rounds_are_ceil_lg_n(size):
    """The tree has ceil(lg N) levels (0 for one rank)."""
    assert binomial_rounds(size) == int(np.ceil(np.log2(size)))


@pytest.mark.parametrize("size", [1, 2, 5, 8, 13])
def test_relative_and_absolute_ranks_are_inverse(size):
    """Every root puts itself at vrank 0, and to_absolute undoes to_relative."""
    for root in range(size):
        assert to_relative(root, root, size) == 0
        assert [to_absolute(to_relative(r, root, size), root, size)
                for r in range(size)] == list(range(size))


@pytest.mark.parametrize("size", SIZES)
def test_parents_and_children_agree(size):
    """v is a child of its parent; each child of v has v as parent; the root has no parent;
    children come farthest first (v + the largest power of two), the order broadcast sends."""
    assert binomial_parent(0) is None
    for v in range(size):
        children = binomial_children(v, size)
        assert all(binomial_parent(c) == v for c in children)
        if v:
            assert v in binomial_children(binomial_parent(v), size)
        assert children == sorted(children, reverse=True)
        assert all(is_power_of_two(c - v) for c in children)


@pytest.mark.parametrize("size", SIZES)
def test_subtrees_partition_the_ranks(size):
    """The root's subtree is every vrank; v's subtree is v plus its children's subtrees, which
    do not overlap."""
    assert binomial_subtree(0, size) == (0, size)
    for v in range(size):
        start, stop = binomial_subtree(v, size)
        parts = [{v}] + [set(range(*binomial_subtree(c, size)))
                         for c in binomial_children(v, size)]
        assert sum(len(p) for p in parts) == stop - start
        assert set().union(*parts) == set(range(start, stop))


@pytest.mark.parametrize("size", SIZES)
def test_downward_rounds_reach_every_vrank_once(size):
    """Broadcast rounds: every sender already has the data, each sends to one of its
    children, and every vrank but the root receives exactly once."""
    has, received = {0}, []
    for t in range(binomial_rounds(size)):
        senders, receivers = binomial_down_round(t, size)
        assert len(set(senders.tolist())) == len(senders)
        for s, r in zip(senders.tolist(), receivers.tolist(), strict=True):
            assert s in has and binomial_parent(r) == s
        has |= set(receivers.tolist())
        received += receivers.tolist()
    assert sorted(received) == list(range(1, size))


@pytest.mark.parametrize("size", SIZES)
def test_upward_rounds_send_each_vrank_once_after_its_children(size):
    """Reduce rounds: every vrank but the root sends exactly once, to its parent, after all of
    its children have sent to it."""
    sent: list[int] = []
    for t in range(binomial_rounds(size)):
        senders, receivers = binomial_up_round(t, size)
        for s, r in zip(senders.tolist(), receivers.tolist(), strict=True):
            assert binomial_parent(s) == r
            assert all(c in sent for c in binomial_children(s, size))
        assert not set(receivers.tolist()) & set(senders.tolist())
        sent += senders.tolist()
    assert sorted(sent) == list(range(1, size))


@pytest.mark.parametrize("size", [1, 2, 5, 8, 13])
def test_block_runs_cover_a_subtree_in_real_ranks(size):
    """A subtree's vranks, in real ranks, come back as at most two runs of consecutive ranks
    (two when it wraps past N - 1) covering exactly those ranks."""
    for root in range(size):
        for v in range(size):
            start, stop = binomial_subtree(v, size)
            runs = absolute_block_runs(start, stop, root, size)
            assert len(runs) <= 2
            covered = [first + i for first, length in runs for i in range(length)]
            assert covered == [to_absolute(u, root, size) for u in range(start, stop)]


def test_no_runs_for_an_empty_range():
    """An empty vrank range has no runs."""
    assert absolute_block_runs(3, 3, 1, 5) == []


# -- the power-of-two fold ----------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_largest_power_of_two(size):
    """pof2 is a power of two, at most N, and more than N / 2."""
    pof2 = largest_power_of_two(size)
    assert is_power_of_two(pof2) and size / 2 < pof2 <= size
    assert is_power_of_two(size) == (pof2 == size)


def test_is_power_of_two_refuses_zero():
    """0 and negative numbers are no powers of two; 1 is."""
    assert not is_power_of_two(0) and not is_power_of_two(-4) and is_power_of_two(1)


@pytest.mark.parametrize("size", SIZES)
def test_fold_round_trip(size):
    """pof2 ranks survive with new ranks 0..pof2-1; unfolded_rank takes each back; the ones
    that sit out are the even ranks among the first 2·rem, each paired with the odd one above."""
    pof2 = largest_power_of_two(size)
    rem = size - pof2
    survivors = {r: folded_rank(r, size) for r in range(size) if folded_rank(r, size) is not None}
    assert sorted(survivors.values()) == list(range(pof2))
    assert all(unfolded_rank(new, size) == r for r, new in survivors.items())
    sitting_out = [r for r in range(size) if folded_rank(r, size) is None]
    assert sitting_out == list(range(0, 2 * rem, 2))
    for r in range(size):
        partner = fold_partner(r, size)
        if r < 2 * rem:
            assert partner == r ^ 1 and fold_partner(partner, size) == r
        else:
            assert partner is None


def test_largest_power_of_two_needs_a_rank():
    """Size 0 has no power of two below it."""
    with pytest.raises(ValueError, match=r"expected a size >= 1, got 0"):
        largest_power_of_two(0)


@given(st.integers(min_value=1, max_value=300))
def test_bruck_runs_are_the_distances_that_travel(size):
    """The MPI side's runs of travelling blocks cover exactly the distances the simulator moves."""
    distances = np.arange(size, dtype=np.int64)
    for step in range(bruck_steps(size)):
        from_runs = sorted(first + k for first, length in alltoall_runs(step, size)
                           for k in range(length))
        assert from_runs == distances[travels(distances, step)].tolist()
