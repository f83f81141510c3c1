"""Swing all-reduce: the shared index math (peers, reach, homes) and its worked example, the
step distances on a ring, every rank's identical bits, the figures in closed form, the refusal of
a non-commutative op, and the lighter link load on a ring that is the point of it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectives.errors import UnsupportedError
from collectives.ops import Op
from collectives.sim import Simulation, simulate
from collectives.sim.network import ring
from collectives.swing import all_gather_peers, home, homes, peer, reach, reduce_scatter_peers, rho

SWINGS = ("swing", "swing_latency")


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _ring_distance(a: np.ndarray, b: np.ndarray, ranks: int) -> np.ndarray:
    apart = (b - a) % ranks
    return np.minimum(apart, ranks - apart)


# -- the index math ----------------------------------------------------------------------------

def test_rho_is_the_alternating_sum_of_powers_of_minus_two():
    """rho(s) = sum((-2)**i, i <= s): 1, -1, 3, -5, 11, -21, 43, -85 and on."""
    assert [rho(s) for s in range(8)] == [1, -1, 3, -5, 11, -21, 43, -85]
    assert all(rho(s) == sum((-2) ** i for i in range(s + 1)) for s in range(30))
    with pytest.raises(ValueError, match="expected a step >= 0, got -1"):
        rho(-1)


@given(lg=st.integers(1, 12), step_fraction=st.floats(0, 1, exclude_max=True),
       ranks=st.lists(st.integers(0, 2 ** 12 - 1), min_size=1, max_size=20))
def test_each_step_pairs_even_ranks_with_odd_ones_both_ways(lg, step_fraction, ranks):
    """At every step the peer of an even rank is odd, the peer's peer is the rank, and ints and
    arrays get the same answer."""
    pof2, step = 1 << lg, int(step_fraction * lg)
    rank = np.array(ranks) % pof2
    partner = peer(rank, step, pof2)
    assert np.all(partner % 2 != rank % 2)
    np.testing.assert_array_equal(peer(partner, step, pof2), rank)
    assert [peer(int(r), step, pof2) for r in rank] == partner.tolist()


@pytest.mark.parametrize("pof2", [1 << lg for lg in range(8)])
def test_every_reach_holds_an_aligned_range_of_home_units(pof2):
    """For every rank and step, the ranks it reaches through the steps left hold the aligned
    range of p >> s home units around its own home, and the homes are a permutation."""
    table = homes(pof2)
    assert sorted(table.tolist()) == list(range(pof2))
    for step in range(_lg(pof2) + 1):
        size = pof2 >> step
        for rank in range(pof2):
            held = sorted(table[sorted(reach(rank, step, pof2))].tolist())
            first = int(table[rank]) // size * size
            assert held == list(range(first, first + size)), (pof2, step, rank)


@pytest.mark.parametrize("pof2", [1 << lg for lg in range(13)])
def test_each_peer_holds_the_same_block_and_keeps_the_half_sent(pof2):
    """Up to p = 4096: at every step a rank's peer has its home in the same aligned block of
    2·half units and in the other half, so what one sends is what the other keeps."""
    ranks = np.arange(pof2)
    mine = home(ranks, pof2)
    for step, partner in enumerate(reduce_scatter_peers(ranks, pof2)):
        half = pof2 >> (step + 1)
        theirs = home(partner, pof2)
        np.testing.assert_array_equal(mine // (2 * half), theirs // (2 * half))
        np.testing.assert_array_equal((mine // half) ^ (theirs // half), 1)


def test_the_worked_example_of_the_docstring():
    """p = 8: the peers of each step, the groups, the homes and what rank 0 sends."""
    ranks = np.arange(8)
    assert [p.tolist() for p in reduce_scatter_peers(ranks, 8)] == [
        [1, 0, 3, 2, 5, 4, 7, 6], [7, 2, 1, 4, 3, 6, 5, 0], [3, 6, 5, 0, 7, 2, 1, 4]]
    assert [p.tolist() for p in all_gather_peers(ranks, 8)] == [
        [3, 6, 5, 0, 7, 2, 1, 4], [7, 2, 1, 4, 3, 6, 5, 0], [1, 0, 3, 2, 5, 4, 7, 6]]
    assert {reach(r, 1, 8) for r in range(8)} == {frozenset({0, 3, 4, 7}),
                                                   frozenset({1, 2, 5, 6})}
    assert {reach(r, 2, 8) for r in range(8)} == {frozenset({0, 3}), frozenset({4, 7}),
                                                   frozenset({1, 6}), frozenset({2, 5})}
    assert homes(8).tolist() == [0, 4, 6, 1, 2, 7, 5, 3]
    assert home(5, 8) == 7
    sends = [(t.dst, t.dst_start, t.length)
             for step in _count_only("swing", 8, 8).steps[:3] for t in step.transfers
             if t.src == 0]
    assert sends == [(1, 4, 4), (7, 2, 2), (3, 1, 1)]


def test_homes_refuse_a_number_of_ranks_that_is_not_a_power_of_two():
    """The index math is for p = 2**k; the algorithms fold other N first."""
    with pytest.raises(ValueError, match="expected a power of two of ranks, got 6"):
        homes(6)


# -- the schedules -----------------------------------------------------------------------------

def _count_only(algorithm: str, ranks: int, count: int, network=None):
    return Simulation.count_only("allreduce", ranks=ranks, count=count, dtype="int32",
                                 algorithm=algorithm, network=network,
                                 keep_transfers=True).run()


@pytest.mark.parametrize("ranks", [2, 4, 8, 16, 32])
def test_messages_go_rho_away_on_a_ring(ranks):
    """Every message of step s goes |rho(s)| along the ring: 1, 1, 3, 5, ... in the
    reduce-scatter, the same backwards in the all-gather and in the latency form."""
    distances = [abs(rho(s)) for s in range(_lg(ranks))]
    for algorithm, expected in (("swing", distances + distances[::-1]),
                                ("swing_latency", distances[::-1])):
        run = _count_only(algorithm, ranks, ranks)
        seen = [set(_ring_distance(s.transfers.src, s.transfers.dst, ranks).tolist())
                for s in run.steps]
        assert seen == [{d} for d in expected]


@pytest.mark.parametrize("algorithm", SWINGS)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64"])
@pytest.mark.parametrize("ranks", [2, 3, 5, 8, 13, 16, 32])
def test_float_allreduce_is_bitwise_identical_on_every_rank(algorithm, dtype, ranks):
    """Float all-reduce: every rank holds the very same bits, close to numpy's sum."""
    rng = np.random.default_rng(ranks)
    inputs = [(rng.standard_normal(37) * 10.0 ** rng.integers(-3, 3, 37)).astype(dtype)
              for _ in range(ranks)]
    result = simulate("allreduce", inputs, algorithm=algorithm)
    assert len({out.tobytes() for out in result.outputs}) == 1
    exact = np.sum(np.stack(inputs).astype(np.complex128), axis=0)
    scale = np.abs(np.stack(inputs)).sum(axis=0)
    assert np.all(np.abs(result.outputs[0] - exact) <= ranks * float(np.finfo(dtype).eps) * scale)


