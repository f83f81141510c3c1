"""Flow time: a schedule's messages as flows that share links while they overlap in time.

The step model (:mod:`collectives.sim.timing`) shares a link among the messages of one step,
whether or not they really overlap, and never among messages of different steps. On a real
network a message shares a link with whatever crosses it at the same moment, and a sender is
often free before its data has arrived. This model takes the same messages (the same routes,
latencies, bandwidths and reductions) and runs them as an event simulation:

- **Order.** Every rank does its messages round by round, a round being a step and the steps
  after it that are ``posted_with_previous``. A message of round k starts when both of its
  ranks are done with their messages of the rounds before k (the dataflow rule of
  :func:`collectives.sim.timing.advance_ranks`, over rounds; a receive is posted before its
  data moves, as in a rendezvous protocol).
- **Latency.** A message's bytes start to flow ``Σ alpha`` (its route's latency) after it
  starts.
- **Sharing.** The flowing messages share every link max-min fairly (progressive filling: each
  link's bandwidth is split equally among the flows it bottlenecks, and what a flow limited
  elsewhere cannot use goes to the others), recomputed whenever a flow starts or ends; this is
  the share TCP flows reach over a common link.
- **Send buffer.** A sender is done with a message once at most ``send_buffer`` of its bytes are
  still to cross (an operating system's socket buffer holds them), so it goes on to its next
  message while those drain; 0 means a send ends when its data has arrived.
- **Reduction.** The receiver is done ``gamma · r`` after the last byte arrived, r its reduced
  bytes. A transfer within a rank costs only that reduction.

With ``send_buffer = 0``, no reduction cost, every round one step, and messages that never
overlap on a link, every message takes what the step model gives it, and the flow time equals the
dataflow time (tests/test_flow_time.py holds every algorithm to that on direct links).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from collectives.errors import CollectivesError, InvalidInputError
from collectives.sim.network import Network
from collectives.sim.timing import StepTiming

if TYPE_CHECKING:
    from collectives.sim.result import StepRecord

_EPSILON_BYTES = 1e-6  # a flow with fewer bytes left than this has arrived
_EPSILON_SECONDS = 1e-12  # or with what it would carry in this long: the clock's rounding
_FLOW, _ARRIVED = 0, 1  # events: a message's bytes start to flow; its receiver is done


@dataclass
class _Message:
    round: int  #: the round it belongs to
    src: int
    dst: int
    nbytes: float
    latency: float  #: seconds before its bytes flow
    reduction: float  #: seconds the receiver takes to reduce it
    links: tuple[int, ...]
    remaining: float = 0.0
    sender_done: bool = False


@dataclass(frozen=True)
class FlowResult:
    """When each rank finished, and the run's time (the last rank's)."""

    time: float
    finish: np.ndarray  #: per rank, seconds


def max_min_rates(flows: list[tuple[int, ...]], capacity: dict[int, float]) -> list[float]:
    """Max-min fair rates of flows crossing the given links (progressive filling): repeatedly
    the link whose equal share among its unfixed flows is smallest fixes those flows at it."""
    rates = [0.0] * len(flows)
    left = dict(capacity)
    users: dict[int, set[int]] = defaultdict(set)
    for index, links in enumerate(flows):
        for link in links:
            users[link].add(index)
    unfixed = {index for index, links in enumerate(flows) if links}
    while unfixed:
        link, share = min(((link, left[link] / len(members)) for link, members in users.items()
                           if members), key=lambda item: item[1])
        for index in list(users[link]):
            rates[index] = share
            unfixed.discard(index)
            for other in flows[index]:
                users[other].discard(index)
                left[other] -= share
        left[link] = 0.0
    return rates


def flow_time(network: Network, records: Sequence[StepRecord], *,
              send_buffer: float = 0.0) -> FlowResult:
    """The :class:`FlowResult` of a run's steps on ``network`` (see the module docstring); the
    records must keep their transfers and timing (a run with a network and
    ``keep_transfers=True``)."""
    if send_buffer < 0:
        raise InvalidInputError(f"expected a send buffer of at least 0 bytes, got {send_buffer}")
    messages: list[_Message] = []
    round_index = -1
    for record in records:
        if record.timing is None or record.transfers is None:
            raise CollectivesError(f"expected steps kept with their timing (a run on a network "
                                   f"with keep_transfers=True), got step {record.index} without")
        if round_index < 0 or not record.transfers.posted_with_previous:
            round_index += 1
        messages += _messages(network, record.timing, round_index)
    bandwidth: dict[int, float] = {}
    every_link = sorted({link for message in messages for link in message.links})
    if every_link:
        _, rates = network.figures(np.array(every_link, dtype=np.int64))
        bandwidth = dict(zip(every_link, rates.tolist(), strict=True))
    return _EventRun(network.ranks, messages, bandwidth, float(send_buffer)).run()


def _messages(network: Network, timing: StepTiming, round_index: int) -> list[_Message]:
    """The messages of one step, each with its route, latency and reduction time."""
    gamma = network.gamma(timing.dst) * timing.reduced
    hops_of: dict[int, list[int]] = defaultdict(list)
    for message, link in zip(timing.hop_message.tolist(), timing.hop_link.tolist(), strict=True):
        hops_of[message].append(link)
    messages = []
    for index in range(len(timing.src)):
        links = tuple(hops_of.get(index, ()))
        if not links and gamma[index] == 0:
            continue
        alpha, _ = network.figures(np.array(links, dtype=np.int64))
        messages.append(_Message(round_index, int(timing.src[index]), int(timing.dst[index]),
                                 float(timing.nbytes[index]) if links else 0.0,
                                 float(alpha.sum()), float(gamma[index]), links))
    return messages


class _EventRun:
    """The event simulation of messages (see the module docstring): each rank's place in its
    rounds, the queue of events and the messages flowing with their max-min rates."""

    def __init__(self, n: int, messages: list[_Message], bandwidth: dict[int, float],
                 send_buffer: float) -> None:
        self.messages, self.bandwidth, self.send_buffer = messages, bandwidth, send_buffer
        # per rank: its open messages per round, and where it is in its rounds
        self.todo: list[dict[int, int]] = [defaultdict(int) for _ in range(n)]
        self.waiting_on: dict[tuple[int, int], list[int]] = defaultdict(list)  # (rank, round)
        for index, message in enumerate(messages):
            ends = {message.src, message.dst}
            for rank in ends:
                self.todo[rank][message.round] += 1
            for rank in ends:
                self.waiting_on[rank, message.round].append(index)
        self.rounds_of = [sorted(rounds) for rounds in self.todo]
        self.position = [0] * n  # index into rounds_of[rank] of the round the rank is at
        self.finish = np.zeros(n)
        self.events: list[tuple[float, int, int, int]] = []  # (time, order, kind, message)
        self.order = 0
        self.flowing: list[int] = []
        self.rates: list[float] = []  # of the flowing messages, in their order
        self.started = [False] * len(messages)
        self.now = 0.0

    def run(self) -> FlowResult:
        """Every message from the first rounds' to the last event; when each rank finished."""
        for rank in range(len(self.position)):
            self._try_start(rank, 0.0)
        while self.events or self.flowing:
            self._flow_until(self._horizon())
            changed = self._settle_flows()
            changed = self._pop_events() or changed
            if changed or len(self.rates) != len(self.flowing):
                self.rates = max_min_rates(
                    [self.messages[index].links for index in self.flowing], self.bandwidth)
        return FlowResult(float(self.finish.max(initial=0.0)), self.finish)

    # -- the ranks' rounds ----------------------------------------------------------------------

    def _current_round(self, rank: int) -> float:
        rounds = self.rounds_of[rank]
        at = self.position[rank]
        return rounds[at] if at < len(rounds) else float("inf")

    def _push(self, time: float, kind: int, index: int) -> None:
        heapq.heappush(self.events, (time, self.order, kind, index))
        self.order += 1

    def _try_start(self, rank: int, now: float) -> None:
        """Start the messages of ``rank``'s current round whose other rank is there too."""
        at = self._current_round(rank)
        if at == float("inf"):
            return
        for index in self.waiting_on[rank, int(at)]:
            message = self.messages[index]
            if not self.started[index] and self._current_round(message.src) >= message.round \
                    and self._current_round(message.dst) >= message.round:
                self.started[index] = True
                self._push(now + message.latency, _FLOW if message.links else _ARRIVED, index)

    def _done(self, rank: int, round_index: int, now: float) -> None:
        """``rank`` is done with one message of ``round_index``; move it on if it was the last."""
        todo, rounds, position = self.todo[rank], self.rounds_of[rank], self.position
        todo[round_index] -= 1
        self.finish[rank] = max(self.finish[rank], now)
        if todo[round_index] == 0 and self._current_round(rank) == round_index:
            while position[rank] < len(rounds) and todo[rounds[position[rank]]] == 0:
                position[rank] += 1
            self._try_start(rank, now)

    # -- the clock --------------------------------------------------------------------------------

    def _horizon(self) -> float:
        """The next moment something changes: an event, or a flow reaching 0 or the buffer."""
        horizon = self.events[0][0] if self.events else float("inf")
        for slot, index in enumerate(self.flowing):
            message, rate = self.messages[index], self.rates[slot]
            if rate <= 0:
                continue
            target = self.send_buffer if not message.sender_done and \
                message.remaining > self.send_buffer else 0.0
            horizon = min(horizon, self.now + (message.remaining - target) / rate)
        return horizon

    def _flow_until(self, horizon: float) -> None:
        elapsed = horizon - self.now
        for slot, index in enumerate(self.flowing):
            self.messages[index].remaining -= self.rates[slot] * elapsed
        self.now = horizon

    def _settle_flows(self) -> bool:
        """Senders down to their buffer are done, flows down to 0 arrive; whether any did."""
        changed = False
        for slot, index in enumerate(list(self.flowing)):
            message = self.messages[index]
            # what is left to within a rounding of the clock counts as reached
            slack = _EPSILON_BYTES + self.rates[slot] * _EPSILON_SECONDS
            if not message.sender_done and message.remaining <= self.send_buffer + slack:
                message.sender_done = True
                self._done(message.src, message.round, self.now)
            if message.remaining <= slack:
                self.flowing.remove(index)
                changed = True
                self._push(self.now + message.reduction, _ARRIVED, index)
        return changed

    def _pop_events(self) -> bool:
        """Handle the events due by now; whether a flow started."""
        changed = False
        while self.events and self.events[0][0] <= self.now:
            _, _, kind, index = heapq.heappop(self.events)
            message = self.messages[index]
            if kind == _FLOW:
                message.remaining = message.nbytes
                self.flowing.append(index)
                changed = True
                if message.nbytes <= self.send_buffer:
                    message.sender_done = True
                    self._done(message.src, message.round, self.now)
            else:  # arrived and reduced (its sender was done by then), or a local reduction
                self._done(message.dst, message.round, self.now)
        return changed
