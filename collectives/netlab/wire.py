"""What the lab's links carry beyond the simulator's bytes, and how far a link's counters may be
from them.

A link's counters (``tx_bytes`` and ``tx_packets`` of the sending port) count Ethernet frames.
Every frame of MPI's TCP traffic carries :data:`FRAME_HEADER_BYTES` of headers (Ethernet 14, IP
20, TCP 32 with timestamps): a full frame holds :data:`PAYLOAD_BYTES` of data in
:data:`FRAME_BYTES` (4.6% more), a short segment or an acknowledgement more in proportion. So
the TCP payload a link carried is its bytes less the headers of its frames, and that holds the
simulator's bytes for the link, plus MPI's and UCX's own messages (headers, and the
rendezvous protocol's requests and acknowledgements, which travel the route back from receiver
to sender: on a ring a tie goes clockwise both ways, so not always the same links), at most
:data:`HEADER_SLACK` of the data they go with, plus MPI's set-up traffic, measured as a
baseline job (the same program on almost no data: the same connections), give or take
:data:`CONTROL_BYTES` (a job that runs longer exchanges a few more control messages: a link
that carries no data carried 174 bytes in one job and 122 in its baseline), plus what TCP sent
again: a segment lost in a full queue, or sent again when its acknowledgement came late, crosses
the links of its route once more, so the hosts' retransmitted segments, at most
:data:`PAYLOAD_BYTES` each, are counted from their own TCP counters and allowed on every link.
"""

from __future__ import annotations

import numpy as np

from collectives.sim.network import Network
from collectives.sim.timing import link_usage

MTU = 1500  #: Ethernet's, so TCP's segments and header overhead are a real network's
FRAME_HEADER_BYTES = 14 + 20 + 32  #: Ethernet, IP, TCP with timestamps
FRAME_BYTES = MTU + 14  #: a full frame on the wire
PAYLOAD_BYTES = MTU - 20 - 32  #: TCP payload of a full frame
HEADER_SLACK = 0.01  #: MPI's and UCX's own messages, relative to the data they go with
CONTROL_BYTES = 1024  #: control messages beyond the baseline job's, on any link


def tcp_payload(nbytes: int, frames: int) -> int:
    """The TCP payload ``frames`` frames of ``nbytes`` bytes in all carried."""
    return nbytes - FRAME_HEADER_BYTES * frames


def payload_range(simulated: int, returning: int, baseline: int = 0,
                  retransmitted: int = 0) -> tuple[float, float]:
    """(least, most) TCP payload a link may carry when the simulator puts ``simulated`` bytes
    on it and ``returning`` bytes on routes whose way back crosses it, where a baseline job's
    payload there was ``baseline`` and the hosts sent ``retransmitted`` segments again."""
    most = (simulated + (simulated + returning) * HEADER_SLACK + baseline + CONTROL_BYTES
            + retransmitted * PAYLOAD_BYTES)
    return float(simulated), most


def link_loads(network: Network, traffic: np.ndarray) -> tuple[dict[tuple[int, int], int],
                                                                dict[tuple[int, int], int]]:
    """(simulated, returning) bytes per link (from, to) for the N×N ``traffic`` matrix: each
    pair's bytes over its route, and over the route back."""
    def per_link(matrix: np.ndarray) -> dict[tuple[int, int], int]:
        usage = link_usage(network, matrix)
        ends = zip(*network.link_ends(usage.link_ids), strict=True)
        return {(int(u), int(v)): int(b)
                for (u, v), b in zip(ends, usage.nbytes.tolist(), strict=True)}

    return per_link(traffic), per_link(np.ascontiguousarray(traffic.T))
