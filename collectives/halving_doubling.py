"""Recursive halving and doubling on a power of two of ranks: partners, and the element ranges
each rank holds at every step. Shared by the simulator and the MPI side.

**Survivors.** For N not a power of two the fold of :mod:`collectives.fold` runs first: p is the
largest power of two <= N, ``rem = N - p``; among ranks ``0 .. 2·rem - 1`` each even rank hands its
data to the odd rank above it and sits out. The p survivors are the *newranks* ``0 .. p - 1``
(newrank i is rank ``2i + 1`` for i < rem, rank ``i + rem`` otherwise). L = lg p.

**Units.** The buffer is cut into p units, unit u being the elements ``[off[u], off[u + 1])``:

- all-reduce (Rabenseifner) and reduce (reduce-scatter + gather): the count cut by
  :func:`collectives.partition.chunk_offsets` into p chunks, the first ``count % p`` of them one
  element longer (MPICH's all-reduce cut; MPICH's reduce gives the whole remainder to the last
  chunk instead, one cut serves both here);
- reduce-scatter: unit i is the blocks of the ranks newrank i stands for, blocks 2i and 2i + 1
  for i < rem, block i + rem otherwise (:func:`group_offsets`), so the units are contiguous and
  in rank order;
- all-gather by recursive doubling (N = p, no fold): unit i is block i.

**Home units.** Newrank i ends the halving holding one unit alone, its home ``h = home_unit(i)``:
``i`` itself in the natural order (reduce-scatter, all-gather), or ``i``'s L bits reversed in the
reversed order (MPICH's all-reduce and reduce, whose first step pairs i with ``i ^ 1``). The
reversal is its own inverse, so home and newrank convert with the same function. Partners are
found in home space: the partner at a step is the newrank whose home differs in one bit.

**Halving** (reduce-scatter), step t = 0 .. L - 1, ``half = p >> (t + 1)`` units: a rank holds the
aligned block of ``2·half`` units around its home; it keeps ``[h // half · half, + half)`` and
sends the other half, ``[(h // half ^ 1) · half, + half)``, to the newrank whose home is
``h ^ half``, which reduces it into its copy. In natural order that partner is ``i ^ half`` (the
distance falls p/2, ..., 1), in reversed order ``i ^ 2**t`` (it rises 1, ..., p/2). A rank sends
``count - c[h]`` elements in all (everything but its home unit).

**Doubling** (all-gather), step t = 0 .. L - 1, ``size = 1 << t`` units: a rank holds the aligned
block ``[h // size · size, + size)`` around its home, sends it to the newrank whose home is
``h ^ size`` and receives that newrank's block, the other half of the next aligned block.

**Gather** to the newrank whose home is ``target`` (binomial in home space), step t as in
doubling: with ``v = h ^ target``, the ranks whose v has lowest set bit t send their block of
``size`` units to home ``h ^ size`` and are done; the ranks whose v has lower bits set have
already sent; the others (v a multiple of ``2·size``) receive. After L steps the target holds all.

Worked example, N = 6 (p = 4, rem = 2), all-reduce of count 10, reversed order. Units (chunks):
u0 = [0, 3), u1 = [3, 6), u2 = [6, 8), u3 = [8, 10). Survivors: newranks 0, 1, 2, 3 are ranks 1,
3, 4, 5, with homes 0, 2, 1, 3.

====================  ===============================  ===============================
step                  rank 1 (home 0) / rank 3 (2)     rank 4 (home 1) / rank 5 (3)
====================  ===============================  ===============================
fold                  gets [0, 10) from rank 0 / 2     (not in the fold)
halving 0, half 2     1 keeps [0, 6), sends [6, 10)    4 keeps [0, 6), sends [6, 10)
                      to 3; 3 keeps [6, 10), sends     to 5; 5 keeps [6, 10), sends
                      [0, 6) to 1                      [0, 6) to 4
halving 1, half 1     1 keeps [0, 3), sends [3, 6)     4 keeps [3, 6), sends [0, 3) to 1;
                      to 4; 3 keeps [6, 8), sends      5 keeps [8, 10), sends [6, 8)
                      [8, 10) to 5                     to 3
doubling 0, size 1    1 sends [0, 3) to 4; 3 sends     4 sends [3, 6) to 1; 5 sends
                      [6, 8) to 5                      [8, 10) to 3
doubling 1, size 2    1 sends [0, 6) to 3; 3 sends     4 sends [0, 6) to 5; 5 sends
                      [6, 10) to 1                     [6, 10) to 4
unfold                sends [0, 10) to rank 0 / 2      (not in the fold)
====================  ===============================  ===============================

Rank 1 sends 7 + 9 + 10 = 26 elements, rank 3 8 + 6 + 10 = 24, rank 4 16, rank 5 14, ranks 0
and 2 10 each. Every function takes ints or, elementwise, numpy integer arrays.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from collectives.fold import folded_rank, largest_power_of_two

RankLike = TypeVar("RankLike", int, np.ndarray)

NATURAL = "natural"
REVERSED = "reversed"


def steps_of(pof2: int) -> int:
    """L = lg ``pof2``: the steps of one halving or doubling pass."""
    return pof2.bit_length() - 1


def home_unit(newrank: RankLike, pof2: int, order: str) -> RankLike:
    """The unit ``newrank`` holds alone after the halving; also the newrank whose home is the
    unit ``newrank`` (the map is its own inverse)."""
    if order == NATURAL:
        return newrank
    if order != REVERSED:
        raise ValueError(f"expected order {NATURAL!r} or {REVERSED!r}, got {order!r}")
    result = newrank * 0
    for bit in range(steps_of(pof2)):
        result = result | (((newrank >> bit) & 1) << (steps_of(pof2) - 1 - bit))
    return result


def survivor_rank(newrank: RankLike, size: int) -> RankLike:
    """The real rank of survivor ``newrank`` (:func:`collectives.fold.unfolded_rank`,
    elementwise)."""
    rem = size - largest_power_of_two(size)
    if isinstance(newrank, np.ndarray):
        return np.where(newrank < rem, 2 * newrank + 1, newrank + rem)
    return 2 * newrank + 1 if newrank < rem else newrank + rem


def halving_ranges(home: RankLike, step: int, pof2: int) -> tuple[RankLike, RankLike, int]:
    """Halving step ``step``: (first unit kept, first unit sent, units in each half). The
    partner's home is ``home ^ half``."""
    half = pof2 >> (step + 1)
    block = home // half
    return block * half, (block ^ 1) * half, half


