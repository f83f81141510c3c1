"""Schedule pieces that several algorithms are built from: ring passes and binomial trees."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from collectives.ring import ring_chunk, ring_next
from collectives.sim.schedule import Action, Step, Transfer
from collectives.tree import (
    absolute_block_runs,
    binomial_down_round,
    binomial_rounds,
    binomial_subtree,
    binomial_up_round,
    to_absolute,
)


def ring_pass(offsets: np.ndarray, ranks: int, shift: int, action: Action,
              label: str) -> Iterator[Step]:
    """N - 1 steps; at step s every rank r sends chunk ``(r - s + shift) mod N`` to ``r + 1``.

    ``offsets`` are the N + 1 chunk boundaries in the working buffer. Rank r's chunk is rank
    0's plus r (mod N), so each step's chunks, starts and lengths are a window of N entries of
    those columns laid out twice, and no step computes a modulo (N steps of N ranks).
    """
    rank = np.arange(ranks, dtype=np.int64)
    right = ring_next(rank, ranks)
    twice = np.concatenate([rank, rank])
    starts, lengths = offsets[:-1][twice], np.diff(offsets)[twice]
    for step in range(ranks - 1):
        first = ring_chunk(0, step, ranks, shift)  # rank 0's chunk
        window = slice(first, first + ranks)
        yield Step(src=rank, dst=right, src_start=starts[window], dst_start=starts[window],
                   length=lengths[window], action=action, chunk=twice[window],
                   label=f"{label} {step}")


def rings_pass(rings: np.ndarray, starts: np.ndarray, lengths: np.ndarray, shift: int,
               action: Action, label: str) -> Iterator[Step]:
    """L - 1 steps of R disjoint rings at once (the rows of ``rings``, R x L ranks in ring
    order); at step s the rank at position i of every ring sends chunk ``(i - s + shift) mod L``
    of its ring to position i + 1. ``starts`` and ``lengths`` (R x L x P) are the P pieces of
    each ring's chunks in the working buffer: a chunk made of P ranges travels as P transfers to
    the same peer, one message."""
    size = rings.shape[1]
    position = np.arange(size, dtype=np.int64)
    src = np.broadcast_to(rings[:, :, None], starts.shape)
    dst = np.broadcast_to(rings[:, ring_next(position, size), None], starts.shape)
    order = np.argsort(src.reshape(-1), kind="stable")  # by sender: the engine's fast path
    for step in range(size - 1):
        chunk = ring_chunk(position, step, size, shift)
        start = starts[:, chunk, :].reshape(-1)[order]
        yield Step(src=src.reshape(-1)[order], dst=dst.reshape(-1)[order], src_start=start,
                   dst_start=start, length=lengths[:, chunk, :].reshape(-1)[order],
                   action=action,
                   chunk=np.broadcast_to(chunk[None, :, None], starts.shape).reshape(-1)[order],
                   label=f"{label} {step}")


def block_offsets(ranks: int, count: int) -> np.ndarray:
    """Boundaries of N equal blocks of ``count`` elements."""
    return np.arange(ranks + 1, dtype=np.int64) * count


def tree_broadcast(ranks: int, root: int, length: int, label: str) -> Iterator[Step]:
    """Binomial broadcast of elements ``[0, length)`` from ``root``: ceil(lg N) steps."""
    for round_index in range(binomial_rounds(ranks)):
        senders, receivers = binomial_down_round(round_index, ranks)
        yield Step(src=to_absolute(senders, root, ranks), dst=to_absolute(receivers, root, ranks),
                   src_start=0, dst_start=0, length=length, label=f"{label} {round_index}")


def tree_reduce(ranks: int, root: int, length: int, label: str) -> Iterator[Step]:
    """Binomial reduce of elements ``[0, length)`` to ``root``: ceil(lg N) steps.

    Each parent keeps its own data on the left (``Action.REDUCE``); with root 0 the result is
    in rank order, correct for non-commutative ops.
    """
    for round_index in range(binomial_rounds(ranks)):
        senders, receivers = binomial_up_round(round_index, ranks)
        yield Step(src=to_absolute(senders, root, ranks), dst=to_absolute(receivers, root, ranks),
                   src_start=0, dst_start=0, length=length, action=Action.REDUCE,
                   label=f"{label} {round_index}")


def _subtree_transfers(parent: int, child: int, ranks: int, root: int, count: int,
                       downward: bool) -> list[Transfer]:
    """The blocks of ``child``'s subtree moving between it and ``parent`` (vranks)."""
    src, dst = (parent, child) if downward else (child, parent)
    src, dst = to_absolute(src, root, ranks), to_absolute(dst, root, ranks)
    return [Transfer(src, dst, first * count, first * count, blocks * count, chunk=first)
            for first, blocks in absolute_block_runs(*binomial_subtree(child, ranks), root, ranks)]


def _tree_blocks(ranks: int, root: int, count: int, label: str,
                 downward: bool) -> Iterator[Step]:
    """Each round of the binomial tree moves the blocks of each child's subtree between the
    child and its parent: down (parent to child) or up (child to parent)."""
    round_pairs = binomial_down_round if downward else binomial_up_round
    for round_index in range(binomial_rounds(ranks)):
        senders, receivers = round_pairs(round_index, ranks)
        parents, children = (senders, receivers) if downward else (receivers, senders)
        yield Step.from_transfers(
            [t for parent, child in zip(parents, children, strict=True)
             for t in _subtree_transfers(int(parent), int(child), ranks, root, count, downward)],
            label=f"{label} {round_index}")


def tree_scatter(ranks: int, root: int, count: int, label: str) -> Iterator[Step]:
    """Binomial scatter of N blocks of ``count`` elements: each parent sends a child the blocks
    of the child's subtree."""
    yield from _tree_blocks(ranks, root, count, label, downward=True)


def tree_gather(ranks: int, root: int, count: int, label: str) -> Iterator[Step]:
    """Binomial gather: each child sends its parent the blocks of its own subtree."""
    yield from _tree_blocks(ranks, root, count, label, downward=False)
