"""The flow time: messages as flows sharing links while they overlap, senders free once their
data is handed off."""

from __future__ import annotations

import pytest
from sim_cases import ALGORITHMS, runs_at

from collectives.errors import CollectivesError, InvalidInputError
from collectives.netlab.plan import lab_network
from collectives.sim import Simulation
from collectives.sim.flows import max_min_rates
from collectives.sim.network import fully_connected, hierarchical, switch

ALPHA, BANDWIDTH = 2.0 ** -20, 2.0 ** 30


def _run(collective: str, algorithm: str, network, count: int = 4096, **options):
    return Simulation.count_only(collective, ranks=network.ranks, count=count, dtype="int32",
                                 algorithm=algorithm, network=network, keep_transfers=True,
                                 **options).run()


def test_flows_on_one_link_share_it_equally():
    """Two flows over one link get half its bandwidth each."""
    assert max_min_rates([(0,), (0,)], {0: 10.0}) == [5.0, 5.0]


def test_a_flow_held_back_elsewhere_leaves_the_rest_to_the_others():
    """A flow whose other link allows 2 takes 2; the flow beside it takes the other 8."""
    assert max_min_rates([(0, 1), (0,)], {0: 10.0, 1: 2.0}) == [2.0, 8.0]


@pytest.mark.parametrize(("collective", "algorithm"), ALGORITHMS)
def test_without_shared_links_or_buffers_the_flow_time_is_the_dataflow_time(collective,
                                                                           algorithm):
    """On uniform direct links no two messages share a link, so with no send buffer and no
    reduction cost every message takes its step-model time and the two times agree (double
    binary tree posts its rounds' two steps together: never later)."""
    for ranks in (4, 5):
        if not runs_at(collective, algorithm, ranks):
            continue
        result = _run(collective, algorithm,
                      fully_connected(ranks, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=0.0))
        if algorithm == "double_binary_tree":
            assert result.flow_time() <= result.dataflow_time * (1 + 1e-12)
        else:
            assert result.flow_time() == pytest.approx(result.dataflow_time, rel=1e-9)


@pytest.mark.parametrize(("send_buffer", "links_worth"), [
    (0, 2.0), (1 << 18, 2.25), (1 << 20, 3.0), (1 << 22, 3.0)])
def test_a_send_buffer_lets_the_root_serve_its_children_at_once(send_buffer, links_worth):
    """Binomial broadcast of K = 1 MiB at N = 4 on a switch: with no buffer the root sends to
    rank 2, then to rank 1 while rank 2 forwards (2K/B). With a buffer of S < K the root turns
    to rank 1 once S of rank 2's data is left, both share its link, and rank 2 forwards only
    after (2K + S)/B; with S >= K the two share from the start (3K/B)."""
    nbytes = 1 << 20
    result = _run("broadcast", "binomial", switch(4, alpha=0.0, bandwidth=BANDWIDTH),
                  count=nbytes // 4)
    assert result.flow_time(send_buffer) == pytest.approx(links_worth * nbytes / BANDWIDTH,
                                                          rel=1e-9)


def test_double_binary_tree_across_two_nodes_overlaps_both_directions():
    """2 nodes of 2 ranks sharing one port each: each direction of a port carries 2K. The
    dataflow time, a rank waiting for its receive before its send of the same round, takes 3K/B;
    the flow time, the round's messages posted together, 2K/B (as the lab measured)."""
    inter, nbytes = 1e7, 1 << 20
    network = lab_network(hierarchical(4, 2, alpha=0.0, bandwidth=1e15, inter_alpha=0.0,
                                       inter_bandwidth=inter, gamma=0.0))
    result = _run("allreduce", "double_binary_tree", network, count=nbytes // 4)
    assert result.dataflow_time == pytest.approx(3 * nbytes / inter, rel=1e-6)
    assert result.flow_time() == pytest.approx(2 * nbytes / inter, rel=1e-6)


def test_the_flow_time_needs_the_steps_kept():
    """A run that did not keep its steps says so, naming what it needs."""
    result = Simulation.count_only("allreduce", ranks=4, count=64, dtype="int32",
                                   algorithm="ring", network=switch(4),
                                   keep_transfers=False).run()
    with pytest.raises(CollectivesError, match="keep_transfers=True"):
        result.flow_time()


def test_a_negative_send_buffer_is_refused():
    """The buffer is a number of bytes, at least 0."""
    with pytest.raises(InvalidInputError, match="at least 0 bytes, got -1"):
        _run("allreduce", "ring", switch(4)).flow_time(-1)


def test_a_run_without_a_network_has_no_flow_time():
    """Without a network there are no links to time."""
    result = Simulation.count_only("allreduce", ranks=4, count=64, dtype="int32",
                                   algorithm="ring").run()
    with pytest.raises(CollectivesError, match="without a network"):
        result.flow_time()
