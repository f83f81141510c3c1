"""The simulator's hierarchical algorithms in nodes of every G that divides N: numpy's answer,
provenance, the reference cost (steps, bytes per rank, bytes across nodes) exactly; G from a
``hierarchical`` network; uneven nodes refused naming ``ring``; and on 4 nodes of 4 ranks with
inter-node links 10x slower, hierarchical all-reduce of 64 MiB beats the flat ring as the formula
says, with the formula's bytes on the switch links."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sim_cases import RANKS, counts_for, labelled_inputs, numpy_answer

from collectives.costs import reference_cost, reference_time
from collectives.errors import UnsupportedError
from collectives.hierarchy import column_order, cross_members, node_members, reduced_chunk
from collectives.ops import Op, resolve_op
from collectives.sim import Simulation, simulate
from collectives.sim.network import SWITCH, fully_connected, hierarchical
from collectives.spec import Problem, example_inputs, expected_outputs, results_match

COLLECTIVES = ("allreduce", "reduce_scatter", "allgather")
OPS = {"allreduce": "sum", "reduce_scatter": "sum", "allgather": None}


def _grouped_cases() -> list[tuple[str, int, int, int]]:
    """(collective, N, G, count) for N in RANKS and 6, 12, every G dividing N, every count."""
    return [(c, n, g, count) for c in COLLECTIVES for n in (*RANKS, 6, 12)
            for g in range(1, n + 1) if n % g == 0 for count in counts_for(n)]


def _across(traffic: np.ndarray, group_size: int) -> np.ndarray:
    """Bytes each rank sent to ranks of other nodes."""
    node = np.arange(len(traffic)) // group_size
    return np.where(node[:, None] != node[None, :], traffic, 0).sum(axis=1)


@pytest.mark.parametrize("case", _grouped_cases(), ids=lambda c: "{}-N{}-G{}-c{}".format(*c))
def test_every_group_size_gives_numpys_answer_and_the_reference_cost(case):
    """Outputs equal numpy's, provenance holds where small, and steps, bytes per rank and bytes
    across nodes equal the reference's exactly."""
    collective, n, g, count = case
    inputs = labelled_inputs(collective, n, (count,))
    small = n ** 3 * max(count, 1) * (n if collective != "allreduce" else 1) <= 200_000
    result = simulate(collective, inputs, algorithm="hierarchical", group_size=g,
                      provenance=small)
    for got, want in zip(result.outputs, numpy_answer(collective, inputs, 0, np.add),
                         strict=True):
        np.testing.assert_array_equal(got, want)
    assert result.verified is True and result.provenance_checked is small
    op = resolve_op("sum") if OPS[collective] else None
    problem = Problem(collective, n, (count,), np.dtype("int64"), op=op, group_size=g)
    reference = reference_cost(problem, "hierarchical")
    assert result.num_steps == reference.steps
    np.testing.assert_array_equal(result.bytes_sent, reference.bytes_sent)
    assert reference.across is not None
    np.testing.assert_array_equal(_across(result.traffic, g), reference.across)


@given(collective=st.sampled_from(COLLECTIVES), nodes=st.integers(1, 6),
       group=st.integers(1, 6), count=st.integers(0, 50), itemsize=st.sampled_from([1, 2, 8]))
def test_counted_bytes_inside_and_across_nodes_are_the_references(collective, nodes, group,
                                                                   count, itemsize):
    """Any M nodes of G, count and element size: steps, bytes per rank and bytes across nodes
    counted equal the reference's, and inside plus across is every byte sent."""
    n = nodes * group
    dtype = {1: "int8", 2: "float16", 8: "float64"}[itemsize]
    run = Simulation.count_only(collective, ranks=n, count=count, dtype=dtype,
                                algorithm="hierarchical", group_size=group).run()
    op = resolve_op("sum") if OPS[collective] else None
    reference = reference_cost(Problem(collective, n, (count,), np.dtype(dtype), op=op,
                                       group_size=group), "hierarchical")
    assert run.num_steps == reference.steps == (
        2 if collective == "allreduce" else 1) * (group - 1 + nodes - 1)
    np.testing.assert_array_equal(run.bytes_sent, reference.bytes_sent)
    np.testing.assert_array_equal(_across(run.traffic, group), reference.across)
    assert reference.inside is not None and reference.across is not None
    np.testing.assert_array_equal(reference.inside + reference.across, run.bytes_sent)


