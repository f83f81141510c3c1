"""Schedule pieces of the recursive halving and doubling algorithms: the fold in and out, a
halving pass, a doubling pass, a gather and a whole-buffer exchange, over the index math of
:mod:`collectives.halving_doubling` (which says what every rank holds at every step).

The halving, doubling and exchange passes each have a ``peer_`` form that takes every step's
partners instead of the XOR partners (Swing's, :mod:`collectives.swing`). Every reduction keeps
the lower rank's data on the left (``REDUCE_SOURCE_FIRST`` when the source is the lower rank), so
the partners of a whole-buffer exchange compute the very same bits; ``peer_exchange_pass`` takes
the order of each step instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.fold import largest_power_of_two
from collectives.halving_doubling import (
    block_elements,
    doubling_ranges,
    gather_role,
    halving_ranges,
    home_unit,
    steps_of,
    survivor_rank,
)
from collectives.sim.schedule import Action, Step


def _lower_on_left(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The reducing action that puts the lower rank's data on the left."""
    return np.where(src < dst, Action.REDUCE_SOURCE_FIRST, Action.REDUCE)


def fold_in(ranks: int, length: int, label: str = "fold") -> Iterator[Step]:
    """One step when N is not a power of two: each even rank below 2·rem sends elements
    ``[0, length)`` to the odd rank above it, which reduces them in on the left."""
    rem = ranks - largest_power_of_two(ranks)
    if rem:
        evens = np.arange(0, 2 * rem, 2, dtype=np.int64)
        yield Step(src=evens, dst=evens + 1, src_start=0, dst_start=0, length=length,
                   action=Action.REDUCE_SOURCE_FIRST, label=label)


def fold_out(ranks: int, length: int, *, own_block: bool = False,
             label: str = "unfold") -> Iterator[Step]:
    """One step when N is not a power of two: each odd rank below 2·rem sends its even
    neighbour ``length`` elements, from 0, or (``own_block``) the neighbour's own block."""
    rem = ranks - largest_power_of_two(ranks)
    if rem:
        evens = np.arange(0, 2 * rem, 2, dtype=np.int64)
        start = evens * length if own_block else 0
        yield Step(src=evens + 1, dst=evens, src_start=start, dst_start=start, length=length,
                   label=label)


def rank_of_home(ranks: int, pof2: int, order: str) -> np.ndarray:
    """``rank_of_home[h]``: the real rank of the survivor whose home unit is h."""
    homes = np.arange(pof2, dtype=np.int64)
    return survivor_rank(home_unit(homes, pof2, order), ranks)


def halving_pass(ranks: int, offsets: np.ndarray, order: str, label: str) -> Iterator[Step]:
    """lg p steps of recursive halving over the p units bounded by ``offsets``: each survivor
    sends the half it does not keep to its partner, which reduces it in."""
    pof2 = len(offsets) - 1
    homes = np.arange(pof2, dtype=np.int64)
    partners = [homes ^ (pof2 >> (step + 1)) for step in range(steps_of(pof2))]
    yield from peer_halving_pass(rank_of_home(ranks, pof2, order), homes, partners, offsets,
                                 label)


def peer_halving_pass(real: np.ndarray, homes: np.ndarray, partners: list[np.ndarray],
                      offsets: np.ndarray, label: str) -> Iterator[Step]:
    """Recursive halving with given partners: survivor i (rank ``real[i]``, home unit
    ``homes[i]``) sends, at step t, the half it does not keep to survivor ``partners[t][i]``,
    which reduces it in. The partner must hold the same aligned block, its home in the half
    sent."""
    pof2 = len(offsets) - 1
    for step, partner in enumerate(partners):
        _, sent, half = halving_ranges(homes, step, pof2)
        start, length = block_elements(offsets, sent, half)
        dst = real[partner]
        yield Step(src=real, dst=dst, src_start=start, dst_start=start, length=length,
                   action=_lower_on_left(real, dst), chunk=sent, label=f"{label} {step}")


def doubling_pass(ranks: int, offsets: np.ndarray, order: str, label: str) -> Iterator[Step]:
    """lg p steps of recursive doubling over the p units bounded by ``offsets``: each survivor
    sends the aligned block it holds to its partner and receives the partner's."""
    pof2 = len(offsets) - 1
    homes = np.arange(pof2, dtype=np.int64)
    partners = [homes ^ (1 << step) for step in range(steps_of(pof2))]
    yield from peer_doubling_pass(rank_of_home(ranks, pof2, order), homes, partners, offsets,
                                  label)


def peer_doubling_pass(real: np.ndarray, homes: np.ndarray, partners: list[np.ndarray],
                       offsets: np.ndarray, label: str) -> Iterator[Step]:
    """Recursive doubling with given partners: survivor i (rank ``real[i]``, home unit
    ``homes[i]``) sends, at step t, the aligned block of 2**t units it holds to survivor
    ``partners[t][i]``, whose home lies in the other half of the next aligned block."""
    for step, partner in enumerate(partners):
        held, _, size = doubling_ranges(homes, step)
        start, length = block_elements(offsets, held, size)
        yield Step(src=real, dst=real[partner], src_start=start, dst_start=start,
                   length=length, chunk=held, label=f"{label} {step}")


def gather_pass(real: np.ndarray, offsets: np.ndarray, target: int,
                label: str) -> Iterator[Step]:
    """lg p steps of binomial gather, in home space, to home ``target``: at step t the ranks
    whose home differs from it first in bit t send their block of 2**t units and are done.
    ``real[h]`` is the real rank playing home h."""
    pof2 = len(offsets) - 1
    homes = np.arange(pof2, dtype=np.int64)
    for step in range(steps_of(pof2)):
        sends, _ = gather_role(homes, target, step)
        senders = homes[sends]
        held, _, size = doubling_ranges(senders, step)
        start, length = block_elements(offsets, held, size)
        yield Step(src=real[senders], dst=real[senders ^ size], src_start=start,
                   dst_start=start, length=length, chunk=held, label=f"{label} {step}")


def exchange_pass(ranks: int, length: int, label: str) -> Iterator[Step]:
    """lg p steps of whole-buffer recursive doubling: at step t survivor i and survivor
    ``i ^ 2**t`` swap elements ``[0, length)`` and each reduces the other's in, lower rank's data
    on the left."""
    pof2 = largest_power_of_two(ranks)
    newranks = np.arange(pof2, dtype=np.int64)
    real = survivor_rank(newranks, ranks)
    partners = [newranks ^ (1 << step) for step in range(steps_of(pof2))]
    lower = [real < real[partner] for partner in partners]
    yield from peer_exchange_pass(real, partners, lower, length, label)


def peer_exchange_pass(real: np.ndarray, partners: list[np.ndarray],
                       source_first: list[np.ndarray], length: int,
                       label: str) -> Iterator[Step]:
    """Whole-buffer exchanges with given partners: at step t survivor i (rank ``real[i]``) and
    survivor ``partners[t][i]`` swap elements ``[0, length)`` and each reduces the other's in,
    the sender's data on the left where ``source_first[t][i]``. Both partners compute the same
    bits when the masks of the two ends of a pair differ."""
    for step, (partner, first) in enumerate(zip(partners, source_first, strict=True)):
        action = np.where(first, Action.REDUCE_SOURCE_FIRST, Action.REDUCE)
        yield Step(src=real, dst=real[partner], src_start=0, dst_start=0, length=length,
                   action=action, label=f"{label} {step}")
