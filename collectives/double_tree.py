"""NCCL's double binary tree, and the rounds and colours that schedule it in the step model.

**The trees.** NCCL's binary tree on positions ``0..M-1`` (``ncclGetBtree``) is an in-order tree:
the parent of ``p > 0`` with lowest set bit ``b`` is ``(p ^ b) | (b << 1)``, or ``p ^ b`` when
that is out of range; position 0 is the root and has one child. Odd positions are its leaves.
Two trees share the work so that every rank is a leaf in at least one of them:

- N even (NCCL's construction): tree 0 is that tree on the N ranks (inner nodes: the even ranks),
  tree 1 its mirror image ``r -> N - 1 - r`` (inner nodes: the odd ranks). Every inner node but
  the two roots has two children; each root has one.
- N odd: NCCL shifts tree 0 by one rank for tree 1, which leaves rank 0 an inner node of both.
  Here tree 0 is NCCL's tree on N + 1 positions without its root, position p being rank p - 1
  (inner nodes: the odd ranks; a full binary tree, every inner node has two children), and tree
  1 is tree 0 shifted by one rank, ``r -> r + 1 mod N`` (NCCL's shift; inner nodes: the even ranks
  from 2 up). Rank 0 is a leaf of both.

Both trees have the same shape, so the same depth ``D``: ``ceil(lg N)`` for even N, and
``ceil(lg(N + 1)) - 1`` for odd N (0 for N = 1).

**Colours.** In the step model a rank sends one message and receives one per step. Each round of
the schedule has two steps, colour 0 and colour 1. The edge from rank x up to its parent has
colour ``c[x]`` in tree 0 and ``1 - c[x]`` in tree 1, so x's two upward messages never share a
step; two children of one parent (siblings) get different colours, so a parent never receives
twice in a step, and in the downward direction never sends twice in a step, while a child's two
parents (one per tree) send to it in different steps. The siblings form a graph in which each rank
has at most one sibling per tree, so its cycles alternate between the trees, have even length,
and two colours suffice (:func:`edge_colours` walks it). Both colours occur at every depth: below
depth 1 every depth holds a pair of siblings; at depth 1 (the roots' children) the colouring is
started so that, for even N, the two roots' only children get the same ``c`` and so the two
edges up to the roots different colours.

**Rounds.** Half h of the buffer travels in tree h, cut into S segments. Upward (reduce), in round
t a rank at depth d sends segment ``t - (D - d)`` of its half up, after its children sent it in
round t - 1; downward (broadcast), in round t a rank at depth d sends segment ``t - d`` to its
children. Each direction takes ``S + D - 1`` rounds of two steps, all of them busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from collectives.partition import chunk_offsets

TREES = (0, 1)


@dataclass(frozen=True)
class BinaryTree:
    """One tree over ranks ``0..N-1``: ``parent[r]`` (-1 at the root), ``children[r]`` in rank
    order, ``depth[r]`` (0 at the root)."""

    root: int
    parent: tuple[int, ...]
    children: tuple[tuple[int, ...], ...]
    depth: tuple[int, ...]

    @property
    def inner(self) -> frozenset[int]:
        """The ranks with children."""
        return frozenset(r for r, kids in enumerate(self.children) if kids)


def _nccl_parents(positions: int) -> list[int]:
    """NCCL's in-order binary tree on ``positions`` positions: each one's parent, -1 at 0."""
    parent = [-1] * positions
    for p in range(1, positions):
        bit = p & -p
        up = (p ^ bit) | (bit << 1)
        parent[p] = up if up < positions else p ^ bit
    return parent


def _tree(parent: list[int]) -> BinaryTree:
    size = len(parent)
    children: list[list[int]] = [[] for _ in range(size)]
    for rank, up in enumerate(parent):
        if up >= 0:
            children[up].append(rank)
    root = parent.index(-1)
    depth = [0] * size
    order = [root]
    for rank in order:  # breadth first from the root
        for child in children[rank]:
            depth[child] = depth[rank] + 1
            order.append(child)
    return BinaryTree(root, tuple(parent), tuple(tuple(sorted(c)) for c in children),
                      tuple(depth))


@lru_cache(maxsize=64)
def double_binary_tree(size: int) -> tuple[BinaryTree, BinaryTree]:
    """Trees 0 and 1 on ``size`` ranks (see the module docstring)."""
    if size < 1:
        raise ValueError(f"expected a size >= 1, got {size}")
    if size % 2 == 0:
        first = _nccl_parents(size)
        second = [-1 if first[size - 1 - r] < 0 else size - 1 - first[size - 1 - r]
                  for r in range(size)]
    else:
        positions = _nccl_parents(size + 1)  # drop position 0, the root; position p is rank p-1
        first = [-1 if positions[p] == 0 else positions[p] - 1 for p in range(1, size + 1)]
        second = [-1 if first[(r - 1) % size] < 0 else (first[(r - 1) % size] + 1) % size
                  for r in range(size)]
    return _tree(first), _tree(second)


def tree_depth(size: int) -> int:
    """D, the depth of both trees: ceil(lg N) for even N, ceil(lg(N + 1)) - 1 for odd N."""
    if size % 2 == 0:
        return (size - 1).bit_length()
    return size.bit_length() - 1  # ceil(lg(N + 1)) - 1 = floor(lg N) for odd N


def phase_rounds(size: int, segments: int) -> int:
    """Rounds of each direction (up, then down): S + D - 1, none for one rank."""
    return 0 if size == 1 else segments + tree_depth(size) - 1


def half_offsets(count: int, segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Segment boundaries of the two halves in the buffer: tree 0 carries the first half
    (count cut in two as :func:`collectives.partition.chunk_counts` does), tree 1 the second;
    each half cut into ``segments`` segments."""
    halves = chunk_offsets(count, 2)
    first, second = (halves[h] + chunk_offsets(int(halves[h + 1] - halves[h]), segments)
                     for h in TREES)
    return first, second


def up_segment(depth: int, round_index: int, size: int) -> int:
    """The segment a rank at ``depth`` sends up in ``round_index`` (maybe out of range)."""
    return round_index - (tree_depth(size) - depth)


def down_segment(depth: int, round_index: int) -> int:
    """The segment a rank at ``depth`` sends to its children in ``round_index``."""
    return round_index - depth


@lru_cache(maxsize=64)
def edge_colours(size: int) -> tuple[int, ...]:
    """``c[x]``: the step (0 or 1) of a round in which x's edge to its tree-0 parent is used;
    its edge to its tree-1 parent uses ``1 - c[x]``. Siblings get different colours."""
    trees = double_binary_tree(size)
    sibling: list[list[int]] = [[] for _ in range(size)]
    for tree in trees:
        for kids in tree.children:
            if len(kids) == 2:
                a, b = kids
                sibling[a].append(b)
                sibling[b].append(a)
    colour = [-1] * size
    starts = [kid for tree in trees for kid in tree.children[tree.root]] + list(range(size))
    for start in starts:
        if colour[start] >= 0:
            continue
        colour[start] = 0
        stack = [start]
        while stack:
            rank = stack.pop()
            for other in sibling[rank]:
                if colour[other] < 0:
                    colour[other] = 1 - colour[rank]
                    stack.append(other)
                elif colour[other] == colour[rank]:
                    raise AssertionError(f"siblings {rank} and {other} share a colour")
    return tuple(colour)


def tree_colour(tree: int, rank: int, size: int) -> int:
    """The colour of ``rank``'s edge to its parent in tree ``tree``."""
    colour = edge_colours(size)[rank]
    return colour if tree == 0 else 1 - colour
