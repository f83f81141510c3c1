"""The base of every network: ranks and switches joined by directed links, and their figures.

A link ``u -> v`` has its own latency ``alpha`` (seconds) and bandwidth (bytes per second). Links
are directed: a full-duplex cable between a and b is the two links ``a -> b`` and ``b -> a``. Each
rank has a reduction cost ``gamma`` (seconds per byte it combines). A message from rank ``s`` to
rank ``d`` crosses the links of ``route(s, d)``; routes are fixed per pair (deterministic).
Vertices are numbered ranks ``0..N-1`` first, then switches; a link's id is ``u * V + v``.

:class:`Network` keeps only the links given their own figures (sorted ids and two arrays) and the
ranks' gammas; a subclass says which links exist and how a message is routed
(:mod:`collectives.sim.network.topologies`). ``figures`` of M link ids costs O(M log K) for K
links given their own; :meth:`Network.with_link` and :meth:`Network.with_gamma` return copies.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from collectives.errors import InvalidInputError

DEFAULT_ALPHA = 1e-6  #: seconds per message per link (1 µs)
DEFAULT_BANDWIDTH = 1e10  #: bytes per second (10 GB/s)
DEFAULT_GAMMA = 1e-11  #: seconds per reduced byte (100 GB/s of local reduction)
DEFAULT_INTER_ALPHA = 5e-6  #: hierarchical: latency of a link to the network switch
DEFAULT_INTER_BANDWIDTH = 1.25e9  #: hierarchical: bandwidth of a link to the network switch
DEFAULT_GROUP_SIZE = 8  #: hierarchical: ranks per node


@dataclass(frozen=True)
class LinkFigures:
    """One link's latency (seconds) and bandwidth (bytes per second)."""

    alpha: float
    bandwidth: float


def check_figure(name: str, value: float, *, positive: bool, where: str = "") -> float:
    """``value`` as a float, if it is a finite number >= 0 (> 0 when ``positive``)."""
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
        self.alpha = check_figure("alpha", alpha, positive=False)
        self.bandwidth = check_figure("bandwidth", bandwidth, positive=True)
        self.gamma_default = check_figure("gamma", gamma, positive=False)
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
            alphas[:] = check_figure("alpha", alpha, positive=False)
        if bandwidth is not None:
            bandwidths[:] = check_figure("bandwidth", bandwidth, positive=True)
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
        other._gamma[vertex] = check_figure("gamma", gamma, positive=False)
        other._notes = [*self._notes, f"rank {vertex}: gamma {gamma:g}"]
        return other

    def describe(self) -> str:
        """One line: the topology, its figures and every link or rank given its own."""
        return "; ".join([f"{self._summary()}, gamma {self.gamma_default:g} s/B", *self._notes])

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"