@pytest.mark.parametrize("collective", COLLECTIVES)
@pytest.mark.parametrize(("n", "g"), [(1, 1), (5, 5), (5, 1), (8, 8), (13, 1)])
def test_one_node_or_one_rank_per_node_is_the_flat_ring(collective, n, g):
    """G = N and G = 1 send what the flat ring sends, pair by pair, in as many steps."""
    count = 4 * n + 3
    grouped = Simulation.count_only(collective, ranks=n, count=count, algorithm="hierarchical",
                                    group_size=g).run()
    flat = Simulation.count_only(collective, ranks=n, count=count, algorithm="ring").run()
    assert grouped.num_steps == flat.num_steps
    np.testing.assert_array_equal(grouped.traffic, flat.traffic)


DTYPE_OPS = [("int8", "sum"), ("uint8", "bxor"), ("int32", "max"), ("int64", "min"),
             ("float16", "sum"), ("float32", "prod"), ("float64", "sum"), ("complex64", "sum"),
             ("bool", "lor"), ("bool", "land"), ("int32", "band")]


@pytest.mark.parametrize(("dtype", "op"), DTYPE_OPS)
@pytest.mark.parametrize("collective", COLLECTIVES)
def test_every_dtype_and_op_in_nodes_of_two_and_three(collective, dtype, op):
    """N = 6 in nodes of 2 and of 3, an uneven count: numpy's answer for every dtype and op
    (all-gather for every dtype)."""
    for g in (2, 3):
        inputs = example_inputs(collective, 6, 17, dtype, seed=g)
        result = simulate(collective, inputs, algorithm="hierarchical", op=op, group_size=g)
        problem = Problem(collective, 6, (17,), np.dtype(dtype),
                          op=resolve_op(op) if OPS[collective] else None, group_size=g)
        for got, want in zip(result.outputs, expected_outputs(problem, inputs), strict=True):
            assert results_match(got, want, 6)


@pytest.mark.parametrize("collective", COLLECTIVES)
def test_uneven_nodes_are_refused_naming_ring(collective):
    """N = 6 in nodes of 4 (and a last one of 2), given or from a network, is refused, saying why
    and naming 'ring'; a non-commutative op is refused too."""
    match = r"expected N a multiple of group_size 4, got N = 6 .*use algorithm 'ring'"
    with pytest.raises(UnsupportedError, match=match):
        Simulation.count_only(collective, ranks=6, count=5, algorithm="hierarchical",
                              group_size=4)
    with pytest.raises(UnsupportedError, match=match):
        Simulation.count_only(collective, ranks=6, count=5, algorithm="hierarchical",
                              network=hierarchical(6, 4))
    if OPS[collective]:
        first = Op(lambda a, b: a, commutative=False, name="first")
        with pytest.raises(UnsupportedError, match=r"non-commutative op 'first'"):
            Simulation.count_only(collective, ranks=4, count=5, algorithm="hierarchical",
                                  group_size=2, op=first)


@pytest.mark.parametrize("collective", COLLECTIVES)
def test_the_group_size_comes_from_a_hierarchical_network(collective):
    """On a hierarchical network of nodes of 4 the algorithm works in nodes of 4; group_size=
    overrides it; a network with nodes larger than N holds every rank in one node."""
    inputs = labelled_inputs(collective, 8, (9,))
    on_network = simulate(collective, inputs, algorithm="hierarchical",
                          network=hierarchical(8, 4))
    given = simulate(collective, inputs, algorithm="hierarchical", group_size=4)
    np.testing.assert_array_equal(on_network.traffic, given.traffic)
    assert on_network.verified
    overridden = simulate(collective, inputs, algorithm="hierarchical",
                          network=hierarchical(8, 4), group_size=2)
    np.testing.assert_array_equal(overridden.traffic, simulate(
        collective, inputs, algorithm="hierarchical", group_size=2).traffic)
    one_node = simulate(collective, inputs, algorithm="hierarchical", network=hierarchical(8, 16))
    np.testing.assert_array_equal(one_node.traffic,
                                  simulate(collective, inputs, algorithm="ring").traffic)


