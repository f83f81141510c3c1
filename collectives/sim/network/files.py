"""Networks described by a JSON file (:func:`load_topology`)::

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

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from collectives.errors import InvalidInputError
from collectives.sim.network.base import (
    DEFAULT_ALPHA,
    DEFAULT_BANDWIDTH,
    DEFAULT_GAMMA,
    DEFAULT_GROUP_SIZE,
    LinkFigures,
    Network,
    check_figure,
)
from collectives.sim.network.topologies import TOPOLOGIES, LinkGraph, by_name

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


def _refuse_unknown_keys(entry: dict[str, Any], allowed: set[str],
                        where: str = "") -> None:
    """Raise naming the first key of ``entry`` not in ``allowed`` (``where`` prefixes it)."""
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise InvalidInputError(f"{where}unknown key {unknown[0]!r}; expected keys among "
                                f"{', '.join(sorted(allowed))}")


def topology_from_dict(spec: Any) -> Network:
    """The network a parsed topology file describes."""
    if not isinstance(spec, dict):
        raise InvalidInputError(f"expected a JSON object at the top, got {type(spec).__name__}")
    _refuse_unknown_keys(spec, _KEYS)
    if "ranks" not in spec:
        raise InvalidInputError("expected key 'ranks' (the number of ranks), got none")
    ranks = spec["ranks"]
    if isinstance(ranks, bool) or not isinstance(ranks, int) or ranks < 1:
        raise InvalidInputError(f"'ranks': expected an integer >= 1, got {ranks!r}")
    figures = {key: check_figure(key, spec[key], positive=key.endswith("bandwidth"),
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
            network = network.with_gamma(rank, check_figure("gamma", gamma, positive=False))
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
    network = by_name(base, ranks, group_size=group, **figures)
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
        _refuse_unknown_keys(entry, _LINK_KEYS, where)
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
            alpha = check_figure("alpha", alpha, positive=False, where=where)
        if bandwidth is not None:
            bandwidth = check_figure("bandwidth", bandwidth, positive=True, where=where)
        yield u, v, both, alpha, bandwidth

