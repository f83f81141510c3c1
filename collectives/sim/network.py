"""Networks for the simulator: ranks and switches joined by directed links, and message routes.

A link ``u -> v`` has its own latency ``alpha`` (seconds) and bandwidth (bytes per second). Links
are directed: a full-duplex cable between a and b is the two links ``a -> b`` and ``b -> a``. Each
rank has a reduction cost ``gamma`` (seconds per byte it combines). A message from rank ``s`` to
rank ``d`` crosses the links of ``route(s, d)``; routes are fixed per pair (deterministic).
Vertices are numbered ranks ``0..N-1`` first, then switches; a link's id is ``u * V + v``.

Topologies (figures: ``alpha``, ``bandwidth``, ``gamma``; any link can get its own later with
:meth:`Network.with_link`, e.g. ``ring(8).with_link(2, 3, bandwidth=1e9)``, both directions):

- :func:`fully_connected`: every ordered pair of ranks is linked. Its N(N - 1) links are never
  built: routes and figures are computed only for the messages that occur.
- :func:`ring`: rank r is linked both ways to r - 1 and r + 1. A message to a rank further away
  goes along the shorter arc (clockwise, r -> r + 1, when both arcs are equally long) and crosses
  every link on it.
- :func:`switch`: every rank is linked both ways to one switch named ``switch``; every message
  crosses two links (rank -> switch -> rank), so its latency is 2·alpha.
- :func:`hierarchical`: nodes of G consecutive ranks (the last node may be smaller). Inside a
  node every pair of ranks is linked directly (``alpha``, ``bandwidth``); every rank also has its
  own port to one network switch named ``switch`` (``inter_alpha``, ``inter_bandwidth``), which
  carries its messages to other nodes: rank -> switch -> rank, two slower links.

JSON file (:func:`load_topology`)::

    {
      "ranks": 4,                      required; the ranks are 0..ranks-1
      "base": "ring",                  optional: fully_connected, ring, switch or hierarchical
      "group_size": 2,                 hierarchical only (nodes of this many ranks)
      "alpha": 1e-6,                   figures of every link that gives none of its own
      "bandwidth": 1e10,
      "inter_alpha": 5e-6,             hierarchical only: the links to the network switch
      "inter_bandwidth": 1.25e9,
      "gamma": 1e-11,                  every rank's reduction cost, seconds per byte
      "rank_gamma": {"3": 4e-11},      optional: ranks with their own reduction cost
      "switches": ["spine"],           without a base only: extra vertices, by name
      "links": [                       without a base: every link of the network;
                                       with a base: links of the base given their own figures
        {"between": [0, 1], "bandwidth": 1e9},        both directions
        {"from": 2, "to": "spine", "alpha": 2e-6}     one direction
      ]
    }

A link names its ends by rank number or switch name and may give ``alpha`` and ``bandwidth``
(the file's figures otherwise). Without a base, messages take a shortest path (fewest links;
among equals, the one through the lowest-numbered vertices). Every mistake is an error naming
the file and the key: malformed JSON, an unknown key, a wrong type, an unknown rank or switch, a
link the base does not have, a rank that cannot reach another.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from collectives.errors import InvalidInputError

DEFAULT_ALPHA = 1e-6  #: seconds per message per link (1 µs)
DEFAULT_BANDWIDTH = 1e10  #: bytes per second (10 GB/s)
DEFAULT_GAMMA = 1e-11  #: seconds per reduced byte (100 GB/s of local reduction)
DEFAULT_INTER_ALPHA = 5e-6  #: hierarchical: latency of a link to the network switch
DEFAULT_INTER_BANDWIDTH = 1.25e9  #: hierarchical: bandwidth of a link to the network switch
DEFAULT_GROUP_SIZE = 8  #: hierarchical: ranks per node

TOPOLOGIES: tuple[str, ...] = ("fully_connected", "ring", "switch", "hierarchical")
SWITCH = "switch"


@dataclass(frozen=True)
class LinkFigures:
    """One link's latency (seconds) and bandwidth (bytes per second)."""

    alpha: float
    bandwidth: float


