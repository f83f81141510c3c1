"""The plan of a lab cluster: which namespaces, cables, addresses, routes and link rates realize
a simulator network. Pure data; nothing here touches the system (:mod:`collectives.netlab.system`
builds it).

How a :class:`~collectives.sim.network.Network` becomes hosts and cables:

- Every rank is a host (a network namespace), except on a ``hierarchical`` network, where each
  node of G ranks is one host and its ranks talk through MPI's shared memory inside it; the
  node's ranks share the host's one port to the switch. The simulator's model of that lab
  (:func:`lab_network`) is a graph with a vertex per node, so the sharing is in the model too.
- Every switch is a namespace that forwards at layer 3, as a store-and-forward switch does: one
  port per cable, each port's egress queue its own.
- Every pair of vertices linked in the network is one cable, a veth pair with its own /30. Each
  direction is shaped by ``tbf`` on the sending end at that direction's bandwidth.
- Every namespace gets a /32 route to every address of every other host, next hop along the
  simulator's own route, so a message crosses exactly the links the simulator says it crosses
  (on a ring, hosts between forward it). A network whose routes differ by source at a shared
  vertex cannot be built from per-destination routes and is refused.
- A separate, unshaped control network (a bridge in its own namespace) carries only the
  launcher's traffic; MPI's data is kept on the cables.

The lab cannot add latency (the kernel has no ``netem``): a link's latency is what TCP over veth
gives, measured by :mod:`collectives.netlab.model`; alpha in the topology is not emulated.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from collectives.errors import InvalidInputError
from collectives.sim.network import Hierarchical, LinkFigures, Network, link_graph

PREFIX = "cnl-"  #: every namespace the lab creates starts with this
CONTROL = f"{PREFIX}ctl"  #: the namespace of the control bridge and of mpiexec
CONTROL_BRIDGE = "ctl"
CONTROL_ADDRESS = "10.232.255.254"
CONTROL_NET = ipaddress.ip_network("10.232.0.0/16")
CABLE_NET = ipaddress.ip_network("10.231.0.0/16")
MAX_HOSTS = 64  #: beyond this many namespaces two cores cannot carry a run
NODE = "node"  #: the hierarchical model's vertex for a node's port


@dataclass(frozen=True)
class Port:
    """One end of a cable: an interface in a namespace, its address, and the rate (bytes per
    second) its sending side is shaped to."""

    namespace: str
    name: str
    address: str
    rate: float


@dataclass(frozen=True)
class Cable:
    """A veth pair joining two namespaces, and the simulator links its two directions carry."""

    ends: tuple[Port, Port]
    links: tuple[tuple[int, int], tuple[int, int]]  #: (u, v) vertices: ends[0] sends u -> v


@dataclass(frozen=True)
class Route:
    """``ip route add DESTINATION/32 via VIA dev DEVICE`` in NAMESPACE."""

    namespace: str
    destination: str
    via: str
    device: str


@dataclass(frozen=True)
class Plan:
    """Everything the lab builds for one network."""

    network: Network  #: the simulator's model of this lab (see :func:`lab_network`)
    hosts: tuple[str, ...]  #: host namespaces, in rank order
    ranks_per_host: tuple[int, ...]
    switches: tuple[str, ...]  #: switch namespaces
    cables: tuple[Cable, ...]
    routes: tuple[Route, ...]
    control_addresses: tuple[str, ...]  #: each host's address on the control network
    notes: tuple[str, ...] = field(default=())  #: what the lab does not emulate

    @property
    def ranks(self) -> int:
        """Ranks in all."""
        return sum(self.ranks_per_host)

    @property
    def namespaces(self) -> tuple[str, ...]:
        """Every namespace of the plan, the control one first."""
        return (CONTROL, *self.hosts, *self.switches)

    def devices(self, host: str) -> tuple[str, ...]:
        """The cable interfaces of ``host`` (MPI's data goes over these alone)."""
        return tuple(port.name for cable in self.cables for port in cable.ends
                     if port.namespace == host)

    def ports_of_link(self) -> dict[tuple[int, int], Port]:
        """The sending port of every simulator link a cable carries."""
        return {link: port for cable in self.cables
                for link, port in zip(cable.links, cable.ends, strict=True)}


def lab_network(network: Network) -> Network:
    """The simulator network the lab of ``network`` really is: ``network`` itself, except a
    hierarchical one, whose node's ranks share one port: ranks ``r`` of node ``k`` are linked to
    a vertex ``node{k}`` (the host's memory, the intra-node figures), and ``node{k}`` to the
    switch (the inter-node figures)."""
    if not isinstance(network, Hierarchical):
        return network
    group, ranks = network.group_size, network.ranks
    nodes = [f"{NODE}{k}" for k in range(-(-ranks // group))]
    inside = LinkFigures(network.alpha, network.bandwidth)
    outside = LinkFigures(network.inter_alpha, network.inter_bandwidth)
    links: dict[tuple[int | str, int | str], LinkFigures | None] = {}
    for rank in range(ranks):
        links[rank, nodes[rank // group]] = links[nodes[rank // group], rank] = inside
    for node in nodes:
        links[node, "switch"] = links["switch", node] = outside
    return link_graph(ranks, links, switches=[*nodes, "switch"], alpha=network.alpha,
                      bandwidth=network.bandwidth, gamma=network.gamma_default)


def plan(network: Network) -> Plan:
    """The lab that realizes ``network`` (see the module docstring)."""
    model = lab_network(network)
    ranks = model.ranks
    if isinstance(network, Hierarchical):
        group = network.group_size
        host_of_rank = [rank // group for rank in range(ranks)]
        host_of_switch = {f"{NODE}{k}": k for k in range(-(-ranks // group))}
    else:
        host_of_rank = list(range(ranks))
        host_of_switch = {}
    host_count = max(host_of_rank) + 1
    hosts = tuple(f"{PREFIX}h{k}" for k in range(host_count))
    switch_names = [name for name in model.switches if name not in host_of_switch]
    switches = tuple(f"{PREFIX}s{k}" for k in range(len(switch_names)))
    if host_count + len(switches) > MAX_HOSTS:
        raise InvalidInputError(f"expected at most {MAX_HOSTS} hosts and switches in a lab, got "
                                f"{host_count + len(switches)}")
    namespace_of = [hosts[h] for h in host_of_rank]
    for name in model.switches:
        namespace_of.append(hosts[host_of_switch[name]] if name in host_of_switch
                            else switches[switch_names.index(name)])
    cables = _cables(model, namespace_of)
    addresses: dict[str, list[str]] = {ns: [] for ns in (*hosts, *switches)}
    for cable in cables:
        for port in cable.ends:
            addresses[port.namespace].append(port.address)
    routes = _routes(model, namespace_of, cables, hosts, addresses)
    control = [str(CONTROL_NET.network_address + 1 + k) for k in range(host_count)]
    ranks_per_host = tuple(host_of_rank.count(h) for h in range(host_count))
    notes = ("link latency is what TCP over veth gives (no netem); the topology's alpha is not "
             "emulated",)
    return Plan(model, hosts, ranks_per_host, switches, tuple(cables), tuple(routes),
                tuple(control), notes)


def _cables(model: Network, namespace_of: list[str]) -> list[Cable]:
    """One cable per linked pair of vertices in different namespaces, ports numbered per
    namespace in the order their cables are made."""
    cables: list[Cable] = []
    used: dict[str, int] = {}
    for u in range(model.vertices):
        for v in range(u + 1, model.vertices):
            forward, backward = _has(model, u, v), _has(model, v, u)
            if not (forward or backward):
                continue
            if namespace_of[u] == namespace_of[v]:
                continue  # a rank and its own node: memory inside the host
            if not (forward and backward):
                raise InvalidInputError(
                    f"expected links both ways in a lab (a cable is full duplex), got only "
                    f"{model.vertex_name(u if forward else v)}->"
                    f"{model.vertex_name(v if forward else u)}")
            subnet = CABLE_NET.network_address + 4 * len(cables)
            if subnet + 3 not in CABLE_NET:
                raise InvalidInputError(f"expected at most {CABLE_NET.num_addresses // 4} cables, "
                                        "got more")
            ends = []
            for offset, (a, b) in enumerate(((u, v), (v, u)), start=1):
                namespace = namespace_of[a]
                used[namespace] = used.get(namespace, 0) + 1
                bandwidth = model.link(model.vertex_name(a), model.vertex_name(b)).bandwidth
                ends.append(Port(namespace, f"p{used[namespace] - 1}", str(subnet + offset),
                                 bandwidth))
            cables.append(Cable((ends[0], ends[1]), ((u, v), (v, u))))
    return cables


def _has(model: Network, u: int, v: int) -> bool:
    try:
        model.link_id(model.vertex_name(u), model.vertex_name(v))
    except InvalidInputError:
        return False
    return True


def _routes(model: Network, namespace_of: list[str], cables: list[Cable],
            hosts: tuple[str, ...], addresses: dict[str, list[str]]) -> list[Route]:
    """Per-destination routes that follow the simulator's route between every pair of hosts."""
    cable_of = {}
    for cable in cables:
        a, b = cable.ends
        cable_of[a.namespace, b.namespace] = (a, b)
        cable_of[b.namespace, a.namespace] = (b, a)
    first_rank = {}
    for rank in range(model.ranks):
        first_rank.setdefault(namespace_of[rank], rank)
    next_hop: dict[tuple[str, str], str] = {}
    for source in hosts:
        for target in hosts:
            if source == target:
                continue
            path = model.path(first_rank[source], first_rank[target])
            for u, v in path:
                here, there = namespace_of[u], namespace_of[v]
                if here == there:
                    continue
                known = next_hop.setdefault((here, target), there)
                if known != there:
                    raise InvalidInputError(
                        f"expected one next hop from {here} towards {target}, got {known} and "
                        f"{there} (routes that depend on the source cannot be built)")
    routes = []
    for (here, target), there in sorted(next_hop.items()):
        mine, theirs = cable_of[here, there]
        for address in addresses[target]:
            if address != theirs.address:  # the peer's own end is on the cable's subnet
                routes.append(Route(here, address, theirs.address, mine.name))
    return routes
