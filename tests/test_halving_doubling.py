"""Recursive halving and doubling: the shared index math, the worked example of its docstring
step by step, the fold at N = 3, 5, 6, 7, the figures of the reference's table in closed form,
rank order kept by recursive-doubling all-reduce, and the refusals that name an alternative."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sim_cases import RANKS, fold

from collectives.catalogue import CATALOGUE
from collectives.errors import UnsupportedError
from collectives.halving_doubling import (
    NATURAL,
    REVERSED,
    gather_target,
    group_offsets,
    home_unit,
    survivor_rank,
)
from collectives.ops import Op
from collectives.sim import Simulation, simulate

ITEMSIZE = 4  # int32


def _count_only(collective: str, algorithm: str, ranks: int, count: int, root: int = 0,
                dtype: str = "int32", op: str | Op = "sum"):
    return Simulation.count_only(collective, ranks=ranks, count=count, dtype=dtype,
                                 algorithm=algorithm, root=root, op=op,
                                 keep_transfers=True).run()


def _lg(n: int) -> int:
    return n.bit_length() - 1


# -- the index math ----------------------------------------------------------------------------

def test_reversed_homes_are_bit_reversals_and_their_own_inverse():
    """Reversed order: newrank i's home unit is i's lg p bits reversed; natural order: i."""
    homes = home_unit(np.arange(8), 8, REVERSED)
    assert homes.tolist() == [0, 4, 2, 6, 1, 5, 3, 7]
    assert home_unit(homes, 8, REVERSED).tolist() == list(range(8))
    assert home_unit(np.arange(8), 8, NATURAL).tolist() == list(range(8))
    assert [home_unit(i, 4, REVERSED) for i in range(4)] == [0, 2, 1, 3]


def test_survivors_are_the_odd_ranks_below_2_rem_then_the_rest():
    """N = 6 (p = 4, rem = 2): newranks 0..3 are ranks 1, 3, 4, 5, as ints and as arrays."""
    assert [survivor_rank(i, 6) for i in range(4)] == [1, 3, 4, 5]
    assert survivor_rank(np.arange(4), 6).tolist() == [1, 3, 4, 5]
    assert survivor_rank(np.arange(8), 8).tolist() == list(range(8))


def test_reduce_scatter_units_are_the_blocks_of_each_survivor():
    """N = 6, blocks of 2: newrank 0 stands for blocks 0-1, newrank 1 for 2-3, then 4 and 5."""
    assert group_offsets(6, 2).tolist() == [0, 4, 8, 10, 12]
    assert group_offsets(8, 3).tolist() == [0, 3, 6, 9, 12, 15, 18, 21, 24]
    assert group_offsets(7, 1).tolist() == [0, 2, 4, 6, 7]


@pytest.mark.parametrize(("ranks", "root", "expected"), [
    (3, 0, (0, 1)), (3, 1, (0, None)), (3, 2, (1, None)),
    (6, 2, (0, 1)), (6, 3, (2, None)), (6, 4, (1, None)), (8, 6, (3, None)),
])
def test_the_gather_target_and_the_root_that_sat_out(ranks, root, expected):
    """The gather collects at the root's home unit; a root that sat out the fold takes
    newrank 0's place (home 0), after newrank 0 (rank 1) hands it chunk 0."""
    assert gather_target(root, ranks, REVERSED) == expected


# -- the worked example of collectives.halving_doubling, step by step -------------------------

# (label, {(source, destination): (start, stop)}) for all-reduce, N = 6, count 10
WORKED_EXAMPLE = [
    ("fold", {(0, 1): (0, 10), (2, 3): (0, 10)}),
    ("reduce-scatter 0", {(1, 3): (6, 10), (3, 1): (0, 6), (4, 5): (6, 10), (5, 4): (0, 6)}),
    ("reduce-scatter 1", {(1, 4): (3, 6), (4, 1): (0, 3), (3, 5): (8, 10), (5, 3): (6, 8)}),
    ("all-gather 0", {(1, 4): (0, 3), (4, 1): (3, 6), (3, 5): (6, 8), (5, 3): (8, 10)}),
    ("all-gather 1", {(1, 3): (0, 6), (3, 1): (6, 10), (4, 5): (0, 6), (5, 4): (6, 10)}),
    ("unfold", {(1, 0): (0, 10), (3, 2): (0, 10)}),
]


