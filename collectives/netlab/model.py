"""The simulator's model of a lab, fitted to what the lab's links really give, and its
predictions beside the measured times.

From the probe of :mod:`collectives.netlab.measure` (rank 0 and a rank on another host
exchanging 0 B to 4 MiB through the library's transport, median step times):

- every cable link's latency is the small steps' time divided by the cable hops of the
  probe's path (the lab cannot set latency; this is what TCP over veth gives per message);
- every cable link's bandwidth is its ``tbf`` rate times the efficiency the probe reached on its
  slowest link: TCP/IP and Ethernet headers (66 B per 1448 B of payload at MTU 1500) and the
  transport's own messages take the rest of the rate;
- a send ends once at most ``send_buffer`` of its bytes are still to cross: the probe's large
  sends (larger than any socket buffer) complete that much before their data could have
  arrived, the rest of it held by the operating system while the sender goes on;
- every rank reduces at the ``gamma`` measured on rank 0.

A prediction is the simulator's flow time for the algorithm on that network
(:mod:`collectives.sim.flows`): its messages, without barriers between steps, sharing every
link with whatever crosses it at the same moment, senders free once their data is handed off.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from collectives.calibration import fit_line
from collectives.netlab.plan import Plan
from collectives.sim.engine import Simulation
from collectives.sim.network import Network

DTYPE = np.dtype(np.float32)
SMALL = 1 << 10  #: probe sizes up to this give the latency (tbf's burst lets them through)
LARGE = 1 << 18  #: probe sizes from this give the bandwidth (the burst no longer matters)


@dataclass(frozen=True)
class LinkFit:
    """What the probe found: per-message latency and bandwidth of its path, and reduction."""

    path_alpha: float  #: seconds per message over the probe's path
    path_bandwidth: float  #: bytes per second TCP reached over it
    hops: int  #: cables on the path
    efficiency: float  #: path_bandwidth / the slowest cable rate on the path
    gamma: float  #: seconds per reduced byte (float32 sum)
    local_alpha: float | None = None  #: inside a host (shared memory), seconds per message
    local_bandwidth: float | None = None  #: inside a host, bytes per second
    send_buffer: float = 0.0  #: bytes a send hands off before they have crossed

    @property
    def alpha(self) -> float:
        """Seconds of latency per cable link."""
        return self.path_alpha / self.hops


def fit_links(plan: Plan, figures: Mapping[str, Any], peer: int) -> LinkFit:
    """The :class:`LinkFit` of the probe between rank 0 and ``peer`` in ``figures``: latency
    the median step time of the small sizes; efficiency the median, over the large sizes, of the
    rate each reached beyond that latency, relative to the path's slowest cable (a median, so one
    step disturbed by the machine does not move it); send buffer the mean, over the hand-off
    sizes, of the bytes a send had not yet carried at that rate when it completed."""
    sizes = np.array(figures["probe_sizes"])
    ports = plan.ports_of_link()
    path = [link for link in plan.network.path(0, peer) if link in ports]
    slowest = min(ports[link].rate for link in path)
    alpha, bandwidth = _latency_and_bandwidth(sizes, np.array(figures["probe_seconds"]))
    _, gamma = fit_line(np.array(figures["reduce_sizes"]), np.array(figures["reduce_seconds"]))
    local = figures.get("local_probe_seconds")
    local_alpha, local_bandwidth = (None, None) if not local else \
        _latency_and_bandwidth(sizes, np.array(local))
    handed_off = [max(0.0, size - max(0.0, seconds - alpha) * bandwidth) for size, seconds in
                  zip(figures.get("handoff_sizes", ()), figures.get("handoff_seconds", ()),
                      strict=True)]
    send_buffer = float(np.mean(handed_off)) if handed_off else 0.0
    return LinkFit(alpha, bandwidth, len(path), bandwidth / slowest, gamma, local_alpha,
                   local_bandwidth, send_buffer)


def _latency_and_bandwidth(sizes: np.ndarray, seconds: np.ndarray) -> tuple[float, float]:
    """Latency: the median step time of the small sizes; bandwidth: the median, over the large
    sizes, of the rate each reached beyond that latency."""
    alpha = float(np.median(seconds[sizes <= SMALL]))
    large = sizes >= LARGE
    return alpha, float(np.median(sizes[large] / np.maximum(seconds[large] - alpha, 1e-9)))


def model_network(plan: Plan, fit: LinkFit) -> Network:
    """The lab's network with every cable link's latency and bandwidth as fitted, the links
    inside a host (a rank and its node's port) as the local probe found them, and every rank's
    gamma."""
    network = plan.network
    ports = plan.ports_of_link()
    for (u, v), port in ports.items():
        network = network.with_link(network.vertex_name(u), network.vertex_name(v),
                                    alpha=fit.alpha, bandwidth=port.rate * fit.efficiency,
                                    both_ways=False)
    if fit.local_alpha is not None and fit.local_bandwidth is not None:
        for u, v in sorted(_local_links(plan)):
            network = network.with_link(network.vertex_name(u), network.vertex_name(v),
                                        alpha=fit.local_alpha / 2,
                                        bandwidth=fit.local_bandwidth, both_ways=False)
    for rank in range(network.ranks):
        network = network.with_gamma(rank, fit.gamma)
    return network


def _local_links(plan: Plan) -> set[tuple[int, int]]:
    """The links messages between ranks of one host cross (through the host's memory; two
    per message: rank, node, rank)."""
    links: set[tuple[int, int]] = set()
    first = 0
    for count in plan.ranks_per_host:
        members = range(first, first + count)
        for a in members:
            for b in members:
                if a != b:
                    links.update(plan.network.path(a, b))
        first += count
    return links - set(plan.ports_of_link())


def predict(network: Network, collective: str, algorithm: str, nbytes: int, *,
            send_buffer: float = 0.0, group_size: int | None = None) -> float:
    """Seconds the simulator's flow time gives ``algorithm`` for a float32 sum of ``nbytes``
    (the benchmark's size) on ``network``, senders handing off ``send_buffer`` bytes, a
    node-aware algorithm working in nodes of ``group_size`` ranks (the lab's hosts)."""
    from collectives.bench.sizes import count_for_size

    count = count_for_size(collective, nbytes, DTYPE, network.ranks)
    run = Simulation.count_only(collective, ranks=network.ranks, count=count, dtype=DTYPE,
                                algorithm=algorithm, op="sum", root=0, network=network,
                                keep_transfers=True, group_size=group_size).run()
    return run.flow_time(send_buffer)


@dataclass(frozen=True)
class ErrorSummary:
    """How far measured times are from the simulator's, over the cells of a size and up."""

    geomean: float  #: geometric mean of |measured / predicted - 1|
    mean: float  #: arithmetic mean of the same
    largest: float  #: the largest
    cells: int  #: cells counted
    over_quarter: int  #: cells off by more than 25%


def error_summary(rows: Iterable[Mapping[str, Any]], min_size: int = 1 << 20) -> ErrorSummary:
    """The :class:`ErrorSummary` of the rows of at least ``min_size`` bytes."""
    errors = [abs(row["measured"] / row["predicted"] - 1) for row in rows
              if row["size"] >= min_size and row["predicted"] > 0]
    if not errors:
        return ErrorSummary(math.nan, math.nan, math.nan, 0, 0)
    floor = 1e-4  # an exact cell would make the geometric mean 0
    geomean = math.exp(sum(math.log(max(e, floor)) for e in errors) / len(errors))
    return ErrorSummary(geomean, sum(errors) / len(errors), max(errors), len(errors),
                        sum(1 for e in errors if e > 0.25))