def test_the_latency_form_run_from_step_0_would_not_give_identical_bits():
    """Why the latency form runs s = L - 1 first: from s = 0, at p = 8 the ranks add the same
    floats in different trees and end with different bits."""
    rng = np.random.default_rng(8)
    values = [rng.standard_normal(50) * 10.0 ** rng.integers(-3, 3, 50) for _ in range(8)]
    for step in range(3):
        values = [values[min(r, peer(r, step, 8))] + values[max(r, peer(r, step, 8))]
                  for r in range(8)]
    assert len({v.tobytes() for v in values}) > 1


@pytest.mark.parametrize("ranks", [2, 4, 8, 16, 32])
@pytest.mark.parametrize("chunk", [1, 3])
def test_closed_forms_when_n_divides_the_count(ranks, chunk):
    """N = 2**k, N dividing the count: swing sends 2K(N - 1)/N per rank in 2 lg N steps,
    swing_latency K lg N in lg N steps."""
    count = ranks * chunk
    k = 4 * count
    bandwidth, latency = _count_only("swing", ranks, count), _count_only("swing_latency", ranks,
                                                                          count)
    assert bandwidth.num_steps == 2 * _lg(ranks)
    assert bandwidth.bytes_sent.tolist() == [2 * k * (ranks - 1) // ranks] * ranks
    assert latency.num_steps == _lg(ranks)
    assert latency.bytes_sent.tolist() == [k * _lg(ranks)] * ranks


@pytest.mark.parametrize("algorithm", SWINGS)
def test_a_non_commutative_op_is_refused_naming_one_that_keeps_order(algorithm):
    """Swing combines out of rank order; a non-commutative op is refused with an alternative."""
    first = Op(lambda a, b: a, commutative=False, name="first")
    inputs = [np.arange(4, dtype=np.int32) + r for r in range(4)]
    with pytest.raises(UnsupportedError, match=r"non-commutative op 'first'; use algorithm "
                                               r"'tree' or 'recursive_doubling'"):
        simulate("allreduce", inputs, algorithm=algorithm, op=first)


# -- on a ring: the point of it ----------------------------------------------------------------

def _busiest_link_and_time(algorithm: str, ranks: int) -> tuple[int, float]:
    run = Simulation.count_only("allreduce", ranks=ranks, count=1 << 20, dtype="float32",
                                algorithm=algorithm, network=ring(ranks),
                                keep_transfers=False).run()
    assert run.links is not None and run.time is not None
    return int(run.links.nbytes.max()), run.time


@pytest.mark.parametrize("ranks", [8, 16])
@pytest.mark.parametrize(("ours", "theirs"), [("swing", "recursive_doubling"),
                                              ("swing", "rabenseifner"),
                                              ("swing_latency", "recursive_doubling")])
def test_swing_loads_a_ring_less_and_finishes_sooner(ranks, ours, theirs):
    """On a ring of 8 or 16 ranks, 4 MiB: swing's busiest link carries fewer bytes than
    recursive doubling's and Rabenseifner's, swing_latency's fewer than recursive doubling's, and
    each finishes sooner."""
    mine, my_time = _busiest_link_and_time(ours, ranks)
    other, other_time = _busiest_link_and_time(theirs, ranks)
    assert mine < other
    assert my_time < other_time
