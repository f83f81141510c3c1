"""What is special about van de Geijn broadcast, the pipelined chain, Bruck, pairwise
reduce-scatter and NCCL's double binary tree: segments (steps N - 2 + S, bytes, time), the
trees (every rank a leaf in one, NCCL's shapes), Bruck's consecutive blocks, and the refusals of
segments by algorithms that do not pipeline. Closed forms are written here, not taken from
collectives.costs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sim_cases import labelled_inputs, numpy_answer

from collectives.cli import main
from collectives.double_tree import double_binary_tree, tree_depth
from collectives.errors import InvalidInputError, UnsupportedError
from collectives.sim import Simulation, simulate
from collectives.sim.network import fully_connected
from collectives.spec import Problem

# Dyadic figures, so the model's sums and the formulas are exact and compare with ==.
ALPHA, BETA, GAMMA = 2.0 ** -20, 2.0 ** -30, 2.0 ** -36
ITEMSIZE = 4  # int32


def _run(collective: str, algorithm: str, ranks: int, count: int, *, segments: int = 1,
         root: int = 0, timed: bool = False, keep: bool | None = None):
    network = fully_connected(ranks, alpha=ALPHA, bandwidth=1 / BETA, gamma=GAMMA) \
        if timed else None
    return Simulation.count_only(collective, ranks=ranks, count=count, dtype="int32",
                                 algorithm=algorithm, root=root, segments=segments,
                                 network=network, keep_transfers=keep).run()


def _lg(ranks: int) -> int:
    """ceil(lg N)."""
    return int(np.ceil(np.log2(ranks))) if ranks > 1 else 0


# -- the pipelined chain ----------------------------------------------------------------------

@pytest.mark.parametrize("ranks", [2, 3, 5, 8])
@pytest.mark.parametrize("segments", [1, 2, 3, 8])
def test_pipeline_takes_n_minus_2_plus_s_steps(ranks, segments):
    """Pipelined chain broadcast: N - 2 + S steps; every rank but the chain's last sends K
    once, and on uniform links it takes (N - 2 + S)(alpha + K·beta/S)."""
    count, root = 24 * segments, ranks - 1
    k = count * ITEMSIZE
    result = _run("broadcast", "pipeline", ranks, count, segments=segments, root=root,
                  timed=True)
    assert result.num_steps == ranks - 2 + segments
    last = (root + ranks - 1) % ranks
    assert result.bytes_sent.tolist() == [0 if r == last else k for r in range(ranks)]
    assert result.time == (ranks - 2 + segments) * (ALPHA + k * BETA / segments)


def test_pipeline_segments_follow_each_other_down_the_chain():
    """With root 2 of 4 and 3 segments, step t has position p send segment t - p to p + 1:
    2 -> 3 -> 0 -> 1, one step apart."""
    result = _run("broadcast", "pipeline", 4, 6, segments=3, root=2, keep=True)
    moves = [sorted((t.src, t.dst, t.chunk) for t in step.transfers) for step in result.steps]
    assert moves == [[(2, 3, 0)],
                     [(2, 3, 1), (3, 0, 0)],
                     [(0, 1, 0), (2, 3, 2), (3, 0, 1)],
                     [(0, 1, 1), (3, 0, 2)],
                     [(0, 1, 2)]]


@pytest.mark.parametrize("segments", [1, 4, 9])
@pytest.mark.parametrize("count", [0, 1, 5, 17])
def test_pipeline_cuts_any_count(segments, count):
    """Any count, also fewer elements than segments: numpy's answer, with provenance, at every
    root of N = 5."""
    for root in range(5):
        inputs = labelled_inputs("broadcast", 5, (count,), root)
        result = simulate("broadcast", inputs, algorithm="pipeline", root=root,
                          provenance=True, segments=segments)
        assert result.verified is True
        assert result.num_steps == 3 + segments


# -- van de Geijn -----------------------------------------------------------------------------

@pytest.mark.parametrize("ranks", [2, 3, 4, 5, 8, 13])
def test_scatter_allgather_root_sends_about_2k(ranks):
    """Scatter + ring all-gather: ceil(lg N) + N - 1 steps; with N dividing the count the root
    sends K(N - 1)/N in each phase, 2K(N - 1)/N in all."""
    count, root = 3 * ranks, ranks // 2
    k = count * ITEMSIZE
    result = _run("broadcast", "scatter_allgather", ranks, count, root=root)
    assert result.num_steps == _lg(ranks) + ranks - 1
    assert result.bytes_sent[root] == 2 * k * (ranks - 1) // ranks
    assert all(result.bytes_sent >= k * (ranks - 1) // ranks)  # the ring phase alone


# -- Bruck ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ranks", [3, 5, 6, 7, 13])
def test_bruck_allgather_holds_consecutive_blocks_after_each_step(ranks):
    """After Bruck all-gather step k, rank r holds exactly blocks r .. r + min(2^(k+1), N) - 1
    (mod N), each at its own place: nothing is left to rotate."""
    count = 2
    inputs = labelled_inputs("allgather", ranks, (count,), dtype="int32")
    sim = Simulation("allgather", inputs, algorithm="bruck")
    for step in range(_lg(ranks)):
        sim.step()
        held = min(2 ** (step + 1), ranks)
        for rank, buffer in enumerate(sim.buffers):
            filled = {b for b in range(ranks) if buffer[b * count:(b + 1) * count].any()}
            assert filled == {(rank + i) % ranks for i in range(held)}
            for block in filled:
                np.testing.assert_array_equal(buffer[block * count:(block + 1) * count],
                                              inputs[block])
    assert sim.done and sim.result().verified is True


@pytest.mark.parametrize(("ranks", "blocks"), [(2, 1), (3, 2), (4, 4), (5, 5), (7, 9),
                                               (8, 12), (13, 22), (16, 32)])
def test_bruck_alltoall_sends_about_k_over_2_lg_n(ranks, blocks):
    """Bruck all-to-all: ceil(lg N) steps; every rank sends sum(popcount(i), i < N) blocks,
    (N/2)·lg N = (K/2)·lg N for N = 2**k; the local rotations cross no link."""
    count = 3
    block = count * ITEMSIZE
    result = _run("alltoall", "bruck", ranks, count, timed=True)
    assert result.num_steps == _lg(ranks)
    assert result.bytes_sent.tolist() == [blocks * block] * ranks
    if ranks & (ranks - 1) == 0:
        assert blocks * block == ranks * block // 2 * _lg(ranks)
    assert result.time == _lg(ranks) * ALPHA + blocks * block * BETA


def test_bruck_alltoall_first_step_rotates_locally():
    """N = 4: the first step sends the blocks of odd distance to r + 1 and copies the one of
    distance 2 locally (no bytes); the last step copies distance 1 into the output locally."""
    result = _run("alltoall", "bruck", 4, 1, keep=True)
    first, last = (step.transfers for step in result.steps)
    assert {(t.src, t.dst) for t in first if not t.is_local} == {(0, 1), (1, 2), (2, 3), (3, 0)}
    assert sorted(t.src for t in first if t.is_local) == [1, 2, 3]  # rank 0 needs no rotation
    assert len([t for t in last if t.is_local]) == 4
    assert result.steps[0].bytes == 4 * 2 * ITEMSIZE  # distances 1 and 3 from every rank


# -- pairwise reduce-scatter ------------------------------------------------------------------

@pytest.mark.parametrize("ranks", [2, 3, 5, 8])
def test_pairwise_reduce_scatter_time(ranks):
    """Pairwise reduce-scatter on uniform links: (N - 1)(alpha + B(beta + gamma)), B a block,
    every step exchanging with a different pair of peers."""
    count = 5
    block = count * ITEMSIZE
    result = _run("reduce_scatter", "pairwise", ranks, count, timed=True, keep=True)
    assert result.time == (ranks - 1) * (ALPHA + block * (BETA + GAMMA))
    for step, record in enumerate(result.steps, start=1):
        assert all(t.dst == (t.src + step) % ranks for t in record.transfers)


# -- the double binary tree -------------------------------------------------------------------

def _depth(ranks: int) -> int:
    """ceil(lg N) for even N, ceil(lg(N + 1)) - 1 for odd N."""
    return _lg(ranks) if ranks % 2 == 0 else _lg(ranks + 1) - 1


@pytest.mark.parametrize("ranks", range(1, 65))
def test_every_rank_is_a_leaf_in_one_of_the_two_trees(ranks):
    """Both trees span the N ranks, are binary, have depth D, and every rank is a leaf in at
    least one of them (NCCL's property, here for odd N too)."""
    trees = double_binary_tree(ranks)
    for tree in trees:
        assert tree.parent.count(-1) == 1 and tree.parent[tree.root] == -1
        assert all(len(children) <= 2 for children in tree.children)
        reached, frontier = {tree.root}, [tree.root]
        while frontier:
            frontier = [c for r in frontier for c in tree.children[r]]
            reached.update(frontier)
        assert reached == set(range(ranks))
        assert max(tree.depth) == _depth(ranks) == tree_depth(ranks)
    first, second = trees
    assert all(not first.children[r] or not second.children[r] for r in range(ranks))


def test_even_n_trees_are_nccls():
    """For 12 ranks, tree 0 is NCCL's in-order tree and tree 1 its mirror, as NCCL draws them."""
    first, second = double_binary_tree(12)
    assert {r: c for r, c in enumerate(first.children) if c} == {
        0: (8,), 8: (4, 10), 4: (2, 6), 10: (9, 11), 2: (1, 3), 6: (5, 7)}
    assert {r: c for r, c in enumerate(second.children) if c} == {
        11: (3,), 3: (1, 7), 1: (0, 2), 7: (5, 9), 5: (4, 6), 9: (8, 10)}


def test_odd_n_trees_are_full_and_shifted():
    """For 7 ranks, tree 0 is NCCL's tree on 8 positions without its root (positions down by
    one), tree 1 the same shifted by one rank; rank 0 is a leaf of both."""
    first, second = double_binary_tree(7)
    assert {r: c for r, c in enumerate(first.children) if c} == {
        3: (1, 5), 1: (0, 2), 5: (4, 6)}
    assert {r: c for r, c in enumerate(second.children) if c} == {
        4: (2, 6), 2: (1, 3), 6: (0, 5)}


@pytest.mark.parametrize("ranks", [2, 3, 4, 5, 6, 7, 8, 13, 16])
@pytest.mark.parametrize("segments", [1, 2, 5])
def test_double_binary_tree_steps_bytes_and_time(ranks, segments):
    """4(S + D - 1) steps, every one carrying a segment of K/(2S); each rank sends K/2 per tree
    where it is not the root plus K/2 per child; uniform time
    2(S + D - 1)(2·alpha + K/(2S)·(2·beta + gamma))."""
    count = 2 * segments * 6
    k, piece = count * ITEMSIZE, count * ITEMSIZE // (2 * segments)
    result = _run("allreduce", "double_binary_tree", ranks, count, segments=segments,
                  timed=True, keep=True)
    rounds = segments + _depth(ranks) - 1
    assert result.num_steps == 4 * rounds
    assert all(step.transfers.length.max() * ITEMSIZE == piece for step in result.steps)
    expected = [sum(k // 2 * ((r != t.root) + len(t.children[r]))
                    for t in double_binary_tree(ranks)) for r in range(ranks)]
    assert result.bytes_sent.tolist() == expected
    assert max(expected) <= 2 * k
    assert result.time == 2 * rounds * (2 * ALPHA + piece * (2 * BETA + GAMMA))


@pytest.mark.parametrize("ranks", [2, 3, 5, 6, 8])
@pytest.mark.parametrize("segments", [1, 3, 7])
@pytest.mark.parametrize("count", [0, 1, 5, 29])
def test_double_binary_tree_gives_numpys_answer_with_segments(ranks, segments, count):
    """Any N, S and count (also fewer elements than 2S): every rank holds numpy's sum, the same
    bits everywhere, and provenance holds."""
    inputs = labelled_inputs("allreduce", ranks, (count,))
    result = simulate("allreduce", inputs, algorithm="double_binary_tree", provenance=True,
                      segments=segments)
    want = numpy_answer("allreduce", inputs, 0, np.add)
    for got, expected in zip(result.outputs, want, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert result.verified is True and result.provenance_checked


# -- segments everywhere else -----------------------------------------------------------------

@pytest.mark.parametrize(("collective", "algorithm", "named"), [
    ("broadcast", "binomial", r"use algorithm 'pipeline'"),
    ("allreduce", "ring", r"use algorithm 'double_binary_tree'"),
    ("gather", "linear", r"no gather algorithm pipelines"),
])
def test_segments_refused_by_algorithms_that_do_not_pipeline(collective, algorithm, named):
    """segments > 1 with an algorithm that does not pipeline is refused before any step, with
    an error naming one that does (or saying none does)."""
    with pytest.raises(UnsupportedError, match=rf"{collective} algorithm '{algorithm}' does not "
                                               rf"pipeline, so it expected segments=1, got "
                                               rf"segments=3; {named}"):
        Simulation.count_only(collective, ranks=4, count=8, algorithm=algorithm, segments=3)


@pytest.mark.parametrize("segments", [0, -2, 1.5, True])
def test_segments_must_be_a_positive_integer(segments):
    """Problem refuses segments that are not an integer >= 1."""
    with pytest.raises(InvalidInputError, match=r"expected segments, an integer >= 1, got"):
        Problem("broadcast", 4, (8,), np.dtype("int32"), segments=segments)


def test_sim_command_takes_segments(capsys):
    """``sim broadcast -a pipeline -n 5 --segments 4`` runs N - 2 + S = 7 steps and reports
    S; a non-pipelining algorithm with --segments exits non-zero with the refusal."""
    assert main(["sim", "broadcast", "-a", "pipeline", "-n", "5", "-c", "8", "--segments", "4",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == summary["reference"]["steps"] == 7
    assert summary["segments"] == 4 and summary["verified"] is True
    assert main(["sim", "allreduce", "-a", "tree", "-n", "4", "--segments", "2"]) != 0
    assert "use algorithm 'double_binary_tree'" in capsys.readouterr().err
