"""The cost model: how long each step of a schedule takes on a network.

Definitions (deterministic; every figure from :mod:`collectives.sim.network`):

- **Message.** All transfers of one step from rank s to rank d (s != d) form one message of b
  bytes, of which r are reduced at d (actions REDUCE and REDUCE_SOURCE_FIRST). It crosses the
  links of ``route(s, d)``. A transfer with s == d crosses no link; it costs only ``gamma_s · r``
  when it reduces.
- **Load.** ``load(l)``, for a link l, is the bytes of all messages of the step that cross l.
- **Message time.** ``t(m) = Σ_{l ∈ route} alpha_l + max_{l ∈ route} load(l) / B_l + gamma_d · r``:
  latency of every link on the way, the bottleneck link shared with everything else crossing it
  in this step (congestion), and the reduction at the destination.
- **Step time.** The time of the slowest message of the step (0 for a step with no message).
  Steps are bulk-synchronous: a step starts when the one before has ended, every message of a
  step starts with it, and the run's time is the sum of its step times.
- **Per link.** Bytes carried over the whole run, and busy time = bytes / bandwidth.

**Dataflow time** (:func:`advance_ranks`), beside it: the same messages with the same times,
but without the barrier between steps, as MPI ranks run: a message of a step starts once both
its ranks have finished their messages of the steps before, and a rank is done with a step when
its messages of it are. Contention is still counted within a step only. It is never more than
the bulk-synchronous time, and equals it whenever every rank takes part in every step (ring
passes, recursive doubling); it is less where ranks sit out steps (trees, double binary trees).

**Flow time** (:mod:`collectives.sim.flows`), from the same messages: links shared by whatever
crosses them at the same moment, across steps, and senders free once their data is handed off.

Consequences, which tests check exactly. On a fully connected network with uniform links no two
messages of a step share a link (each rank sends to at most one peer per step), so
``t(m) = alpha + b·beta + gamma·r`` with ``beta = 1 / bandwidth``, and every algorithm's time is
the reference table's alpha-beta-gamma formula (:func:`collectives.costs.reference_time`). On a
ring whose link 2 -> 3 is slower, every step of ring all-reduce sends one chunk over it and waits
for it: ``2(N-1)(alpha + K/(N·B_slowest)) + (N-1)(K/N)·gamma``, flat in N (it tends to
``2K/B_slowest``) and set by the slowest link.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collectives.sim.network import Network
from collectives.sim.schedule import Action, Step


@dataclass(frozen=True)
class StepTiming:
    """The times of one step's messages and the load of every link it used."""

    duration: float  #: the step's time: its slowest message's
    src: np.ndarray  #: per message: sending rank
    dst: np.ndarray  #: per message: receiving rank
    nbytes: np.ndarray  #: per message: bytes
    reduced: np.ndarray  #: per message: bytes reduced at the destination
    time: np.ndarray  #: per message: its time t(m), seconds
    message_of: np.ndarray  #: per transfer of the step: the index of its message
    link_ids: np.ndarray  #: links crossed in this step (sorted)
    link_load: np.ndarray  #: bytes crossing each of them
    hop_message: np.ndarray  #: per hop (message, link on its route): the message
    hop_link: np.ndarray  #: per hop: the link id

    @property
    def remote(self) -> np.ndarray:
        """Mask of the messages that cross links (``src != dst``)."""
        return self.src != self.dst


def _strictly_increasing(values: np.ndarray) -> bool:
    return len(values) < 2 or bool(np.all(values[1:] > values[:-1]))


def time_step(network: Network, step: Step, itemsize: int) -> StepTiming:
    """The time of every message of ``step`` on ``network`` (see the module docstring)."""
    n = network.ranks
    nbytes = step.length * itemsize
    reduced = np.where(step.action != Action.COPY, nbytes, 0)
    key = step.src * n + step.dst
    if _strictly_increasing(key):  # one transfer per pair, as ring and tree steps are built
        message_key, message_of = key, np.arange(len(key), dtype=np.int64)
        message_bytes, message_reduced = nbytes, reduced
    else:
        message_key, message_of = np.unique(key, return_inverse=True)
        message_bytes = np.zeros(len(message_key), dtype=np.int64)
        message_reduced = np.zeros(len(message_key), dtype=np.int64)
        np.add.at(message_bytes, message_of, nbytes)
        np.add.at(message_reduced, message_of, reduced)
    src, dst = np.divmod(message_key, n)
    gamma_term = network.gamma(dst) * message_reduced
    remote = np.flatnonzero(src != dst)
    hop_message, hop_link = network.route(src[remote], dst[remote])
    hop_message = remote[hop_message]
    hop_bytes = message_bytes[hop_message]
    if _strictly_increasing(hop_link):  # no two messages share a link
        link_ids, hop_load, link_load = hop_link, hop_bytes, hop_bytes
    else:
        link_ids, hop_index = np.unique(hop_link, return_inverse=True)
        link_load = np.zeros(len(link_ids), dtype=np.int64)
        np.add.at(link_load, hop_index, hop_bytes)
        hop_load = link_load[hop_index]
    time = gamma_term.astype(float)
    if len(hop_link):
        alpha, bandwidth = network.figures(hop_link)
        first_hop = np.flatnonzero(np.r_[True, hop_message[1:] != hop_message[:-1]])
        latency = np.add.reduceat(alpha, first_hop)
        bottleneck = np.maximum.reduceat(hop_load / bandwidth, first_hop)
        time[remote] = latency + bottleneck + gamma_term[remote]
    return StepTiming(
        duration=float(time.max()) if len(time) else 0.0, src=src, dst=dst,
        nbytes=message_bytes, reduced=message_reduced, time=time, message_of=message_of,
        link_ids=link_ids, link_load=link_load, hop_message=hop_message, hop_link=hop_link)


