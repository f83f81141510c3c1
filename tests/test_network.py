"""Topologies: which links exist, the route of every message, per-link figures, JSON files and
their errors."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from collectives.errors import InvalidInputError
from collectives.sim.network import (
    LinkFigures,
    build_network,
    fully_connected,
    hierarchical,
    link_graph,
    load_topology,
    parse_link_override,
    ring,
    switch,
    with_link_overrides,
)

SW = 8  # the switch's vertex number in an 8-rank switch or hierarchical network


@pytest.mark.parametrize(("src", "dst"), [(0, 1), (1, 0), (3, 7), (7, 3)])
def test_fully_connected_path_is_the_direct_link(src, dst):
    """Every message crosses exactly its own link."""
    assert fully_connected(8).path(src, dst) == [(src, dst)]


@pytest.mark.parametrize(("src", "dst", "path"), [
    (0, 1, [(0, 1)]),
    (2, 1, [(2, 1)]),
    (0, 3, [(0, 1), (1, 2), (2, 3)]),
    (0, 5, [(0, 7), (7, 6), (6, 5)]),  # the shorter arc runs backwards
    (0, 4, [(0, 1), (1, 2), (2, 3), (3, 4)]),  # a tie goes clockwise
    (6, 1, [(6, 7), (7, 0), (0, 1)]),  # across the wrap
    (3, 3, []),
])
def test_ring_routes_along_the_shorter_arc(src, dst, path):
    """A message crosses every link of the shorter arc; equal arcs go clockwise."""
    assert ring(8).path(src, dst) == path


def test_ring_vectorised_route_matches_paths():
    """Routing all 7×6 pairs of a 7-ring at once gives each pair's path, in order."""
    network = ring(7)
    src, dst = np.nonzero(~np.eye(7, dtype=bool))
    message, links = network.route(src, dst)
    u, v = network.link_ends(links)
    for index, (s, d) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
        mine = message == index
        assert list(zip(u[mine].tolist(), v[mine].tolist(), strict=True)) == network.path(s, d)


def test_ring_of_two_has_one_link_each_way():
    """With two ranks both neighbours are the same rank: links 0->1 and 1->0."""
    network = ring(2)
    assert network.path(0, 1) == [(0, 1)] and network.path(1, 0) == [(1, 0)]


def test_switch_paths_cross_the_switch():
    """Every message goes rank -> switch -> rank, two links named after the switch."""
    network = switch(8)
    assert network.path(2, 5) == [(2, SW), (SW, 5)]
    _, links = network.route(np.array([2]), np.array([5]))
    assert [network.link_name(link) for link in links.tolist()] == ["2->switch", "switch->5"]


@pytest.mark.parametrize(("src", "dst", "path"), [
    (1, 2, [(1, 2)]),  # inside node 0
    (5, 4, [(5, 4)]),  # inside node 1
    (1, 6, [(1, SW), (SW, 6)]),  # node 0 to node 1, through the switch
    (7, 0, [(7, SW), (SW, 0)]),
])
def test_hierarchical_paths(src, dst, path):
    """Inside a node one direct link; between nodes through the switch."""
    assert hierarchical(8, 4).path(src, dst) == path


def test_hierarchical_figures_inside_and_between_nodes():
    """Links inside a node have the intra figures, links to the switch the inter ones."""
    network = hierarchical(8, 4, alpha=1e-6, bandwidth=1e11, inter_alpha=5e-6,
                           inter_bandwidth=1e9)
    assert network.link(1, 2) == LinkFigures(1e-6, 1e11)
    assert network.link(1, "switch") == LinkFigures(5e-6, 1e9)
    assert network.link("switch", 6) == LinkFigures(5e-6, 1e9)
    with pytest.raises(InvalidInputError, match="does not have"):
        network.link(1, 6)


def test_hierarchical_last_node_may_be_smaller():
    """With N = 6 and G = 4 the second node holds ranks 4 and 5."""
    network = hierarchical(6, 4)
    assert network.path(4, 5) == [(4, 5)]
    assert network.path(3, 4) == [(3, 6), (6, 4)]


def test_with_link_changes_both_directions_and_nothing_else():
    """A slow link 2<->3 gets its own bandwidth both ways; its neighbours keep theirs."""
    base = ring(8, alpha=1e-6, bandwidth=1e10)
    network = base.with_link(2, 3, bandwidth=1e9)
    assert network.link(2, 3) == network.link(3, 2) == LinkFigures(1e-6, 1e9)
    assert network.link(1, 2) == network.link(3, 4) == LinkFigures(1e-6, 1e10)
    assert base.link(2, 3) == LinkFigures(1e-6, 1e10)  # the original is unchanged


def test_with_link_one_way_and_latency():
    """``both_ways=False`` changes only u -> v; alpha can be given alone."""
    network = ring(8).with_link(2, 3, alpha=7e-6, both_ways=False)
    assert network.link(2, 3).alpha == 7e-6
    assert network.link(3, 2).alpha == ring(8).alpha
    assert network.link(2, 3).bandwidth == ring(8).bandwidth


