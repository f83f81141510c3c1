"""Per-rank pieces of the recursive halving and doubling algorithms: the fold in and out, a
halving pass, a doubling pass, a gather and a whole-buffer exchange.

Each is the per-rank mirror of the simulator's piece of the same name
(:mod:`collectives.sim.algorithms.halving_phases`), over the same index math
(:mod:`collectives.halving_doubling`), so every rank sends every peer the simulator's bytes.
Reductions keep the lower rank's data on the left, as the simulator's do (``peer_exchange`` takes
the order of each step instead); what arrives is received into the call's one scratch buffer and
reduced in place. The halving, doubling and exchange each have a ``peer_`` form that takes every
step's partner instead of the XOR partner (Swing's, :mod:`collectives.swing`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from collectives.fold import fold_partner, folded_rank, largest_power_of_two
from collectives.halving_doubling import (
    block_elements,
    doubling_ranges,
    gather_role,
    halving_ranges,
    home_unit,
    steps_of,
    survivor_rank,
)
from collectives.mpi.call import Call


def _span(offsets: np.ndarray, first_unit: int, units: int) -> slice:
    """The elements of ``units`` units from ``first_unit``."""
    start, length = block_elements(offsets, first_unit, units)
    return slice(int(start), int(start + length))


def fold_in(call: Call, length: int) -> int | None:
    """The fold: an even rank below 2·rem sends ``work[:length]`` to the odd rank above it,
    which reduces it in on the left. Returns this rank's newrank, None if it sat out."""
    partner = fold_partner(call.rank, call.size)
    if partner is not None:
        data = call.work[:length]
        if call.rank % 2 == 0:
            call.transport.send(data, partner)
        else:
            incoming = call.scratch(length)
            call.transport.recv(incoming, partner)
            call.op.reduce_into(data, incoming, operand_first=True)
    return folded_rank(call.rank, call.size)


def fold_out(call: Call, length: int, *, own_block: bool = False) -> None:
    """The unfold: an odd rank below 2·rem sends its even neighbour ``length`` elements, from 0
    or (``own_block``) the neighbour's own block, which it receives in place."""
    partner = fold_partner(call.rank, call.size)
    if partner is None:
        return
    even = call.rank - call.rank % 2
    start = even * length if own_block else 0
    piece = call.work[start:start + length]
    if call.rank % 2:
        call.transport.send(piece, partner)
    else:
        call.transport.recv(piece, partner)


def halving(call: Call, offsets: np.ndarray, order: str, newrank: int) -> None:
    """lg p steps of recursive halving over the p units bounded by ``offsets``: send the half
    not kept to the partner, receive its copy of the half kept and reduce it in."""
    pof2 = len(offsets) - 1
    home = home_unit(newrank, pof2, order)
    partners = [survivor_rank(home_unit(home ^ (pof2 >> (step + 1)), pof2, order), call.size)
                for step in range(steps_of(pof2))]
    peer_halving(call, offsets, home, partners)


def peer_halving(call: Call, offsets: np.ndarray, home: int, partners: list[int]) -> None:
    """Recursive halving with given partners (real ranks, one per step): at step t send the
    half of the aligned block held that does not hold ``home`` to ``partners[t]``, receive its
    copy of the half kept and reduce it in."""
    pof2 = len(offsets) - 1
    if pof2 == 1:
        return
    work = call.work
    first_kept, _, first_half = halving_ranges(home, 0, pof2)  # the largest range received
    incoming = call.scratch(int(block_elements(offsets, first_kept, first_half)[1]))
    for step, partner in enumerate(partners):
        kept, sent, half = halving_ranges(home, step, pof2)
        mine = work[_span(offsets, kept, half)]
        received = incoming[:len(mine)]
        call.transport.sendrecv(work[_span(offsets, sent, half)], partner, received, partner)
        call.op.reduce_into(mine, received, operand_first=partner < call.rank)


def doubling(call: Call, offsets: np.ndarray, order: str, newrank: int) -> None:
    """lg p steps of recursive doubling over the p units bounded by ``offsets``: send the
    aligned block held to the partner and receive its block in place."""
    pof2 = len(offsets) - 1
    home = home_unit(newrank, pof2, order)
    partners = [survivor_rank(home_unit(home ^ (1 << step), pof2, order), call.size)
                for step in range(steps_of(pof2))]
    peer_doubling(call, offsets, home, partners)


def peer_doubling(call: Call, offsets: np.ndarray, home: int, partners: list[int]) -> None:
    """Recursive doubling with given partners (real ranks, one per step): at step t send the
    aligned block of 2**t units around ``home`` to ``partners[t]`` and receive its block, the
    other half of the next aligned block, in place."""
    for step, partner in enumerate(partners):
        held, received, size = doubling_ranges(home, step)
        call.transport.sendrecv(call.work[_span(offsets, held, size)], partner,
                                call.work[_span(offsets, received, size)], partner)


def gather(call: Call, offsets: np.ndarray, home: int, target: int,
           rank_of_home: Callable[[int], int]) -> None:
    """lg p steps of binomial gather, in home space, to home ``target``: receive the partners'
    blocks in place until this rank's home differs from the target's in the step's bit, then
    send the aligned block held and stop. ``rank_of_home(h)`` is the rank playing home h."""
    for step in range(steps_of(len(offsets) - 1)):
        sends, receives = gather_role(home, target, step)
        held, received, size = doubling_ranges(home, step)
        partner = rank_of_home(home ^ size)
        if sends:
            call.transport.send(call.work[_span(offsets, held, size)], partner)
            return
        if receives:
            call.transport.recv(call.work[_span(offsets, received, size)], partner)


def exchange(call: Call, length: int, newrank: int) -> None:
    """lg p steps of whole-buffer recursive doubling: swap ``work[:length]`` with survivor
    ``newrank ^ 2**t`` and reduce its copy in, the lower rank's data on the left."""
    partners = [survivor_rank(newrank ^ (1 << step), call.size)
                for step in range(steps_of(largest_power_of_two(call.size)))]
    peer_exchange(call, length, partners, [partner < call.rank for partner in partners])


def peer_exchange(call: Call, length: int, partners: list[int],
                  partner_first: list[bool]) -> None:
    """Whole-buffer exchanges with given partners (real ranks, one per step): swap
    ``work[:length]`` with ``partners[t]`` and reduce its copy in, on the left where
    ``partner_first[t]``."""
    data = call.work[:length]
    incoming = call.scratch(length)
    for partner, first in zip(partners, partner_first, strict=True):
        call.transport.sendrecv(data, partner, incoming, partner)
        call.op.reduce_into(data, incoming, operand_first=first)