def advance_ranks(ready: np.ndarray, timing: StepTiming) -> np.ndarray:
    """Each rank's finishing time after ``timing``'s step, from ``ready`` (each rank's finishing
    time before it), under the dataflow rule above."""
    remote = np.flatnonzero(timing.remote | (timing.time > 0))
    if not len(remote):
        return ready
    src, dst = timing.src[remote], timing.dst[remote]
    end = np.maximum(ready[src], ready[dst]) + timing.time[remote]
    after = ready.copy()
    np.maximum.at(after, src, end)
    np.maximum.at(after, dst, end)
    return after


@dataclass(frozen=True)
class LinkUsage:
    """Bytes each link carried over a run, and its busy time (bytes / bandwidth)."""

    network: Network
    link_ids: np.ndarray  #: the links that carried bytes, sorted
    nbytes: np.ndarray  #: bytes each carried
    busy: np.ndarray  #: seconds each spent transmitting

    @property
    def names(self) -> list[str]:
        """``"2->3"`` for each link."""
        return [self.network.link_name(link) for link in self.link_ids.tolist()]

    def as_dict(self) -> dict[str, int]:
        """Link name -> bytes carried."""
        return dict(zip(self.names, self.nbytes.tolist(), strict=True))

    def busiest(self) -> tuple[str, int, float] | None:
        """(name, bytes, busy seconds) of the link busy longest; None when none carried any."""
        if not len(self.link_ids):
            return None
        top = int(np.argmax(self.busy))
        return (self.network.link_name(int(self.link_ids[top])), int(self.nbytes[top]),
                float(self.busy[top]))


def link_usage(network: Network, traffic: np.ndarray) -> LinkUsage:
    """Bytes per link from the N×N traffic matrix: each pair's bytes go over its route."""
    src, dst = np.nonzero(traffic)
    return pair_link_usage(network, src, dst, traffic[src, dst])


def pair_link_usage(network: Network, src: np.ndarray, dst: np.ndarray,
                    pair_bytes: np.ndarray) -> LinkUsage:
    """Bytes per link from the bytes each pair ``src[i] -> dst[i]`` exchanged (pairs with
    ``src != dst``): each pair's bytes go over its route."""
    hop_message, hop_link = network.route(src, dst)
    link_ids, hop_index = np.unique(hop_link, return_inverse=True)
    nbytes = np.zeros(len(link_ids), dtype=np.int64)
    np.add.at(nbytes, hop_index, np.asarray(pair_bytes, dtype=np.int64)[hop_message])
    _, bandwidth = network.figures(link_ids)
    return LinkUsage(network, link_ids, nbytes, nbytes / bandwidth)


def transfer_intervals(timing: StepTiming, step: Step, itemsize: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(start within the step, duration) of every transfer of ``step``: the transfers of one
    message share its time in proportion to their bytes, one after another in schedule order
    (equally when the message carries no bytes)."""
    message_of = timing.message_of
    if _strictly_increasing(message_of):  # one transfer per message
        return np.zeros(len(message_of)), timing.time[message_of].copy()
    nbytes = (step.length * itemsize).astype(float)
    starts, durations = np.zeros(len(message_of)), np.zeros(len(message_of))
    for message in np.unique(message_of).tolist():
        mine = np.flatnonzero(message_of == message)
        weight = nbytes[mine] if nbytes[mine].sum() > 0 else np.ones(len(mine))
        share = timing.time[message] * weight / weight.sum()
        durations[mine] = share
        starts[mine] = np.cumsum(share) - share
    return starts, durations


def format_seconds(seconds: float) -> str:
    """``1.5e-05`` -> ``15.000 µs``; ns, µs, ms or s."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3f} {unit}"
    return f"{seconds / 1e-9:.3f} ns"