def test_rabenseifner_runs_the_worked_example_step_by_step():
    """All-reduce, N = 6, count 10: every step moves exactly the ranges the module docstring
    writes down, and ranks 0..5 send 10, 26, 10, 24, 16 and 14 elements."""
    result = _count_only("allreduce", "rabenseifner", 6, 10, dtype="int8")
    steps = [(s.label, {(t.src, t.dst): (t.dst_start, t.dst_start + t.length)
                        for t in s.transfers}) for s in result.steps]
    assert steps == WORKED_EXAMPLE
    assert all(t.src_start == t.dst_start for s in result.steps for t in s.transfers)
    assert result.bytes_sent.tolist() == [10, 26, 10, 24, 16, 14]


# -- the fold at N = 3, 5, 6, 7 -----------------------------------------------------------------

FOLDED = [("reduce_scatter", "recursive_halving"), ("allreduce", "recursive_doubling"),
          ("allreduce", "rabenseifner"), ("reduce", "reduce_scatter_gather")]


@pytest.mark.parametrize(("collective", "algorithm"), FOLDED)
@pytest.mark.parametrize("ranks", [3, 5, 6, 7])
def test_the_fold_pairs_the_first_2_rem_ranks(collective, algorithm, ranks):
    """The first step sends every even rank below 2·rem's whole buffer to the odd rank above
    it and nothing else; afterwards the even ranks send nothing until the odd ones' last step
    hands their result back (a reduce ends with its gather)."""
    rem = ranks - (1 << _lg(ranks))
    root = ranks - 1
    result = _count_only(collective, algorithm, ranks, 2 * ranks + 1, root=root)
    width = (ranks if collective == "reduce_scatter" else 1) * (2 * ranks + 1)
    first = {(t.src, t.dst, t.length) for t in result.steps[0].transfers}
    assert result.steps[0].label == "fold"
    assert first == {(even, even + 1, width) for even in range(0, 2 * rem, 2)}
    later_senders = {t.src for s in result.steps[1:] for t in s.transfers}
    assert later_senders.isdisjoint(range(0, 2 * rem, 2))
    if collective != "reduce":
        last = {(t.src, t.dst) for t in result.steps[-1].transfers}
        assert result.steps[-1].label == "unfold"
        assert last == {(even + 1, even) for even in range(0, 2 * rem, 2)}