@pytest.mark.parametrize("collective", COLLECTIVES)
@pytest.mark.parametrize(("n", "g"), [(8, 1), (8, 2), (8, 4), (8, 8), (12, 3), (12, 6)])
def test_time_on_uniform_links_is_the_reference_formula(collective, n, g):
    """On a fully connected network of uniform links, with N dividing the count, the time is
    the reference's alpha-beta-gamma formula in nodes of G."""
    network = fully_connected(n)
    run = Simulation.count_only(collective, ranks=n, count=5 * n, algorithm="hierarchical",
                                network=network, group_size=g).run()
    op = resolve_op("sum") if OPS[collective] else None
    problem = Problem(collective, n, (5 * n,), np.dtype("float32"), op=op, group_size=g)
    assert run.time == pytest.approx(reference_time(
        problem, "hierarchical", network.alpha, 1 / network.bandwidth, network.gamma_default),
        rel=1e-12)


def test_the_index_math_of_six_ranks_in_nodes_of_three():
    """The module docstring's N = 6, G = 3 example."""
    assert node_members(4, 6, 3) == (3, 4, 5)
    assert cross_members(4, 6, 3) == (1, 4)
    assert column_order(6, 3).tolist() == [0, 3, 1, 4, 2, 5]
    assert reduced_chunk(np.arange(3), 3).tolist() == [1, 2, 0]


MIB = 2**20
ALPHA, BANDWIDTH, INTER_ALPHA, GAMMA = 1e-6, 1e10, 5e-6, 1e-11


def _four_by_four(algorithm: str):
    """All-reduce of 64 MiB of float32 on 4 nodes of 4 ranks, inter-node links 10x slower."""
    network = hierarchical(16, 4, alpha=ALPHA, bandwidth=BANDWIDTH, inter_alpha=INTER_ALPHA,
                           inter_bandwidth=BANDWIDTH / 10, gamma=GAMMA)
    return Simulation.count_only("allreduce", ranks=16, count=64 * MIB // 4, dtype="float32",
                                 algorithm=algorithm, network=network).run()


def test_hierarchical_allreduce_on_four_nodes_of_four_beats_the_flat_ring():
    """64 MiB on 4 x 4 ranks, inter-node bandwidth 10x lower: hierarchical takes
    2(G-1)(a + K/(G·B)) + (G-1)(K/G)g + 2(M-1)(2a' + K/(G·M·B')) + (M-1)(K/(G·M))g, the flat
    ring 2(N-1)(2a' + K/(N·B')) + (N-1)(K/N)g (every step waits for a node boundary); every
    switch port carries 2(M-1)K/(G·M) = 24 MiB each way, against the flat ring's 120 MiB on the
    four ports at node boundaries."""
    k, n, g, m, inter = 64 * MIB, 16, 4, 4, BANDWIDTH / 10
    grouped, flat = _four_by_four("hierarchical"), _four_by_four("ring")
    predicted = (2 * (g - 1) * (ALPHA + k / g / BANDWIDTH) + (g - 1) * k / g * GAMMA
                 + 2 * (m - 1) * (2 * INTER_ALPHA + k / (g * m) / inter)
                 + (m - 1) * k / (g * m) * GAMMA)
    ring = 2 * (n - 1) * (2 * INTER_ALPHA + k / n / inter) + (n - 1) * k / n * GAMMA
    assert grouped.time == pytest.approx(predicted, rel=1e-12)
    assert flat.time == pytest.approx(ring, rel=1e-12)
    assert grouped.time < flat.time / 3
    links = grouped.link_bytes
    assert links is not None and flat.link_bytes is not None
    across = 2 * (m - 1) * k // (g * m)
    assert across == 24 * MIB
    for rank in range(n):
        assert links[f"{rank}->{SWITCH}"] == links[f"{SWITCH}->{rank}"] == across
        boundary = rank % g == g - 1
        assert flat.link_bytes.get(f"{rank}->{SWITCH}", 0) == \
            (2 * (n - 1) * k // n if boundary else 0)
