"""Non-finite values: max and min propagate NaN with every algorithm, and a result is checked
with NaN and inf compared exactly and the tolerance scaled by finite values only."""

from __future__ import annotations

import numpy as np
import pytest
from sim_cases import ALGORITHMS

from collectives.catalogue import REDUCING
from collectives.sim import simulate
from collectives.spec import elements_match, results_match

# NaN or inf must never reach numpy's isclose as a tolerance ("atol: nan").
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

REDUCING_ALGORITHMS = [(c, a) for c, a in ALGORITHMS if c in REDUCING]


def with_nan(rank: int, ranks: int, count: int) -> np.ndarray:
    """Rank-dependent values with NaN on one rank, on every rank or on none, and infinities."""
    position = np.arange(count)
    x = np.sin(position * 0.7 + rank) * 100 + rank
    kind = position % 8
    x[(kind == 0) & (rank == 0)] = np.nan  # on one rank: the first,
    x[(kind == 1) & (rank == ranks - 1)] = np.nan  # the last,
    x[(kind == 6) & (rank == (position // 8) % ranks)] = np.nan  # or each in turn
    x[kind == 2] = np.nan  # on every rank
    x[(kind == 3) & (rank == 0)] = np.inf
    x[(kind == 4) & (rank == 0)] = np.nan
    x[(kind == 4) & (rank == ranks - 1)] = -np.inf
    x[(kind == 7) & (rank == 0)] = -np.inf
    x[(kind == 7) & (rank == 1 % ranks)] = np.inf
    return x


@pytest.mark.parametrize("ranks", [2, 3, 5, 8])
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize(("collective", "algorithm"), REDUCING_ALGORITHMS,
                         ids=[f"{c}-{a}" for c, a in REDUCING_ALGORITHMS])
def test_max_and_min_propagate_nan(collective: str, algorithm: str, op: str, ranks: int) -> None:
    """Each element is NaN where any rank's is, else the max (min) of all, inf included."""
    count = 8 * ranks + 3
    blocks = ranks if collective == "reduce_scatter" else 1
    inputs = [with_nan(r, ranks, blocks * count) for r in range(ranks)]
    if collective == "reduce_scatter":
        inputs = [x.reshape(ranks, count) for x in inputs]
    reduced = {"max": np.maximum, "min": np.minimum}[op].reduce(np.stack(inputs))
    assert np.isnan(reduced).any() and np.isinf(reduced).any()  # the case holds both
    result = simulate(collective, inputs, algorithm=algorithm, op=op)
    for rank, got in enumerate(result.outputs):
        if collective == "reduce_scatter":
            want = reduced[rank]
        elif collective == "reduce" and rank != 0:
            want = None
        else:
            want = reduced
        if want is None:
            assert got is None
        else:
            assert np.array_equal(got, want, equal_nan=True), f"rank {rank}: {got} != {want}"


def test_a_correct_allreduce_with_nan_is_verified() -> None:
    """A ring all-reduce whose sums round unlike numpy's, one input holding NaN, is verified."""
    rng = np.random.default_rng(13)
    inputs = [rng.standard_normal(40) * 10 ** rng.uniform(-3, 3, 40) for _ in range(5)]
    inputs[2][7] = np.nan
    result = simulate("allreduce", inputs, algorithm="ring")
    expected = np.sum(inputs, axis=0)
    assert not np.array_equal(result.outputs[0], expected, equal_nan=True)  # rounding differs
    assert np.isnan(result.outputs[0][7]) and result.verified


def test_a_wrong_schedule_with_inf_is_not_verified() -> None:
    """A schedule that moves nothing is wrong, even where every input holds inf."""
    inputs = [np.array([1.0, np.inf, 3.0]) + rank for rank in range(3)]
    result = simulate("allreduce", inputs, algorithm="ring", schedule=lambda problem: [])
    assert result.num_steps == 0 and result.verified is False


@pytest.mark.parametrize(("actual", "expected", "match"), [
    ([np.nan, 1.0], [np.nan, 1.0], True),
    ([1.0, 1.0], [np.nan, 1.0], False),
    ([np.nan, 1.0], [2.0, 1.0], False),
    ([np.inf, -np.inf], [np.inf, -np.inf], True),
    ([-np.inf, 1.0], [np.inf, 1.0], False),
    ([1e38, 1.0], [np.inf, 1.0], False),
    ([np.inf, 1.0], [1e38, 1.0], False),
    ([np.inf, 1.0 + 1e-15], [np.inf, 1.0], True),
    ([np.inf, 2.0], [np.inf, 1.0], False),
    ([np.nan, 1e-3], [np.nan, 0.0], False),
], ids=["nan-nan", "number-for-nan", "nan-for-number", "infs", "inf-sign", "big-for-inf",
        "inf-for-big", "rounding-beside-inf", "wrong-beside-inf", "wrong-beside-nan"])
def test_non_finite_values_compare_exactly(actual: list, expected: list, match: bool) -> None:
    """NaN where NaN, inf of the same sign where inf; finite values within a tolerance scaled
    by the finite values alone."""
    got, want = np.array(actual), np.array(expected)
    assert results_match(got, want, 4) is match
    assert results_match(got.astype(np.float32), want.astype(np.float32), 4) is match


def test_complex_parts_compare_exactly() -> None:
    """A complex NaN or inf must be in the same part: nan+1j is not 1+nanj."""
    got = np.array([complex(np.nan, 1), complex(np.inf, 0), complex(1, 1)])
    want = np.array([complex(1, np.nan), complex(np.inf, 0), complex(1, 1)])
    assert elements_match(got, want, 2).tolist() == [False, True, True]
