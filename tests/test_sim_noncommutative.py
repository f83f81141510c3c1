"""Non-commutative ops: the algorithms that keep rank order give x0 ∘ x1 ∘ ... ∘ x(N-1); the ring
ones refuse with an error that names an algorithm that can."""

from __future__ import annotations

import numpy as np
import pytest
from sim_cases import RANKS, fold

from collectives.errors import UnsupportedError
from collectives.ops import Op
from collectives.sim import Simulation, simulate


def _first(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ∘ b = a: associative, and the result shows who came first."""
    return a


def _matmul_blocks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of 2 × 2 integer matrices, four elements each, element by element in order:
    associative (integers wrap exactly), and order shows in every element."""
    return (a.reshape(-1, 2, 2) @ b.reshape(-1, 2, 2)).reshape(a.shape)


FIRST = Op(_first, commutative=False, name="first")
MATMUL = Op(_matmul_blocks, commutative=False, name="matmul")


def _matrices(ranks: int, matrices: int, leading: tuple[int, ...] = (), seed: int = 0):
    """Random integer 2 × 2 matrices per rank, shaped (*leading, matrices, 2, 2)."""
    rng = np.random.default_rng([ranks, matrices, seed])
    return [rng.integers(-3, 4, size=(*leading, matrices, 2, 2)) for _ in range(ranks)]


def test_the_matrix_op_really_does_not_commute():
    """The test data gives different products in different orders (else the tests prove
    nothing)."""
    x = _matrices(2, 3)
    assert not np.array_equal(_matmul_blocks(x[0], x[1]), _matmul_blocks(x[1], x[0]))


@pytest.mark.parametrize(("ranks", "root"), [(n, r) for n in RANKS for r in range(n)])
def test_binomial_reduce_keeps_rank_order_for_every_root(ranks, root):
    """Binomial reduce with a matrix product gives the root x0·x1·...·x(N-1), for every root;
    with 'first' it gives x0."""
    x = _matrices(ranks, 3)
    result = simulate("reduce", x, algorithm="binomial", op=MATMUL, root=root, provenance=True)
    np.testing.assert_array_equal(result.outputs[root], fold(_matmul_blocks, x))
    assert result.verified is True
    labelled = [np.arange(5) + 100 * r for r in range(ranks)]
    first = simulate("reduce", labelled, algorithm="binomial", op=FIRST, root=root)
    assert first.outputs[root].tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("ranks", RANKS)
def test_tree_allreduce_keeps_rank_order(ranks):
    """Tree all-reduce with a matrix product: every rank holds x0·x1·...·x(N-1)."""
    x = _matrices(ranks, 2)
    result = simulate("allreduce", x, algorithm="tree", op=MATMUL, provenance=True)
    want = fold(_matmul_blocks, x)
    for out in result.outputs:
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("ranks", RANKS)
def test_binomial_reduce_scatter_keeps_rank_order(ranks):
    """Binomial reduce-scatter with a matrix product: rank j holds x0[j]·x1[j]·...·x(N-1)[j]."""
    x = _matrices(ranks, 2, leading=(ranks,))
    result = simulate("reduce_scatter", x, algorithm="binomial", op=MATMUL, provenance=True)
    want = fold(_matmul_blocks, x)
    for j, out in enumerate(result.outputs):
        np.testing.assert_array_equal(out, want[j])


@pytest.mark.parametrize(("collective", "able"), [("allreduce", "tree"),
                                                  ("reduce_scatter", "binomial")])
@pytest.mark.parametrize("op", [FIRST, MATMUL], ids=["first", "matmul"])
def test_ring_refuses_a_noncommutative_op_and_names_one_that_can(collective, able, op):
    """Ring all-reduce and ring reduce-scatter raise UnsupportedError naming the op and an
    algorithm that keeps rank order; count-only refuses the same way."""
    x = _matrices(4, 2, leading=(4,) if collective == "reduce_scatter" else ())
    match = (rf"{collective} algorithm 'ring' .*expected a commutative op, got the "
             rf"non-commutative op '{op.name}'; use algorithm '{able}'")
    with pytest.raises(UnsupportedError, match=match):
        Simulation(collective, x, algorithm="ring", op=op)
    with pytest.raises(UnsupportedError, match=match):
        Simulation.count_only(collective, ranks=4, count=8, dtype="int64", algorithm="ring",
                              op=op)


def test_a_commutative_user_op_runs_on_ring():
    """A user op marked commutative (elementwise hypot) runs on ring and matches numpy."""
    hypot = Op(np.hypot, commutative=True, name="hypot")
    x = [np.array([3.0, 5.0, 8.0]) * (r + 1) for r in range(4)]
    result = simulate("allreduce", x, algorithm="ring", op=hypot)
    np.testing.assert_allclose(result.outputs[2], np.sqrt(sum(v ** 2 for v in x)))
    assert result.op == "hypot"