@pytest.mark.parametrize("ranks", [3, 5, 6, 7])
def test_a_reduce_root_that_sat_out_gets_chunk_0_first(ranks):
    """Reduce to rank 0, which sits out the fold: rank 1 (newrank 0) hands it chunk 0 in a step
    of its own, one more than for root 1, and the answer is right."""
    count = 2 * ranks + 1
    to_zero = _count_only("reduce", "reduce_scatter_gather", ranks, count, root=0)
    to_one = _count_only("reduce", "reduce_scatter_gather", ranks, count, root=1)
    hand_over = [s for s in to_zero.steps if s.label == "to root"]
    assert len(hand_over) == 1
    chunk0 = -(-count // (1 << _lg(ranks)))  # the first chunk is one of the longer ones
    assert [(t.src, t.dst, t.dst_start, t.length) for t in hand_over[0].transfers] == \
        [(1, 0, 0, chunk0)]
    assert to_zero.num_steps == to_one.num_steps + 1 == 2 * _lg(ranks) + 2
    inputs = [np.arange(count) * (r + 1) for r in range(ranks)]
    result = simulate("reduce", inputs, algorithm="reduce_scatter_gather", root=0,
                      provenance=True)
    assert result.outputs[0].tolist() == (np.arange(count) * sum(range(1, ranks + 1))).tolist()


# -- the reference table's figures, in closed form (not taken from collectives.costs) --------

@pytest.mark.parametrize("ranks", [1, 2, 4, 8, 16])
def test_recursive_doubling_allgather_sends_k_times_n_minus_1_over_n(ranks):
    """All-gather, N = 2**L: lg N steps, every rank sends K(N - 1)/N; step k moves 2**k
    blocks to rank r XOR 2**k."""
    count = 5
    k = ranks * count * ITEMSIZE
    result = _count_only("allgather", "recursive_doubling", ranks, count)
    assert result.num_steps == _lg(ranks)
    assert result.bytes_sent.tolist() == [k * (ranks - 1) // ranks] * ranks
    for step, record in enumerate(result.steps):
        assert {(t.src, t.dst, t.length) for t in record.transfers} == \
            {(r, r ^ (1 << step), count << step) for r in range(ranks)}


@pytest.mark.parametrize("ranks", list(range(1, 14)))
def test_recursive_halving_reduce_scatter_figures(ranks):
    """Reduce-scatter: lg N steps and K(N - 1)/N from every rank for N = 2**L; otherwise
    lg p + 2 steps, the folded even ranks send K and every other rank still (N - 1) blocks."""
    count = 3
    block = count * ITEMSIZE
    pof2 = 1 << _lg(ranks)
    rem = ranks - pof2
    result = _count_only("reduce_scatter", "recursive_halving", ranks, count)
    assert result.num_steps == _lg(pof2) + (2 if rem else 0)
    expected = [ranks * block if r < 2 * rem and r % 2 == 0 else (ranks - 1) * block
                for r in range(ranks)]
    assert result.bytes_sent.tolist() == expected


@pytest.mark.parametrize(("ranks", "steps", "sent"), [
    (8, 3, [3] * 8), (5, 4, [1, 3, 2, 2, 2]), (6, 4, [1, 3, 1, 3, 2, 2]), (3, 3, [1, 2, 1]),
])
def test_recursive_doubling_allreduce_sends_k_lg_n(ranks, steps, sent):
    """All-reduce by recursive doubling: lg N steps of K for N = 2**L (K lg N per rank);
    with the fold, lg p + 2 steps, K from the folded ranks and K more from their partners."""
    count = 7
    result = _count_only("allreduce", "recursive_doubling", ranks, count)
    assert result.num_steps == steps
    assert result.bytes_sent.tolist() == [s * count * ITEMSIZE for s in sent]


@pytest.mark.parametrize(("ranks", "steps", "eighths"), [
    (8, 6, [14] * 8), (4, 4, [12] * 4), (5, 6, [8, 20, 12, 12, 12]),
    (6, 6, [8, 20, 8, 20, 12, 12]),
])
def test_rabenseifner_allreduce_sends_2k_times_n_minus_1_over_n(ranks, steps, eighths):
    """Rabenseifner all-reduce, count divisible by p: 2 lg N steps and 2K(N - 1)/N per rank for
    N = 2**L (14/8 K at N = 8); with the fold 2 lg p + 2 steps, survivors 2K(p - 1)/p, their
    partners K more, the folded ranks K."""
    count = 8 * 3
    k = count * ITEMSIZE
    result = _count_only("allreduce", "rabenseifner", ranks, count)
    assert result.num_steps == steps
    assert result.bytes_sent.tolist() == [e * k // 8 for e in eighths]


@pytest.mark.parametrize("ranks", [2, 4, 8])
@pytest.mark.parametrize("root", [0, 1, 5])
def test_rabenseifner_reduce_root_receives_k_times_n_minus_1_over_n_in_the_gather(ranks, root):
    """Reduce by reduce-scatter and gather, N = 2**L: 2 lg N steps; every rank sends
    K(N - 1)/N in the reduce-scatter; in the gather the root receives K(N - 1)/N and sends
    nothing, so no rank sends more than the table's busiest 2K(N - 1)/N."""
    root %= ranks
    count = 8 * 5
    k = count * ITEMSIZE
    result = _count_only("reduce", "reduce_scatter_gather", ranks, count, root=root)
    lg = _lg(ranks)
    assert result.num_steps == 2 * lg
    halving = result.steps[:lg]
    gather = result.steps[lg:]
    halving_sent = np.zeros(ranks, dtype=np.int64)
    for record in halving:
        for t in record.transfers:
            halving_sent[t.src] += t.length * ITEMSIZE
    assert halving_sent.tolist() == [k * (ranks - 1) // ranks] * ranks
    into_root = sum(t.length * ITEMSIZE for s in gather for t in s.transfers if t.dst == root)
    assert into_root == k * (ranks - 1) // ranks
    assert not any(t.src == root for s in gather for t in s.transfers)
    assert result.bytes_sent.max() <= 2 * k * (ranks - 1) // ranks


# -- rank order and refusals --------------------------------------------------------------------

def _matmul_blocks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of 2 × 2 integer matrices, four elements each: associative, not commutative."""
    return (a.reshape(-1, 2, 2) @ b.reshape(-1, 2, 2)).reshape(a.shape)


MATMUL = Op(_matmul_blocks, commutative=False, name="matmul")
FIRST = Op(lambda a, b: a, commutative=False, name="first")


@pytest.mark.parametrize("ranks", RANKS)
def test_recursive_doubling_allreduce_keeps_rank_order(ranks):
    """Recursive-doubling all-reduce with a matrix product gives every rank x0·x1·...·x(N-1),
    fold included; with 'first' every rank gets rank 0's values."""
    rng = np.random.default_rng(ranks)
    x = [rng.integers(-3, 4, size=(3, 2, 2)) for _ in range(ranks)]
    result = simulate("allreduce", x, algorithm="recursive_doubling", op=MATMUL,
                      provenance=True)
    want = fold(_matmul_blocks, x)
    assert not np.array_equal(want, fold(_matmul_blocks, x[::-1])) or ranks == 1
    for out in result.outputs:
        np.testing.assert_array_equal(out, want)
    labelled = [np.arange(5) + 100 * r for r in range(ranks)]
    first = simulate("allreduce", labelled, algorithm="recursive_doubling", op=FIRST)
    assert all(out.tolist() == [0, 1, 2, 3, 4] for out in first.outputs)


@pytest.mark.parametrize(("collective", "algorithm", "able"), [
    ("reduce_scatter", "recursive_halving", "binomial"),
    ("allreduce", "rabenseifner", "recursive_doubling"),
    ("reduce", "reduce_scatter_gather", "binomial"),
])
def test_commutative_only_algorithms_refuse_and_name_one_that_keeps_order(collective,
                                                                          algorithm, able):
    """A non-commutative op is refused, naming an algorithm that keeps rank order."""
    with pytest.raises(UnsupportedError, match=rf"{collective} algorithm '{algorithm}' .*"
                                               rf"expected a commutative op, got the "
                                               rf"non-commutative op 'matmul'; use algorithm "
                                               rf".*'{able}'"):
        Simulation.count_only(collective, ranks=4, count=8, dtype="int64",
                              algorithm=algorithm, op=MATMUL)


@pytest.mark.parametrize("ranks", [3, 5, 6, 7, 12])
def test_recursive_doubling_allgather_refuses_other_n_naming_algorithms_that_can(ranks):
    """All-gather by recursive doubling refuses N not a power of two, in data and count-only
    mode, naming ring and every other all-gather algorithm that takes any N."""
    match = (rf"allgather algorithm 'recursive_doubling' expected a power-of-two number of "
             rf"ranks, got {ranks}; use algorithm 'ring'")
    with pytest.raises(UnsupportedError, match=match) as caught:
        Simulation.count_only("allgather", ranks=ranks, count=4, algorithm="recursive_doubling")
    named = re.findall(r"'(\w+)'", str(caught.value).split("use algorithm")[1])
    assert named == [name for name, info in CATALOGUE["allgather"].items()
                     if not info.needs_power_of_two]
    with pytest.raises(UnsupportedError, match=match):
        simulate("allgather", [np.arange(4)] * ranks, algorithm="recursive_doubling")