def _check_figure(name: str, value: float, *, positive: bool, where: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"{where}expected {name} to be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise InvalidInputError(f"{where}expected {name} {bound}, got {value!r}")
    return value


class Network:
    """Ranks, switches and directed links with their figures; subclasses say which links exist
    and how a message is routed."""

    kind = "network"

    def __init__(self, ranks: int, switches: Sequence[str], alpha: float, bandwidth: float,
                 gamma: float) -> None:
        if isinstance(ranks, bool) or not isinstance(ranks, (int, np.integer)) or ranks < 1:
            raise InvalidInputError(f"expected a network of at least 1 rank, got {ranks!r}")
        self.ranks = int(ranks)
        self.switches = tuple(switches)
        self.vertices = self.ranks + len(self.switches)
        self.alpha = _check_figure("alpha", alpha, positive=False)
        self.bandwidth = _check_figure("bandwidth", bandwidth, positive=True)
        self.gamma_default = _check_figure("gamma", gamma, positive=False)
        self._gamma = np.full(self.ranks, self.gamma_default)
        self._override_ids = np.empty(0, dtype=np.int64)
        self._override_alpha = np.empty(0)
        self._override_bandwidth = np.empty(0)
        self._notes: list[str] = []

    # -- what subclasses provide --------------------------------------------------------------

    def _has_link(self, u: int, v: int) -> bool:
        raise NotImplementedError

    def _route(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For messages with ``src != dst``: (message index of each hop, link id of each hop),
        hops of one message consecutive and in path order, messages in order."""
        raise NotImplementedError

    def _default_figures(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.shape(u)
        return np.full(shape, self.alpha), np.full(shape, self.bandwidth)

    def _summary(self) -> str:
        return (f"{self.kind} of {self.ranks} ranks, links alpha {self.alpha:g} s, "
                f"{self.bandwidth:g} B/s")

    # -- vertices and links -------------------------------------------------------------------

    def vertex(self, name: int | str) -> int:
        """The vertex number of a rank (int or digits) or a switch (its name)."""
        number = -1
        if isinstance(name, str) and name in self.switches:
            return self.ranks + self.switches.index(name)
        is_number = isinstance(name, (int, np.integer)) and not isinstance(name, bool)
        if is_number or (isinstance(name, str) and re.fullmatch(r"\d+", name.strip())):
            number = int(name)
        if 0 <= number < self.ranks:
            return number
        switches = f" or a switch ({', '.join(self.switches)})" if self.switches else ""
        raise InvalidInputError(
            f"expected a rank in 0..{self.ranks - 1}{switches}, got {name!r}")

    def vertex_name(self, vertex: int) -> str:
        """``"3"`` for rank 3, the switch's name for a switch."""
        return str(vertex) if vertex < self.ranks else self.switches[vertex - self.ranks]

    def link_id(self, u: int | str, v: int | str) -> int:
        """The id of link ``u -> v``; raises when the network has no such link."""
        a, b = self.vertex(u), self.vertex(v)
        if a == b or not self._has_link(a, b):
            raise InvalidInputError(
                f"expected a link of this {self.kind} network, got {self.vertex_name(a)}->"
                f"{self.vertex_name(b)}, which it does not have")
        return a * self.vertices + b

    def link_ends(self, link_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (from, to) vertices of each link id."""
        return np.divmod(np.asarray(link_ids, dtype=np.int64), self.vertices)

    def link_name(self, link_id: int) -> str:
        """``"2->3"``, ``"5->switch"``."""
        u, v = divmod(int(link_id), self.vertices)
        return f"{self.vertex_name(u)}->{self.vertex_name(v)}"

    def figures(self, link_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(alpha, bandwidth) of each link id."""
        ids = np.asarray(link_ids, dtype=np.int64)
        alpha, bandwidth = self._default_figures(*self.link_ends(ids))
        if len(self._override_ids) and ids.size:
            where = np.searchsorted(self._override_ids, ids)
            where[where == len(self._override_ids)] = 0
            hit = self._override_ids[where] == ids
            alpha[hit] = self._override_alpha[where[hit]]
            bandwidth[hit] = self._override_bandwidth[where[hit]]
        return alpha, bandwidth

    def link(self, u: int | str, v: int | str) -> LinkFigures:
        """The figures of link ``u -> v``."""
        alpha, bandwidth = self.figures(np.array([self.link_id(u, v)]))
        return LinkFigures(float(alpha[0]), float(bandwidth[0]))

    def gamma(self, ranks: np.ndarray | int) -> np.ndarray:
        """Reduction cost of each rank, seconds per byte."""
        return self._gamma[ranks]

    # -- routes -------------------------------------------------------------------------------

    def route(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The links the messages ``src[i] -> dst[i]`` (all with ``src != dst``) cross:
        (message index of each hop, link id of each hop), each message's hops in path order."""
        src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
        if not len(src):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return self._route(src, dst)

    def path(self, src: int, dst: int) -> list[tuple[int, int]]:
        """The links ``(u, v)`` a message from rank ``src`` to rank ``dst`` crosses, in order."""
        a, b = self.vertex(src), self.vertex(dst)
        if a >= self.ranks or b >= self.ranks:
            raise InvalidInputError(f"expected two ranks, got {src!r} and {dst!r}")
        if a == b:
            return []
        _, links = self.route(np.array([a]), np.array([b]))
        return [(int(u), int(v)) for u, v in zip(*self.link_ends(links), strict=True)]

    # -- variants -----------------------------------------------------------------------------

    def with_link(self, u: int | str, v: int | str, *, alpha: float | None = None,
                  bandwidth: float | None = None, both_ways: bool = True) -> Network:
        """A copy in which link ``u -> v`` (and ``v -> u`` unless ``both_ways`` is False) has
        its own figures; a figure not given keeps its present value."""
        ids = [self.link_id(u, v)] + ([self.link_id(v, u)] if both_ways else [])
        alphas, bandwidths = self.figures(np.array(ids))
        if alpha is not None:
            alphas[:] = _check_figure("alpha", alpha, positive=False)
        if bandwidth is not None:
            bandwidths[:] = _check_figure("bandwidth", bandwidth, positive=True)
        table = dict(zip(self._override_ids.tolist(),
                         zip(self._override_alpha.tolist(), self._override_bandwidth.tolist(),
                             strict=True), strict=True))
        table.update(zip(ids, zip(alphas.tolist(), bandwidths.tolist(), strict=True),
                         strict=True))
        other = copy.copy(self)
        keys = sorted(table)
        other._override_ids = np.array(keys, dtype=np.int64)
        other._override_alpha = np.array([table[k][0] for k in keys])
        other._override_bandwidth = np.array([table[k][1] for k in keys])
        arrow = "<->" if both_ways else "->"
        figures = ", ".join(f"{name} {value:g}" for name, value in
                            (("alpha", alpha), ("bandwidth", bandwidth)) if value is not None)
        other._notes = [*self._notes, f"link {self.vertex_name(self.vertex(u))}{arrow}"
                                      f"{self.vertex_name(self.vertex(v))}: {figures}"]
        return other

    def with_gamma(self, rank: int | str, gamma: float) -> Network:
        """A copy in which ``rank`` reduces at its own cost ``gamma`` (seconds per byte)."""
        vertex = self.vertex(rank)
        if vertex >= self.ranks:
            raise InvalidInputError(f"expected a rank for a reduction cost, got switch {rank!r}")
        other = copy.copy(self)
        other._gamma = self._gamma.copy()
        other._gamma[vertex] = _check_figure("gamma", gamma, positive=False)
        other._notes = [*self._notes, f"rank {vertex}: gamma {gamma:g}"]
        return other

    def describe(self) -> str:
        """One line: the topology, its figures and every link or rank given its own."""
        return "; ".join([f"{self._summary()}, gamma {self.gamma_default:g} s/B", *self._notes])

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


class FullyConnected(Network):
    """Every ordered pair of ranks linked directly."""

    kind = "fully_connected"

    def __init__(self, ranks: int, alpha: float, bandwidth: float, gamma: float) -> None:
        super().__init__(ranks, (), alpha, bandwidth, gamma)

    def _has_link(self, u: int, v: int) -> bool:
        return u < self.ranks and v < self.ranks

    def _route(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(len(src), dtype=np.int64), src * self.vertices + dst


class Ring(Network):
    """Rank r linked both ways to r - 1 and r + 1; messages take the shorter arc."""

    kind = "ring"

    def __init__(self, ranks: int, alpha: float, bandwidth: float, gamma: float) -> None:
        super().__init__(ranks, (), alpha, bandwidth, gamma)

    def _has_link(self, u: int, v: int) -> bool:
        n = self.ranks
        return u < n and v < n and (v - u) % n in (1, n - 1)

    def _route(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = self.ranks
        ahead = (dst - src) % n
        clockwise = ahead <= n - ahead
        hops = np.where(clockwise, ahead, n - ahead)
        if np.all(clockwise & (hops == 1)):  # every message to the next rank, as ring passes
            return np.arange(len(src), dtype=np.int64), src * self.vertices + dst
        message = np.repeat(np.arange(len(src), dtype=np.int64), hops)
        first_hop = np.cumsum(hops) - hops
        along = np.arange(len(message), dtype=np.int64) - first_hop[message]
        direction = np.where(clockwise, 1, -1)[message]
        u = (src[message] + direction * along) % n
        return message, u * self.vertices + (u + direction) % n


class Switch(Network):
    """Every rank linked both ways to one switch."""

    kind = "switch"

    def __init__(self, ranks: int, alpha: float, bandwidth: float, gamma: float) -> None:
        super().__init__(ranks, (SWITCH,), alpha, bandwidth, gamma)

    def _has_link(self, u: int, v: int) -> bool:
        return (u < self.ranks) != (v < self.ranks)

    def _route(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hub, size = self.ranks, self.vertices
        message = np.repeat(np.arange(len(src), dtype=np.int64), 2)
        links = np.empty(2 * len(src), dtype=np.int64)
        links[0::2] = src * size + hub
        links[1::2] = hub * size + dst
        return message, links


class Hierarchical(Network):
    """Nodes of G ranks linked directly inside; a switch between nodes, one port per rank."""

    kind = "hierarchical"

    def __init__(self, ranks: int, group_size: int, alpha: float, bandwidth: float,
                 inter_alpha: float, inter_bandwidth: float, gamma: float) -> None:
        super().__init__(ranks, (SWITCH,), alpha, bandwidth, gamma)
        if isinstance(group_size, bool) or not isinstance(group_size, (int, np.integer)) \
                or group_size < 1:
            raise InvalidInputError(f"expected a group size >= 1, got {group_size!r}")
        self.group_size = int(group_size)
        self.inter_alpha = _check_figure("inter_alpha", inter_alpha, positive=False)
        self.inter_bandwidth = _check_figure("inter_bandwidth", inter_bandwidth, positive=True)

    def _has_link(self, u: int, v: int) -> bool:
        n, g = self.ranks, self.group_size
        if u < n and v < n:
            return u // g == v // g
        return (u < n) != (v < n)

    def _route(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hub, size = self.ranks, self.vertices
        inside = src // self.group_size == dst // self.group_size
        hops = np.where(inside, 1, 2)
        message = np.repeat(np.arange(len(src), dtype=np.int64), hops)
        first = np.cumsum(hops) - hops
        links = np.empty(len(message), dtype=np.int64)
        links[first] = np.where(inside, src * size + dst, src * size + hub)
        outside = np.flatnonzero(~inside)
        links[first[outside] + 1] = hub * size + dst[outside]
        return message, links

    def _default_figures(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        to_switch = (u >= self.ranks) | (v >= self.ranks)
        return (np.where(to_switch, self.inter_alpha, self.alpha),
                np.where(to_switch, self.inter_bandwidth, self.bandwidth))

    def _summary(self) -> str:
        return (f"hierarchical of {self.ranks} ranks in nodes of {self.group_size}, links inside "
                f"a node alpha {self.alpha:g} s, {self.bandwidth:g} B/s, links to the switch "
                f"alpha {self.inter_alpha:g} s, {self.inter_bandwidth:g} B/s")


class LinkGraph(Network):
    """Any set of links among ranks and named switches; messages take a shortest path."""

    kind = "graph"

    def __init__(self, ranks: int, switches: Sequence[str],
                 links: Mapping[tuple[int, int], LinkFigures], alpha: float, bandwidth: float,
                 gamma: float) -> None:
        super().__init__(ranks, switches, alpha, bandwidth, gamma)
        keys = sorted(u * self.vertices + v for u, v in links)
        self._link_ids = np.array(keys, dtype=np.int64)
        by_id = {u * self.vertices + v: figures for (u, v), figures in links.items()}
        self._alpha = np.array([by_id[k].alpha for k in keys])
        self._bandwidth = np.array([by_id[k].bandwidth for k in keys])
        self._out: list[list[int]] = [[] for _ in range(self.vertices)]
        for u, v in sorted(links):
            self._out[u].append(v)
        self._parents: dict[int, np.ndarray] = {}
        self._check_connected()

    def _has_link(self, u: int, v: int) -> bool:
        key = u * self.vertices + v
        where = int(np.searchsorted(self._link_ids, key))
        return where < len(self._link_ids) and int(self._link_ids[where]) == key

    def _default_figures(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        where = np.searchsorted(self._link_ids, u * self.vertices + v)
        return self._alpha[where].copy(), self._bandwidth[where].copy()

    def _tree(self, src: int) -> np.ndarray:
        """Breadth-first parents from ``src`` (-1: unreached), lowest vertices first."""
        if src not in self._parents:
            parent = np.full(self.vertices, -1, dtype=np.int64)
            parent[src] = src
            queue = deque([src])
            while queue:
                u = queue.popleft()
                for v in self._out[u]:
                    if parent[v] < 0:
                        parent[v] = u
                        queue.append(v)
            self._parents[src] = parent
        return self._parents[src]

    def _check_connected(self) -> None:
        reached = self._tree(0)
        lost = [r for r in range(self.ranks) if reached[r] < 0]
        if lost:
            raise InvalidInputError(
                f"expected every rank reachable from rank 0, got no path from rank 0 to rank "
                f"{lost[0]}" + (f" (nor to ranks {lost[1:]})" if lost[1:] else ""))
        for rank in range(1, self.ranks):
            if self._tree(rank)[0] < 0:
                raise InvalidInputError(
                    f"expected every rank to reach rank 0, got no path from rank {rank}")

    def _route(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        messages: list[int] = []
        links: list[int] = []
        for index, (s, d) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
            parent, hops = self._tree(s), []
            while d != s:
                hops.append(int(parent[d]) * self.vertices + d)
                d = int(parent[d])
            links.extend(reversed(hops))
            messages.extend([index] * len(hops))
        return np.array(messages, dtype=np.int64), np.array(links, dtype=np.int64)

    def _summary(self) -> str:
        switches = f" and {len(self.switches)} switches" if self.switches else ""
        return (f"graph of {self.ranks} ranks{switches}, {len(self._link_ids)} links, default "
                f"alpha {self.alpha:g} s, {self.bandwidth:g} B/s")


def fully_connected(ranks: int, *, alpha: float = DEFAULT_ALPHA,
                    bandwidth: float = DEFAULT_BANDWIDTH,
                    gamma: float = DEFAULT_GAMMA) -> Network:
    """Every ordered pair of ranks linked directly, every link with the same figures."""
    return FullyConnected(ranks, alpha, bandwidth, gamma)


def ring(ranks: int, *, alpha: float = DEFAULT_ALPHA, bandwidth: float = DEFAULT_BANDWIDTH,
         gamma: float = DEFAULT_GAMMA) -> Network:
    """Rank r linked both ways to r ± 1; a message takes the shorter arc (clockwise on a tie)."""
    return Ring(ranks, alpha, bandwidth, gamma)


def switch(ranks: int, *, alpha: float = DEFAULT_ALPHA, bandwidth: float = DEFAULT_BANDWIDTH,
           gamma: float = DEFAULT_GAMMA) -> Network:
    """Every rank linked both ways to one switch; a message crosses two links."""
    return Switch(ranks, alpha, bandwidth, gamma)


def hierarchical(ranks: int, group_size: int = DEFAULT_GROUP_SIZE, *,
                 alpha: float = DEFAULT_ALPHA, bandwidth: float = DEFAULT_BANDWIDTH,
                 inter_alpha: float = DEFAULT_INTER_ALPHA,
                 inter_bandwidth: float = DEFAULT_INTER_BANDWIDTH,
                 gamma: float = DEFAULT_GAMMA) -> Network:
    """Nodes of ``group_size`` ranks, fully linked inside (``alpha``, ``bandwidth``); between
    nodes through one switch, each rank with its own port (``inter_alpha``,
    ``inter_bandwidth``)."""
    return Hierarchical(ranks, group_size, alpha, bandwidth, inter_alpha, inter_bandwidth, gamma)


def link_graph(ranks: int, links: Iterable[tuple[int | str, int | str]] |
               Mapping[tuple[int | str, int | str], LinkFigures | None], *,
               switches: Sequence[str] = (), alpha: float = DEFAULT_ALPHA,
               bandwidth: float = DEFAULT_BANDWIDTH, gamma: float = DEFAULT_GAMMA) -> Network:
    """A network of exactly ``links`` (directed pairs of ranks or switch names), each with its
    figures or the defaults; messages take a shortest path."""
    table = links if isinstance(links, Mapping) else dict.fromkeys(links)
    names = Network(ranks, switches, alpha, bandwidth, gamma)
    default = LinkFigures(names.alpha, names.bandwidth)
    resolved = {}
    for (u, v), figures in table.items():
        a, b = names.vertex(u), names.vertex(v)
        if a == b:
            raise InvalidInputError(f"expected a link between two vertices, got {u!r}->{v!r}")
        resolved[a, b] = figures or default
    return LinkGraph(ranks, switches, resolved, alpha, bandwidth, gamma)


def build_network(topology: str, ranks: int, *, alpha: float = DEFAULT_ALPHA,
                  bandwidth: float = DEFAULT_BANDWIDTH, gamma: float = DEFAULT_GAMMA,
                  group_size: int = DEFAULT_GROUP_SIZE, inter_alpha: float = DEFAULT_INTER_ALPHA,
                  inter_bandwidth: float = DEFAULT_INTER_BANDWIDTH) -> Network:
    """One of :data:`TOPOLOGIES` by name, or the JSON file at ``topology``."""
    if topology == "hierarchical":
        return hierarchical(ranks, group_size, alpha=alpha, bandwidth=bandwidth,
                            inter_alpha=inter_alpha, inter_bandwidth=inter_bandwidth, gamma=gamma)
    builders = {"fully_connected": fully_connected, "ring": ring, "switch": switch}
    if topology in builders:
        return builders[topology](ranks, alpha=alpha, bandwidth=bandwidth, gamma=gamma)
    if topology.endswith(".json") or Path(topology).is_file():
        return load_topology(topology)
    raise InvalidInputError(
        f"expected a topology, one of {', '.join(TOPOLOGIES)} or a JSON file, got {topology!r}")


def parse_link_override(text: str) -> tuple[str, str, float, float | None]:
    """``"2-3:1e9"`` or ``"2-3:1e9:5e-6"`` (ends, bandwidth, optional alpha; both directions)."""
    match = re.fullmatch(r"\s*([^\s:-]+)\s*-\s*([^\s:-]+)\s*:([^:]+)(?::([^:]+))?\s*", text)
    if not match:
        raise InvalidInputError(
            f"expected a link as A-B:BANDWIDTH or A-B:BANDWIDTH:ALPHA (e.g. 2-3:1e9), got {text!r}")
    a, b, bandwidth, alpha = match.groups()
    try:
        return a, b, float(bandwidth), None if alpha is None else float(alpha)
    except ValueError:
        raise InvalidInputError(
            f"expected numbers for the bandwidth and alpha of {a}-{b}, got {text!r}") from None


def with_link_overrides(network: Network, overrides: Iterable[str]) -> Network:
    """``network`` with every ``A-B:BANDWIDTH[:ALPHA]`` override applied (both directions)."""
    for text in overrides:
        a, b, bandwidth, alpha = parse_link_override(text)
        try:
            network = network.with_link(a, b, bandwidth=bandwidth, alpha=alpha)
        except InvalidInputError as error:
            raise InvalidInputError(f"link {text!r}: {error}") from None
    return network


# -- JSON files -------------------------------------------------------------------------------

_KEYS = {"ranks", "base", "group_size", "alpha", "bandwidth", "inter_alpha", "inter_bandwidth",
         "gamma", "rank_gamma", "switches", "links"}
_LINK_KEYS = {"between", "from", "to", "alpha", "bandwidth"}


def load_topology(path: str | Path) -> Network:
    """The network described by the JSON file at ``path`` (format in the module docstring)."""
    where = f"topology file {str(path)!r}"
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise InvalidInputError(f"{where}: expected a readable file, got {error}") from None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{where}: expected JSON, got {error.msg} at line {error.lineno} "
                                f"column {error.colno}") from None
    try:
        return topology_from_dict(spec)
    except InvalidInputError as error:
        raise InvalidInputError(f"{where}: {error}") from None


def topology_from_dict(spec: Any) -> Network:
    """The network a parsed topology file describes."""
    if not isinstance(spec, dict):
        raise InvalidInputError(f"expected a JSON object at the top, got {type(spec).__name__}")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise InvalidInputError(f"unknown key {unknown[0]!r}; expected keys among "
                                f"{', '.join(sorted(_KEYS))}")
    if "ranks" not in spec:
        raise InvalidInputError("expected key 'ranks' (the number of ranks), got none")
    ranks = spec["ranks"]
    if isinstance(ranks, bool) or not isinstance(ranks, int) or ranks < 1:
        raise InvalidInputError(f"'ranks': expected an integer >= 1, got {ranks!r}")
    figures = {key: _check_figure(key, spec[key], positive=key.endswith("bandwidth"),
                                  where=f"{key!r}: ")
               for key in ("alpha", "bandwidth", "gamma", "inter_alpha", "inter_bandwidth")
               if key in spec}
    base = spec.get("base")
    if base is None:
        network = _graph_from_dict(spec, ranks, figures)
    else:
        network = _base_from_dict(spec, ranks, base, figures)
    rank_gamma = spec.get("rank_gamma", {})
    if not isinstance(rank_gamma, dict):
        raise InvalidInputError(f"'rank_gamma': expected an object mapping rank to gamma, got "
                                f"{rank_gamma!r}")
    for rank, gamma in rank_gamma.items():
        try:
            network = network.with_gamma(rank, _check_figure("gamma", gamma, positive=False))
        except InvalidInputError as error:
            raise InvalidInputError(f"'rank_gamma' {rank!r}: {error}") from None
    return network


def _base_from_dict(spec: dict, ranks: int, base: Any, figures: dict[str, float]) -> Network:
    if base not in TOPOLOGIES:
        raise InvalidInputError(f"'base': expected one of {', '.join(TOPOLOGIES)}, got {base!r}")
    if "switches" in spec:
        raise InvalidInputError(f"'switches': expected none with base {base!r} (it has its "
                                f"own), got {spec['switches']!r}")
    extra = [key for key in ("group_size", "inter_alpha", "inter_bandwidth") if key in spec]
    if base != "hierarchical" and extra:
        raise InvalidInputError(f"{extra[0]!r}: expected only with base 'hierarchical', got it "
                                f"with base {base!r}")
    group = spec.get("group_size", DEFAULT_GROUP_SIZE)
    if isinstance(group, bool) or not isinstance(group, int) or group < 1:
        raise InvalidInputError(f"'group_size': expected an integer >= 1, got {group!r}")
    network = build_network(base, ranks, group_size=group, **figures)
    for index, (u, v, both, alpha, bandwidth) in enumerate(_links_of(spec, network)):
        try:
            network = network.with_link(u, v, alpha=alpha, bandwidth=bandwidth, both_ways=both)
        except InvalidInputError as error:
            raise InvalidInputError(f"'links'[{index}]: {error}") from None
    return network


def _graph_from_dict(spec: dict, ranks: int, figures: dict[str, float]) -> Network:
    extra = [key for key in ("group_size", "inter_alpha", "inter_bandwidth") if key in spec]
    if extra:
        raise InvalidInputError(f"{extra[0]!r}: expected only with base 'hierarchical', got it "
                                "without a base")
    switches = spec.get("switches", [])
    if not isinstance(switches, list) or not all(isinstance(s, str) and s and not s.isdigit()
                                                 for s in switches):
        raise InvalidInputError(f"'switches': expected a list of names (not numbers), got "
                                f"{switches!r}")
    if len(set(switches)) != len(switches):
        raise InvalidInputError(f"'switches': expected distinct names, got {switches!r}")
    if "links" not in spec:
        raise InvalidInputError("expected key 'links' (every link, as there is no 'base'), "
                                "got none")
    names = Network(ranks, switches, figures.get("alpha", DEFAULT_ALPHA),
                    figures.get("bandwidth", DEFAULT_BANDWIDTH), figures.get("gamma", 0.0))
    links: dict[tuple[int, int], LinkFigures] = {}
    for index, (u, v, both, alpha, bandwidth) in enumerate(_links_of(spec, names)):
        try:
            a, b = names.vertex(u), names.vertex(v)
        except InvalidInputError as error:
            raise InvalidInputError(f"'links'[{index}]: {error}") from None
        if a == b:
            raise InvalidInputError(f"'links'[{index}]: expected two different ends, got {u!r} "
                                    "twice")
        link = LinkFigures(names.alpha if alpha is None else alpha,
                           names.bandwidth if bandwidth is None else bandwidth)
        for pair in [(a, b), (b, a)] if both else [(a, b)]:
            if pair in links:
                raise InvalidInputError(
                    f"'links'[{index}]: link {names.vertex_name(pair[0])}->"
                    f"{names.vertex_name(pair[1])} expected once, got it again")
            links[pair] = link
    return LinkGraph(ranks, switches, links, names.alpha, names.bandwidth,
                     figures.get("gamma", DEFAULT_GAMMA))


def _links_of(spec: dict, network: Network
              ) -> Iterable[tuple[Any, Any, bool, float | None, float | None]]:
    """(u, v, both directions, alpha, bandwidth) of each entry of ``spec["links"]``, checked."""
    links = spec.get("links", [])
    if not isinstance(links, list):
        raise InvalidInputError(f"'links': expected a list, got {type(links).__name__}")
    for index, entry in enumerate(links):
        where = f"'links'[{index}]: "
        if not isinstance(entry, dict):
            raise InvalidInputError(f"{where}expected an object, got {entry!r}")
        unknown = sorted(set(entry) - _LINK_KEYS)
        if unknown:
            raise InvalidInputError(f"{where}unknown key {unknown[0]!r}; expected keys among "
                                    f"{', '.join(sorted(_LINK_KEYS))}")
        if "between" in entry:
            ends = entry["between"]
            if "from" in entry or "to" in entry or not isinstance(ends, list) or len(ends) != 2:
                raise InvalidInputError(f"{where}expected 'between': [A, B] alone or 'from' and "
                                        f"'to', got {entry!r}")
            u, v, both = ends[0], ends[1], True
        elif "from" in entry and "to" in entry:
            u, v, both = entry["from"], entry["to"], False
        else:
            raise InvalidInputError(f"{where}expected 'between': [A, B] or 'from' and 'to', "
                                    f"got {entry!r}")
        for end in (u, v):
            if isinstance(end, bool) or not isinstance(end, (int, str)):
                raise InvalidInputError(f"{where}expected a rank number or switch name, got "
                                        f"{end!r}")
        alpha = entry.get("alpha")
        bandwidth = entry.get("bandwidth")
        if alpha is not None:
            alpha = _check_figure("alpha", alpha, positive=False, where=where)
        if bandwidth is not None:
            bandwidth = _check_figure("bandwidth", bandwidth, positive=True, where=where)
        yield u, v, both, alpha, bandwidth
