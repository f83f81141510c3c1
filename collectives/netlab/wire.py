"""What the lab's links carry beyond the simulator's bytes, and how far a link's counter may be
from them.

A link's counter (``tx_bytes`` of the sending port) counts Ethernet frames. MPI's data goes as
TCP segments of at most :data:`PAYLOAD_BYTES` in frames of :data:`FRAME_BYTES` (MTU 1500: IP 20,
TCP 32 with timestamps, Ethernet 14), so a link carrying ``b`` bytes of the simulator's shows at
least ``b · FRAME_BYTES / PAYLOAD_BYTES`` (4.6% more). On top come MPI's and UCX's message
headers (a few dozen bytes per message) and TCP's acknowledgements of data flowing the other way,
at most one :data:`ACK_BYTES` frame per data frame received (about one per two, with delayed
acknowledgements), which travel the route back from receiver to sender (not always the same
links: on a ring a tie goes clockwise both ways), and MPI's own set-up traffic, measured as a
baseline job.
"""

from __future__ import annotations

import numpy as np

from collectives.sim.network import Network
from collectives.sim.timing import link_usage

MTU = 1500  #: Ethernet's, so TCP's segments and header overhead are a real network's
FRAME_BYTES = MTU + 14  #: a full frame on the wire, Ethernet header included
PAYLOAD_BYTES = MTU - 20 - 32  #: TCP payload of a full frame (IP, TCP with timestamps)
ACK_BYTES = 14 + 20 + 32  #: a bare acknowledgement
HEADER_SLACK = 0.01  #: MPI and UCX message headers and partly filled frames, relative


def frames_for(payload: int) -> float:
    """Wire bytes of ``payload`` bytes sent in full TCP segments."""
    return payload * FRAME_BYTES / PAYLOAD_BYTES


def wire_range(payload: int, acknowledged: int, baseline: int = 0) -> tuple[float, float]:
    """(least, most) bytes a link's counter may show when the simulator puts ``payload`` bytes
    on it and the acknowledgements of ``acknowledged`` bytes come back over it, where a
    baseline job (the same program on almost no data: the same connections set up) showed
    ``baseline``."""
    least = frames_for(payload)
    acknowledgements = ACK_BYTES * acknowledged / PAYLOAD_BYTES
    most = baseline + frames_for(payload) * (1 + HEADER_SLACK) + acknowledgements
    return least, most


def link_loads(network: Network, traffic: np.ndarray) -> tuple[dict[tuple[int, int], int],
                                                                dict[tuple[int, int], int]]:
    """(payload, acknowledged) bytes per link (from, to) for the N×N ``traffic`` matrix: each
    pair's bytes over its route, and over the route back for its acknowledgements."""
    def per_link(matrix: np.ndarray) -> dict[tuple[int, int], int]:
        usage = link_usage(network, matrix)
        ends = zip(*network.link_ends(usage.link_ids), strict=True)
        return {(int(u), int(v)): int(b)
                for (u, v), b in zip(ends, usage.nbytes.tolist(), strict=True)}

    return per_link(traffic), per_link(np.ascontiguousarray(traffic.T))
