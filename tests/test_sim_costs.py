"""Every simulated algorithm costs exactly what the reference's table says, step for step and
byte for byte, and the figures everyone quotes hold in closed form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_cases import ALGORITHMS, RANKS, case_id, cases, counts_for, labelled_inputs, runs_at

from collectives.catalogue import REDUCING
from collectives.costs import reference_cost
from collectives.ops import Op, resolve_op
from collectives.sim import Simulation
from collectives.spec import Problem

ITEMSIZE = 4  # the tests count int32 elements


def _count_only(collective: str, algorithm: str, ranks: int, count: int, root: int = 0,
                op: str | Op = "sum", dtype: str = "int32"):
    return Simulation.count_only(collective, ranks=ranks, count=count, dtype=dtype,
                                 algorithm=algorithm, root=root, op=op).run()


def _reference(collective: str, algorithm: str, ranks: int, count: int, root: int = 0,
               op: str | Op = "sum"):
    resolved = resolve_op(op) if collective in REDUCING else None
    problem = Problem(collective, ranks, (count,), np.dtype("int32"), root, resolved)
    return reference_cost(problem, algorithm)


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_steps_and_bytes_sent_equal_the_reference(case):
    """Steps and every rank's bytes sent equal reference_cost exactly, for every algorithm, N,
    count and root."""
    collective, algorithm, n, count, root = case
    result = _count_only(collective, algorithm, n, count, root)
    reference = _reference(collective, algorithm, n, count, root)
    assert result.num_steps == reference.steps
    np.testing.assert_array_equal(result.bytes_sent, reference.bytes_sent)


NONCOMMUTATIVE_FIRST = Op(lambda a, b: a, commutative=False, name="first")


@pytest.mark.parametrize(("ranks", "root"), [(n, r) for n in RANKS for r in range(n)])
def test_noncommutative_reduce_costs_equal_the_reference(ranks, root):
    """Binomial reduce with a non-commutative op (via rank 0 when the root is not 0) costs what
    the reference says: one more step and K more bytes from rank 0 when root != 0."""
    result = _count_only("reduce", "binomial", ranks, 6, root, NONCOMMUTATIVE_FIRST)
    reference = _reference("reduce", "binomial", ranks, 6, root, NONCOMMUTATIVE_FIRST)
    lg = (ranks - 1).bit_length()
    assert result.num_steps == reference.steps == lg + (root != 0)
    np.testing.assert_array_equal(result.bytes_sent, reference.bytes_sent)


@pytest.mark.parametrize(
    "case", [c for c in cases() if c[4] in (0, c[2] - 1)], ids=case_id)
def test_count_only_and_data_mode_agree(case):
    """Count-only and data mode give the same steps, labels, bytes and traffic matrix."""
    collective, algorithm, n, count, root = case
    counted = _count_only(collective, algorithm, n, count, root)
    moved = Simulation(collective, labelled_inputs(collective, n, (count,), root, "int32"),
                       algorithm=algorithm, root=root).run()
    assert [(s.label, s.messages, s.bytes) for s in moved.steps] == \
        [(s.label, s.messages, s.bytes) for s in counted.steps]
    np.testing.assert_array_equal(moved.bytes_sent, counted.bytes_sent)
    np.testing.assert_array_equal(moved.bytes_received, counted.bytes_received)
    np.testing.assert_array_equal(moved.traffic, counted.traffic)


@pytest.mark.parametrize(("collective", "algorithm", "ranks"),
                         [(c, a, n) for c, a in ALGORITHMS for n in RANKS if runs_at(c, a, n)])
def test_traffic_matrix_adds_up(collective, algorithm, ranks):
    """Row sums of the traffic matrix are bytes sent, column sums bytes received, the diagonal
    is zero, and every byte sent is received."""
    count = counts_for(ranks)[-1]
    result = _count_only(collective, algorithm, ranks, count, root=ranks // 2)
    np.testing.assert_array_equal(result.traffic.sum(axis=1), result.bytes_sent)
    np.testing.assert_array_equal(result.traffic.sum(axis=0), result.bytes_received)
    assert not np.diagonal(result.traffic).any()
    assert result.total_bytes == int(result.bytes_received.sum())
    assert sum(step.bytes for step in result.steps) == result.total_bytes


# -- closed forms, written here and not taken from collectives.costs ---------------------------

@settings(max_examples=40)
@given(ranks=st.integers(1, 40), count=st.integers(0, 300),
       dtype=st.sampled_from(["int8", "float16", "float32", "complex128"]))
def test_ring_allreduce_ranks_together_send_2_n_minus_1_k(ranks, count, dtype):
    """Ring all-reduce: the ranks together send exactly 2(N - 1)K bytes in 2(N - 1) steps,
    whatever N and the count."""
    k = count * np.dtype(dtype).itemsize
    result = _count_only("allreduce", "ring", ranks, count, dtype=dtype)
    assert result.total_bytes == 2 * (ranks - 1) * k
    assert result.num_steps == 2 * (ranks - 1)


@pytest.mark.parametrize("ranks", [2, 3, 4, 5, 8, 13])
@pytest.mark.parametrize("chunk", [1, 3, 10])
def test_ring_allreduce_each_rank_sends_2_n_minus_1_k_over_n(ranks, chunk):
    """Ring all-reduce with N dividing the count: every rank sends 2(N - 1)K/N bytes."""
    count = ranks * chunk
    k = count * ITEMSIZE
    result = _count_only("allreduce", "ring", ranks, count)
    assert result.bytes_sent.tolist() == [2 * (ranks - 1) * k // ranks] * ranks
    assert result.bytes_received.tolist() == [2 * (ranks - 1) * k // ranks] * ranks


@pytest.mark.parametrize("ranks", [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17])
def test_binomial_broadcast_root_sends_lg_n_times_k(ranks):
    """Binomial broadcast: the root sends ceil(lg N)·K, all ranks together (N - 1)K, in
    ceil(lg N) steps."""
    count, root = 10, ranks - 1
    k = count * ITEMSIZE
    lg = int(np.ceil(np.log2(ranks)))
    result = _count_only("broadcast", "binomial", ranks, count, root)
    assert result.bytes_sent[root] == lg * k
    assert result.total_bytes == (ranks - 1) * k
    assert result.num_steps == lg


@pytest.mark.parametrize("algorithm", ["binomial", "linear"])
@pytest.mark.parametrize("ranks", [1, 2, 3, 5, 8, 13])
def test_scatter_root_sends_k_times_n_minus_1_over_n(algorithm, ranks):
    """Scatter: the root sends K(N - 1)/N, where K is all N blocks together."""
    count, root = 7, ranks // 2
    k = ranks * count * ITEMSIZE
    result = _count_only("scatter", algorithm, ranks, count, root)
    assert result.bytes_sent[root] == k * (ranks - 1) // ranks
    assert result.bytes_received[root] == 0


@pytest.mark.parametrize("algorithm", ["binomial", "linear"])
@pytest.mark.parametrize("ranks", [1, 2, 3, 5, 8, 13])
def test_gather_root_receives_k_times_n_minus_1_over_n(algorithm, ranks):
    """Gather: the root receives K(N - 1)/N and sends nothing."""
    count, root = 7, ranks - 1
    k = ranks * count * ITEMSIZE
    result = _count_only("gather", algorithm, ranks, count, root)
    assert result.bytes_received[root] == k * (ranks - 1) // ranks
    assert result.bytes_sent[root] == 0


@pytest.mark.parametrize(("collective", "algorithm"),
                         [("allgather", "ring"), ("reduce_scatter", "ring"),
                          ("alltoall", "pairwise")])
@pytest.mark.parametrize("ranks", [1, 2, 3, 5, 8, 13])
def test_n_minus_1_step_algorithms_send_k_times_n_minus_1_over_n(collective, algorithm, ranks):
    """Ring all-gather, ring reduce-scatter and pairwise all-to-all: N - 1 steps, every rank
    sends K(N - 1)/N."""
    count = 5
    k = ranks * count * ITEMSIZE
    result = _count_only(collective, algorithm, ranks, count)
    assert result.num_steps == ranks - 1
    assert result.bytes_sent.tolist() == [k * (ranks - 1) // ranks] * ranks


@pytest.mark.parametrize("ranks", [1, 2, 3, 4, 5, 8, 13])
def test_tree_allreduce_rank_0_sends_lg_n_times_k(ranks):
    """Tree all-reduce: 2·ceil(lg N) steps; rank 0 sends ceil(lg N)·K (it only broadcasts)."""
    count = 9
    lg = int(np.ceil(np.log2(ranks)))
    result = _count_only("allreduce", "tree", ranks, count)
    assert result.num_steps == 2 * lg
    assert result.bytes_sent[0] == lg * count * ITEMSIZE


def test_ring_allreduce_4096_ranks_count_only():
    """Count-only ring all-reduce on 4096 ranks: 2(N - 1) steps, 2(N - 1)K bytes in total,
    and each rank 2(N - 1)K/N."""
    ranks, count = 4096, 2 * 4096
    k = count * ITEMSIZE
    result = _count_only("allreduce", "ring", ranks, count)
    assert result.num_steps == 2 * (ranks - 1)
    assert result.total_bytes == 2 * (ranks - 1) * k
    assert set(result.bytes_sent.tolist()) == {2 * (ranks - 1) * k // ranks}
    assert result.outputs is None and result.verified is None
