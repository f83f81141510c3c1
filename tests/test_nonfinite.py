"""Non-finite values in the simulator: max and min propagate NaN with every algorithm."""

from __future__ import annotations

import numpy as np
import pytest
from sim_cases import ALGORITHMS

from collectives.catalogue import REDUCING
from collectives.sim import simulate

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
