"""The topologies: which links a network has and the route a message takes across them.

Figures: ``alpha``, ``bandwidth``, ``gamma``; any link can get its own later with
:meth:`~collectives.sim.network.base.Network.with_link`, e.g.
``ring(8).with_link(2, 3, bandwidth=1e9)``, both directions.

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
- :func:`link_graph`: exactly the links given, among ranks and named switches; a message takes a
  shortest path (fewest links; among equals, the one through the lowest-numbered vertices). It
  keeps each source's breadth-first tree once asked, O(V) each.

The first four route M messages in O(total hops) numpy work; a graph routes in a Python loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from collectives.errors import InvalidInputError
from collectives.sim.network.base import (
    DEFAULT_ALPHA,
    DEFAULT_BANDWIDTH,
    DEFAULT_GAMMA,
    DEFAULT_GROUP_SIZE,
    DEFAULT_INTER_ALPHA,
    DEFAULT_INTER_BANDWIDTH,
    LinkFigures,
    Network,
    check_figure,
)

TOPOLOGIES: tuple[str, ...] = ("fully_connected", "ring", "switch", "hierarchical")
SWITCH = "switch"


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
        self.inter_alpha = check_figure("inter_alpha", inter_alpha, positive=False)
        self.inter_bandwidth = check_figure("inter_bandwidth", inter_bandwidth, positive=True)

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



def by_name(topology: str, ranks: int, *, alpha: float = DEFAULT_ALPHA,
            bandwidth: float = DEFAULT_BANDWIDTH, gamma: float = DEFAULT_GAMMA,
            group_size: int = DEFAULT_GROUP_SIZE, inter_alpha: float = DEFAULT_INTER_ALPHA,
            inter_bandwidth: float = DEFAULT_INTER_BANDWIDTH) -> Network:
    """One of :data:`TOPOLOGIES` by name."""
    if topology == "hierarchical":
        return hierarchical(ranks, group_size, alpha=alpha, bandwidth=bandwidth,
                            inter_alpha=inter_alpha, inter_bandwidth=inter_bandwidth, gamma=gamma)
    builders = {"fully_connected": fully_connected, "ring": ring, "switch": switch}
    if topology in builders:
        return builders[topology](ranks, alpha=alpha, bandwidth=bandwidth, gamma=gamma)
    raise InvalidInputError(f"expected a topology, one of {', '.join(TOPOLOGIES)}, got "
                            f"{topology!r}")
