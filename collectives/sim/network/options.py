"""What the command line's ``--topology`` and ``--slow-link`` take: a topology by name or JSON
file, and links given their own figures as ``A-B:BANDWIDTH[:ALPHA]``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from collectives.errors import InvalidInputError
from collectives.sim.network.base import (
    DEFAULT_ALPHA,
    DEFAULT_BANDWIDTH,
    DEFAULT_GAMMA,
    DEFAULT_GROUP_SIZE,
    DEFAULT_INTER_ALPHA,
    DEFAULT_INTER_BANDWIDTH,
    Network,
)
from collectives.sim.network.files import load_topology
from collectives.sim.network.topologies import TOPOLOGIES, by_name


def build_network(topology: str, ranks: int, *, alpha: float = DEFAULT_ALPHA,
                  bandwidth: float = DEFAULT_BANDWIDTH, gamma: float = DEFAULT_GAMMA,
                  group_size: int = DEFAULT_GROUP_SIZE, inter_alpha: float = DEFAULT_INTER_ALPHA,
                  inter_bandwidth: float = DEFAULT_INTER_BANDWIDTH) -> Network:
    """One of :data:`TOPOLOGIES` by name, or the JSON file at ``topology``."""
    if topology in TOPOLOGIES:
        return by_name(topology, ranks, alpha=alpha, bandwidth=bandwidth, gamma=gamma,
                       group_size=group_size, inter_alpha=inter_alpha,
                       inter_bandwidth=inter_bandwidth)
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

