"""Swing (De Sensi et al., NSDI 2024) on a power of two of ranks: peers, and the units each rank
holds at every step. Shared by the simulator and the MPI side.

**Peers.** At step s, rank r meets ``r + rho(s)`` if r is even, ``r - rho(s)`` if r is odd
(modulo p), with ``rho(s) = sum((-2)**i for i <= s) = 1, -1, 3, -5, 11, -21, ...``. rho(s) is
odd, so the peer of an even rank is odd and the pairing is its own inverse: every step is a
perfect matching. The distance ``|rho(s)| = (2**(s+1) - (-1)**(s+1)) / 3`` is about two thirds
of recursive doubling's 2**s, so on a ring the messages cross fewer links.

**Reach.** ``R(r, s)``, the ranks r reaches through steps s, s + 1, ..., L - 1 (L = lg p), is
``{r}`` for s = L and ``R(r, s + 1) ∪ R(peer(r, s), s + 1)`` below; the two halves are disjoint
and, for each s, the sets R(r, s) cut the ranks into 2**s groups of p >> s (the paper's
correctness argument; :func:`reach` lets a test check it).

**Homes.** The units (the count cut into p chunks) are renumbered so that every R(r, s) holds an
aligned range of p >> s *home units*: of the two halves of a group, the one holding the lower
rank gets the lower half of the range. Rank r's home ``home(r)`` is the unit it holds alone after
the reduce-scatter. The reduce-scatter is then recursive halving in home space with swing peers:
at step s a rank holds the aligned block of ``2·half`` units around its home (half =
p >> (s + 1)), keeps the half around its home and sends the other half, which is the block of
its peer's half of the group, so each step halves what is held
(:func:`collectives.halving_doubling.halving_ranges`). The all-gather runs the steps backwards,
s = L - 1, ..., 0: at its step t = L - 1 - s a rank sends the aligned block of 2**t units around
its home to ``peer(r, s)`` and receives the peer's, the other half of the next aligned block
(:func:`collectives.halving_doubling.doubling_ranges`).

**Latency form.** Whole buffers over the same peers, in the all-gather's order (s = L - 1 first):
after step s the ranks of each group R(r, s) hold the combination of that group's inputs. Run
the other way round (s = 0 first) the groups would not nest for p >= 8 and ranks would combine
the same inputs in different trees (other bits for floats); in this order the two partners merge
the same two groups, and putting the group with the lower home units on the left makes every
rank of the group compute the very same bits.

Worked example, p = 8: rho = 1, -1, 3. Peers at step 0: 0-1, 2-3, 4-5, 6-7; step 1: 0-7, 1-2,
3-4, 5-6; step 2: 0-3, 1-6, 2-5, 4-7. Groups after splitting: s = 1 {0, 3, 4, 7} {1, 2, 5, 6};
s = 2 {0, 3} {4, 7} {1, 6} {2, 5}. Homes of ranks 0..7: 0, 4, 6, 1, 2, 7, 5, 3. Rank 0 sends
units 4-7 to rank 1 at step 0, units 2-3 to rank 7 at step 1, unit 1 to rank 3 at step 2.

Cost of the functions: :func:`homes` builds the table of p homes once per p in L numpy passes
(cached); every other function is O(1) per rank. Every function takes ints or, elementwise,
numpy integer arrays of ranks.
"""

from __future__ import annotations

import functools
from typing import TypeVar

import numpy as np

from collectives.halving_doubling import steps_of

RankLike = TypeVar("RankLike", int, np.ndarray)


def _check_power_of_two(pof2: int) -> None:
    if pof2 < 1 or pof2 & (pof2 - 1):
        raise ValueError(f"expected a power of two of ranks, got {pof2}")


def rho(step: int) -> int:
    """``sum((-2)**i for i <= step)``: 1, -1, 3, -5, 11, -21, 43, ..."""
    if step < 0:
        raise ValueError(f"expected a step >= 0, got {step}")
    return (1 - (-2) ** (step + 1)) // 3


def peer(rank: RankLike, step: int, pof2: int) -> RankLike:
    """The rank ``rank`` meets at swing step ``step`` among ``pof2`` ranks: ``rank + rho(step)``
    if it is even, ``rank - rho(step)`` if it is odd, modulo ``pof2``."""
    distance = rho(step)
    if isinstance(rank, np.ndarray):
        return np.where(rank % 2 == 0, rank + distance, rank - distance) % pof2
    return (rank + distance if rank % 2 == 0 else rank - distance) % pof2


def reduce_scatter_peers(rank: RankLike, pof2: int) -> list[RankLike]:
    """The peers of the reduce-scatter's steps 0, 1, ..., L - 1."""
    return [peer(rank, step, pof2) for step in range(steps_of(pof2))]


def all_gather_peers(rank: RankLike, pof2: int) -> list[RankLike]:
    """The peers of the all-gather's (and the latency form's) steps: swing steps L - 1, ..., 0."""
    return reduce_scatter_peers(rank, pof2)[::-1]


@functools.lru_cache(maxsize=64)
def homes(pof2: int) -> np.ndarray:
    """``homes(p)[r]``: rank r's home unit (see the module docstring), read-only.

    Built from the last step down: ``lowest[r]`` is the lowest rank of R(r, s + 1); at step s the
    group's half whose lowest rank is the lower one takes the lower half of the group's range.
    """
    _check_power_of_two(pof2)
    ranks = np.arange(pof2, dtype=np.int64)
    lowest, home = ranks.copy(), np.zeros(pof2, dtype=np.int64)
    for step in reversed(range(steps_of(pof2))):
        theirs = lowest[peer(ranks, step, pof2)]
        home |= np.where(lowest < theirs, 0, pof2 >> (step + 1))
        lowest = np.minimum(lowest, theirs)
    home.setflags(write=False)
    return home


def home(rank: RankLike, pof2: int) -> RankLike:
    """The unit ``rank`` holds alone after the reduce-scatter."""
    table = homes(pof2)
    return table[rank] if isinstance(rank, np.ndarray) else int(table[rank])


def source_first(home_unit: RankLike, exchange_step: int) -> RankLike:
    """Latency form, its step ``exchange_step`` (swing step L - 1 - exchange_step): True where
    the sender's group, the aligned 2**exchange_step home units around ``home_unit``, is the
    lower one, so its data goes on the left at the receiver."""
    return (home_unit >> exchange_step) & 1 == 0


def reach(rank: int, step: int, pof2: int) -> frozenset[int]:
    """R(rank, step): the ranks ``rank`` reaches through swing steps step, ..., L - 1."""
    if step >= steps_of(pof2):
        return frozenset({rank})
    return reach(rank, step + 1, pof2) | reach(peer(rank, step, pof2), step + 1, pof2)
