"""Networks for the simulator: ranks and switches joined by directed links, and message routes.

One concern per module, every name importable from here:

- :mod:`~collectives.sim.network.base`: :class:`Network` (vertices, link ids and figures, routes,
  copies with a link's or a rank's own figures), :class:`LinkFigures` and the default figures.
- :mod:`~collectives.sim.network.topologies`: the five kinds of network, :func:`fully_connected`,
  :func:`ring`, :func:`switch`, :func:`hierarchical` and :func:`link_graph`, and their routes.
- :mod:`~collectives.sim.network.files`: a network described by a JSON file
  (:func:`load_topology`, format in that module's docstring).
- :mod:`~collectives.sim.network.options`: what the command line takes, a topology by name or
  file (:func:`build_network`) and ``--slow-link A-B:BANDWIDTH[:ALPHA]``.
"""

from collectives.sim.network.base import (
    DEFAULT_ALPHA,
    DEFAULT_BANDWIDTH,
    DEFAULT_GAMMA,
    DEFAULT_GROUP_SIZE,
    DEFAULT_INTER_ALPHA,
    DEFAULT_INTER_BANDWIDTH,
    LinkFigures,
    Network,
)
from collectives.sim.network.files import load_topology, topology_from_dict
from collectives.sim.network.options import (
    build_network,
    parse_link_override,
    with_link_overrides,
)
from collectives.sim.network.topologies import (
    SWITCH,
    TOPOLOGIES,
    FullyConnected,
    Hierarchical,
    LinkGraph,
    Ring,
    Switch,
    fully_connected,
    hierarchical,
    link_graph,
    ring,
    switch,
)

__all__ = ["DEFAULT_ALPHA", "DEFAULT_BANDWIDTH", "DEFAULT_GAMMA", "DEFAULT_GROUP_SIZE",
           "DEFAULT_INTER_ALPHA", "DEFAULT_INTER_BANDWIDTH", "SWITCH", "TOPOLOGIES",
           "FullyConnected", "Hierarchical", "LinkFigures", "LinkGraph", "Network", "Ring",
           "Switch", "build_network", "fully_connected", "hierarchical", "link_graph",
           "load_topology", "parse_link_override", "ring", "switch", "topology_from_dict",
           "with_link_overrides"]
