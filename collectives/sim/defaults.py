"""What a simulated run takes when an option is not given: whether it keeps every step's
transfers, and G, the ranks per node of a hierarchical algorithm.

The engine (:class:`~collectives.sim.engine.Simulation`), the simulated world's communicator and
the command line all ask here, so a run gets the same defaults whichever door it comes in by.

It assumes a :class:`~collectives.sim.network.Hierarchical` network's ``group_size`` is the
ranks per node, its nodes filled in rank order. Costs: arithmetic only.
"""

from __future__ import annotations

from collectives.sim.network import Hierarchical, Network

# Up to this many ranks a run keeps every step's transfers unless told otherwise.
KEEP_TRANSFERS_RANKS = 256


def keeps_transfers(ranks: int, keep_transfers: bool | None) -> bool:
    """Whether a run keeps its steps' transfers: as asked, else up to
    :data:`KEEP_TRANSFERS_RANKS` ranks."""
    return ranks <= KEEP_TRANSFERS_RANKS if keep_transfers is None else bool(keep_transfers)


def network_group_size(network: Network | None, group_size: int | None,
                       ranks: int) -> int | None:
    """G, the ranks per node: ``group_size`` where given, else a hierarchical network's (all
    ranks in one node where it has fewer than G), else None (one node)."""
    if group_size is not None or not isinstance(network, Hierarchical):
        return group_size
    return min(network.group_size, ranks)