def test_figures_are_looked_up_per_link():
    """Vectorised figures give the override where it applies and the default elsewhere."""
    network = fully_connected(5, bandwidth=4e9).with_link(0, 4, bandwidth=1e9)
    ids = np.array([network.link_id(0, 4), network.link_id(4, 0), network.link_id(1, 2)])
    _, bandwidth = network.figures(ids)
    np.testing.assert_array_equal(bandwidth, [1e9, 1e9, 4e9])


@pytest.mark.parametrize(("network", "u", "v"), [
    (ring(8), 0, 4),
    (switch(4), 0, 1),
    (fully_connected(4), 2, 2),
])
def test_with_link_refuses_a_link_the_topology_lacks(network, u, v):
    """Giving figures to a link that does not exist names it."""
    with pytest.raises(InvalidInputError, match=f"got {u}->{v}, which it does not have"):
        network.with_link(u, v, bandwidth=1e9)


@pytest.mark.parametrize("name", [8, -1, "9", "spine"])
def test_unknown_rank_or_switch(name):
    """A vertex that is neither a rank nor a switch is an error listing what exists."""
    with pytest.raises(InvalidInputError, match=r"expected a rank in 0\.\.7 or a switch "
                                                r"\(switch\), got"):
        switch(8).vertex(name)


@pytest.mark.parametrize(("figures", "match"), [
    ({"bandwidth": 0}, "bandwidth > 0"),
    ({"alpha": -1e-6}, "alpha >= 0"),
    ({"gamma": float("nan")}, "gamma >= 0"),
])
def test_bad_figures(figures, match):
    """Zero bandwidth, negative latency and NaN reduction cost are refused."""
    with pytest.raises(InvalidInputError, match=match):
        ring(4, **figures)


def test_per_rank_gamma():
    """One rank can reduce at its own cost."""
    network = ring(4, gamma=1e-11).with_gamma(2, 5e-11)
    np.testing.assert_array_equal(network.gamma(np.arange(4)), [1e-11, 1e-11, 5e-11, 1e-11])


def test_fully_connected_builds_no_links():
    """A million-rank fully connected network answers for any link at once: its links are
    computed on the messages that occur, never stored."""
    started = time.perf_counter()
    network = fully_connected(1_000_000).with_link(999_999, 0, bandwidth=1e9)
    assert network.path(999_999, 0) == [(999_999, 0)]
    assert network.link(999_999, 0).bandwidth == 1e9
    assert network.link(0, 999_999).bandwidth == 1e9
    assert network.link(5, 6).bandwidth == network.bandwidth
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(("text", "parsed"), [
    ("2-3:1e9", ("2", "3", 1e9, None)),
    ("2-3:1e9:5e-6", ("2", "3", 1e9, 5e-6)),
    ("3-switch:2.5e9", ("3", "switch", 2.5e9, None)),
])
def test_parse_link_override(text, parsed):
    """A-B:BANDWIDTH[:ALPHA]."""
    assert parse_link_override(text) == parsed


@pytest.mark.parametrize(("text", "match"), [
    ("2-3", "expected a link as A-B:BANDWIDTH"),
    ("2:3:1e9", "expected a link as A-B:BANDWIDTH"),
    ("2-3:1e9:1:2", "expected a link as A-B:BANDWIDTH"),
    ("2-3:fast", "expected numbers for the bandwidth and alpha of 2-3"),
])
def test_parse_link_override_errors(text, match):
    """A malformed override says what the syntax is."""
    with pytest.raises(InvalidInputError, match=match):
        parse_link_override(text)


def test_with_link_overrides_names_the_bad_one():
    """An override of a missing link names the text it came from."""
    with pytest.raises(InvalidInputError, match="link '0-2:1e9': expected a link"):
        with_link_overrides(ring(8), ["1-2:1e9", "0-2:1e9"])


def test_build_network_unknown_name():
    """An unknown topology name lists the built-in ones."""
    with pytest.raises(InvalidInputError, match="fully_connected, ring, switch, hierarchical or "
                                                "a JSON file, got 'rng'"):
        build_network("rng", 4)


def test_link_graph_takes_a_shortest_path():
    """In a graph of two ranks per leaf switch and a spine, 0 -> 3 goes leaf, spine, leaf."""
    links = [(a, b) for pair in [(0, "a"), (1, "a"), (2, "b"), (3, "b"), ("a", "spine"),
                                 ("b", "spine")] for a, b in (pair, pair[::-1])]
    network = link_graph(4, links, switches=["a", "b", "spine"])
    a, b, spine = 4, 5, 6
    assert network.path(0, 3) == [(0, a), (a, spine), (spine, b), (b, 3)]
    assert network.path(0, 1) == [(0, a), (a, 1)]


# -- JSON files ---------------------------------------------------------------------------------

def _write(tmp_path, spec) -> str:
    path = tmp_path / "net.json"
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec))
    return str(path)


