"""Which ranks of a communicator share a node, found the way a real program finds them:
``comm.Split_type(MPI.COMM_TYPE_SHARED)``, once per communicator.

The hierarchical algorithms work in nodes of G consecutive ranks (:mod:`collectives.hierarchy`);
:attr:`Nodes.group_size` is that G when the nodes found are such (one node of all N ranks on a
single machine), else None with :attr:`Nodes.why_not` saying why (nodes of different sizes, or
ranks placed round-robin), and those algorithms then refuse unless the call gives
``group_size=``. Every rank computes the same answer from the same gathered node numbers.

Cost: one ``Split_type`` and one all-gather of an int64 per rank, when the communicator is made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from mpi4py import MPI


@dataclass(frozen=True)
class Nodes:
    """The node of every rank (numbered by its lowest rank), and whether this rank's node runs
    more of the communicator's ranks than this process may use cores."""

    node_of: tuple[int, ...]
    crowded: bool = False

    @property
    def sizes(self) -> list[int]:
        """Ranks per node, nodes in order of their lowest rank."""
        return [self.node_of.count(leader) for leader in sorted(set(self.node_of))]

    @property
    def group_size(self) -> int | None:
        """G when every node holds G consecutive ranks, else None."""
        sizes, n = self.sizes, len(self.node_of)
        g = sizes[0]
        consecutive = self.node_of == tuple((r // g) * g for r in range(n))
        return g if len(set(sizes)) == 1 and consecutive else None

    def why_not(self) -> str:
        """Why :attr:`group_size` is None: ``nodes of 3, 5 ranks`` or ``ranks placed ...``."""
        sizes = self.sizes
        if len(set(sizes)) > 1:
            return f"nodes of {', '.join(map(str, sizes))} ranks"
        return f"nodes of {sizes[0]} ranks that are not consecutive ({list(self.node_of)})"


def survey(comm: MPI.Intracomm) -> Nodes:
    """The nodes of ``comm``'s ranks (collective: every rank calls it once)."""
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        leader = np.array([node.bcast(comm.Get_rank(), root=0)], dtype=np.int64)
        crowded = node.Get_size() > len(os.sched_getaffinity(0))
    finally:
        node.Free()
    every = np.empty(comm.Get_size(), dtype=np.int64)
    comm.Allgather([leader, MPI.INT64_T], [every, MPI.INT64_T])
    return Nodes(tuple(int(r) for r in every), crowded)
