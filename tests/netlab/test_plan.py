"""The lab's plan, checked without building it: hosts, cables, rates, and routes that send every
packet over exactly the links of the simulator's route."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectives.errors import InvalidInputError
from collectives.netlab.plan import Plan, lab_network, plan
from collectives.sim.network import hierarchical, ring, switch, topology_from_dict


def _owner(lab: Plan) -> dict[str, tuple[str, tuple[int, int] | None]]:
    """Address -> (namespace, the simulator link its port sends on)."""
    owner = {}
    for cable in lab.cables:
        for port, link in zip(cable.ends, cable.links, strict=True):
            owner[port.address] = (port.namespace, link)
    return owner


def _walk(lab: Plan, source: str, address: str) -> list[tuple[int, int]]:
    """The simulator links a packet from namespace ``source`` to ``address`` crosses, following
    the plan's routes and connected /30s hop by hop."""
    owner = _owner(lab)
    routes = {(route.namespace, route.destination): route for route in lab.routes}
    ports = {(port.namespace, port.name): port for cable in lab.cables for port in cable.ends}
    here, crossed = source, []
    for _ in range(2 * len(lab.namespaces)):
        if owner[address][0] == here:
            return crossed
        route = routes.get((here, address))
        if route is not None:
            via, out = route.via, ports[here, route.device]
        else:  # on a connected /30: the port of ``here`` on that subnet
            net = ipaddress.ip_network(f"{address}/30", strict=False)
            out = next(port for (ns, _), port in ports.items()
                       if ns == here and ipaddress.ip_address(port.address) in net)
            via = address
        crossed.append(owner[out.address][1])
        here = owner[via][0]
    raise AssertionError(f"no route from {source} to {address}: loop")


def _hosts_of(lab: Plan) -> list[int]:
    """The first rank of each host."""
    firsts, rank = [], 0
    for count in lab.ranks_per_host:
        firsts.append(rank)
        rank += count
    return firsts


def _assert_routes_follow_simulator(lab: Plan) -> None:
    firsts = _hosts_of(lab)
    owner = _owner(lab)
    for a, source in enumerate(lab.hosts):
        for b, target in enumerate(lab.hosts):
            if a == b:
                continue
            expected = [link for link in lab.network.path(firsts[a], firsts[b])
                        if link in lab.ports_of_link()]
            for address, (namespace, _) in owner.items():
                if namespace == target:
                    assert _walk(lab, source, address) == expected, (source, address)


@given(st.integers(2, 9))
def test_ring_routes_follow_the_simulators_shorter_arc(ranks: int) -> None:
    """On a ring every packet to any address of a host crosses the simulator's links for that
    pair, the hosts between forwarding it (clockwise on a tie)."""
    lab = plan(ring(ranks, bandwidth=25e6))
    assert len(lab.hosts) == ranks and not lab.switches
    assert len(lab.cables) == (1 if ranks == 2 else ranks)
    _assert_routes_follow_simulator(lab)


@given(st.integers(2, 9))
def test_switch_is_one_namespace_with_a_cable_per_host(ranks: int) -> None:
    """A switch is a namespace of its own; every message crosses the sender's and the
    receiver's cable."""
    lab = plan(switch(ranks, bandwidth=25e6))
    assert lab.switches == ("cnl-s0",)
    assert [cable.links[0] for cable in lab.cables] == [(r, ranks) for r in range(ranks)]
    _assert_routes_follow_simulator(lab)


@given(st.integers(2, 9), st.integers(1, 4))
def test_hierarchical_hosts_hold_a_node_and_share_its_port(ranks: int, group: int) -> None:
    """A node of G ranks is one host with one cable to the switch; the model links each rank to
    its node's port, so the ranks of a node share it."""
    network = hierarchical(ranks, group, inter_bandwidth=25e6)
    lab = plan(network)
    nodes = -(-ranks // group)
    assert lab.ranks_per_host == tuple(min(group, ranks - k * group) for k in range(nodes))
    assert len(lab.cables) == nodes
    model = lab_network(network)
    assert lab.network.describe() == model.describe()
    if nodes > 1:
        assert model.path(0, ranks - 1) == [
            (0, ranks), (ranks, ranks + nodes), (ranks + nodes, ranks + nodes - 1),
            (ranks + nodes - 1, ranks - 1)]
        _assert_routes_follow_simulator(lab)


def test_each_direction_is_shaped_at_its_links_bandwidth() -> None:
    """A slow link's cable sends at the slow rate both ways; the others at the common rate."""
    lab = plan(ring(4, bandwidth=25e6).with_link(2, 3, bandwidth=6.25e6))
    rates = {link: port.rate for link, port in lab.ports_of_link().items()}
    assert rates == {(0, 1): 25e6, (1, 0): 25e6, (0, 3): 25e6, (3, 0): 25e6, (1, 2): 25e6,
                     (2, 1): 25e6, (2, 3): 6.25e6, (3, 2): 6.25e6}


def test_a_one_way_link_is_refused() -> None:
    """A cable is full duplex: a network with a link one way only cannot be built."""
    network = topology_from_dict({"ranks": 2, "links": [{"from": 0, "to": 1},
                                                        {"from": 1, "to": "s"},
                                                        {"from": "s", "to": 0}],
                                  "switches": ["s"]})
    with pytest.raises(InvalidInputError, match="expected links both ways in a lab"):
        plan(network)


def test_too_many_hosts_are_refused() -> None:
    """Two cores cannot carry hundreds of hosts: the plan says how many it takes."""
    with pytest.raises(InvalidInputError, match="expected at most 64 hosts and switches in a "
                                                "lab, got 100"):
        plan(ring(100))