def doubling_ranges(home: RankLike, step: int) -> tuple[RankLike, RankLike, int]:
    """Doubling (or gather) step ``step``: (first unit held and sent, first unit received,
    units in each). The partner's home is ``home ^ size``."""
    size = 1 << step
    block = home // size
    return block * size, (block ^ 1) * size, size


def gather_role(home: RankLike, target: int, step: int) -> tuple[RankLike, RankLike]:
    """Gather to home ``target``, step ``step``: (sends now, receives now) for ``home``."""
    v = home ^ target
    low = v & ((2 << step) - 1)  # v's bits up to and including bit ``step``
    return low == (1 << step), low == 0


def gather_target(root: int, size: int, order: str) -> tuple[int, int | None]:
    """Where a reduce's gather collects: (the home it collects at, the survivor that first hands
    the root that home's unit, or None when the root is a survivor).

    A root that sat out of the fold takes over newrank 0's home after newrank 0 has sent it its
    home unit (one more step of one unit; MPICH's way); newrank 0 then sits out the gather.
    """
    pof2 = largest_power_of_two(size)
    newroot = folded_rank(root, size)
    if newroot is None:
        return home_unit(0, pof2, order), survivor_rank(0, size)
    return home_unit(newroot, pof2, order), None


def group_offsets(size: int, count: int) -> np.ndarray:
    """Element boundaries of the p reduce-scatter units of N blocks of ``count`` elements:
    newrank i's unit is blocks 2i, 2i + 1 for i < rem, block i + rem otherwise."""
    pof2 = largest_power_of_two(size)
    first_blocks = survivor_rank(np.arange(pof2, dtype=np.int64), size)
    first_blocks = np.where(first_blocks < 2 * (size - pof2), first_blocks - 1, first_blocks)
    return np.append(first_blocks, size).astype(np.int64) * count


def block_elements(offsets: np.ndarray, first_unit: RankLike, units: int) -> tuple[
        RankLike, RankLike]:
    """(start, length) in elements of ``units`` units from ``first_unit``."""
    start = offsets[first_unit]
    return start, offsets[first_unit + units] - start