def test_json_graph(tmp_path):
    """A file listing every link: a 4-rank ring one way only, one slower link, a rank with its
    own gamma."""
    spec = {"ranks": 4, "alpha": 2e-6, "bandwidth": 1e10, "gamma": 1e-11,
            "rank_gamma": {"3": 4e-11},
            "links": [{"from": 0, "to": 1}, {"from": 1, "to": 2, "bandwidth": 1e9},
                      {"from": 2, "to": 3}, {"from": 3, "to": 0, "alpha": 3e-6}]}
    network = load_topology(_write(tmp_path, spec))
    assert network.path(0, 3) == [(0, 1), (1, 2), (2, 3)]
    assert network.path(3, 1) == [(3, 0), (0, 1)]
    assert network.link(1, 2) == LinkFigures(2e-6, 1e9)
    assert network.link(3, 0) == LinkFigures(3e-6, 1e10)
    np.testing.assert_array_equal(network.gamma(np.arange(4)), [1e-11, 1e-11, 1e-11, 4e-11])


def test_json_base_with_a_slow_link(tmp_path):
    """A built-in topology as the base, one link given its own figures both ways."""
    spec = {"ranks": 6, "base": "ring", "bandwidth": 1e10,
            "links": [{"between": [2, 3], "bandwidth": 1e9}]}
    network = load_topology(_write(tmp_path, spec))
    assert network.link(2, 3).bandwidth == network.link(3, 2).bandwidth == 1e9
    assert network.link(4, 5).bandwidth == 1e10
    assert network.path(0, 3) == [(0, 1), (1, 2), (2, 3)]


def test_json_hierarchical_base(tmp_path):
    """The hierarchical base takes group_size and the inter-node figures."""
    spec = {"ranks": 8, "base": "hierarchical", "group_size": 2, "inter_bandwidth": 1e9}
    network = build_network(_write(tmp_path, spec), 8)
    assert network.path(0, 1) == [(0, 1)]
    assert network.path(1, 2) == [(1, 8), (8, 2)]
    assert network.link(1, "switch").bandwidth == 1e9


@pytest.mark.parametrize(("spec", "match"), [
    ("{\"ranks\": 4,", "expected JSON, got .* at line 1"),
    ([1, 2], "expected a JSON object at the top, got list"),
    ({"links": []}, "expected key 'ranks'"),
    ({"ranks": 0, "links": []}, r"'ranks': expected an integer >= 1, got 0"),
    ({"ranks": 2, "bandwith": 1e9, "links": []}, "unknown key 'bandwith'"),
    ({"ranks": 2, "bandwidth": -5, "links": []}, "'bandwidth': expected bandwidth > 0"),
    ({"ranks": 2}, "expected key 'links'"),
    ({"ranks": 2, "links": {"from": 0}}, "'links': expected a list, got dict"),
    ({"ranks": 2, "links": [{"from": 0, "to": 1}, {"from": 1, "to": 2}]},
     r"'links'\[1\]: expected a rank in 0\.\.1, got 2"),
    ({"ranks": 2, "links": [{"from": 0, "to": "spine"}]},
     r"'links'\[0\]: expected a rank in 0\.\.1, got 'spine'"),
    ({"ranks": 2, "links": [{"from": 0}]}, r"'links'\[0\]: expected 'between'"),
    ({"ranks": 2, "links": [{"between": [0, 1], "speed": 1}]}, r"'links'\[0\]: unknown key"),
    ({"ranks": 2, "links": [{"between": [0, 1]}, {"from": 1, "to": 0}]},
     r"'links'\[1\]: link 1->0 expected once"),
    ({"ranks": 2, "links": [{"between": [0, 1], "bandwidth": "fast"}]},
     r"'links'\[0\]: expected bandwidth to be a number"),
    ({"ranks": 3, "links": [{"between": [0, 1]}]},
     "expected every rank reachable from rank 0, got no path from rank 0 to rank 2"),
    ({"ranks": 3, "links": [{"from": 0, "to": 1}, {"from": 1, "to": 2}]},
     "expected every rank to reach rank 0, got no path from rank 1"),
    ({"ranks": 4, "base": "ring", "links": [{"between": [0, 2]}]},
     r"'links'\[0\]: expected a link of this ring network, got 0->2"),
    ({"ranks": 4, "base": "torus"}, "'base': expected one of"),
    ({"ranks": 4, "base": "ring", "group_size": 2}, "'group_size': expected only with base "
                                                    "'hierarchical'"),
    ({"ranks": 4, "base": "ring", "rank_gamma": {"7": 1e-11}},
     r"'rank_gamma' '7': expected a rank in 0\.\.3"),
])
def test_json_errors_say_what_and_where(tmp_path, spec, match):
    """Every mistake in a topology file is an error naming the file, the key and the fault."""
    path = _write(tmp_path, spec)
    with pytest.raises(InvalidInputError, match=f"topology file '{path}': .*{match}"):
        load_topology(path)


def test_json_missing_file(tmp_path):
    """A file that is not there is an error naming it."""
    path = str(tmp_path / "absent.json")
    with pytest.raises(InvalidInputError, match="expected a readable file"):
        build_network(path, 4)
