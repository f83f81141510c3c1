"""``algorithm="auto"``, the default: a latency algorithm below each threshold, the bandwidth
algorithm from it up, a rank-order one for a non-commutative op, only algorithms that take the
call; the choice shows in ``last_algorithm`` and the result is numpy's."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import FIRST

from collectives.catalogue import COLLECTIVES, REDUCING, ROOTED
from collectives.mpi import Communicator
from collectives.mpi.auto import AUTO, LARGE, SMALL, choose
from collectives.ops import resolve_op
from collectives.spec import Problem, example_inputs, expected_outputs, results_match

SUM = resolve_op("sum")


@pytest.mark.parametrize("collective", sorted(SMALL))
@pytest.mark.parametrize("size", [2, 3, 4, 8])
def test_threshold_splits_small_from_large(collective: str, size: int) -> None:
    """One byte below the threshold a latency candidate runs; at the threshold the large one."""
    threshold, candidates = SMALL[collective]
    op = SUM if collective in REDUCING else None
    assert choose(collective, threshold - 1, size, op) in candidates
    assert choose(collective, threshold, size, op) == LARGE[collective]
    assert choose(collective, 0, size, op) in candidates


def test_non_commutative_ops_get_a_rank_order_algorithm() -> None:
    """Ring, pairwise and recursive halving rotate the order: a non-commutative op gets the
    binomial or tree algorithms at every size."""
    for nbytes in (8, 2**30):
        assert choose("allreduce", nbytes, 4, FIRST) == "tree"
        assert choose("reduce_scatter", nbytes, 4, FIRST) == "binomial"


@pytest.mark.parametrize("collective", [c for c in COLLECTIVES if c not in SMALL])
def test_other_collectives_keep_one_algorithm(collective: str) -> None:
    """Without a measured threshold, a collective runs its one default at every size."""
    assert {choose(collective, nbytes, 4) for nbytes in (0, 4096, 2**30)} == {LARGE[collective]}


@pytest.mark.parallel([3, 4])
def test_default_calls_run_the_choice_and_match_numpy() -> None:
    """A call naming no algorithm (or 'auto') runs choose(...)'s algorithm, reported by
    last_algorithm, with numpy's result, for every collective at a small and a large size."""
    comm = Communicator(MPI.COMM_WORLD)
    n, rank = comm.size, comm.rank
    failures = []
    for collective in COLLECTIVES:
        for count in (5, 3 * 2**20 // n):  # 20 bytes and about 3 MiB in float32
            op = SUM if collective in REDUCING else None
            problem = Problem(collective, n, (count,), np.dtype(np.float32), n - 1, op)
            inputs = example_inputs(collective, n, count, "float32", root=n - 1)
            kwargs = {"root": n - 1} if collective in ROOTED else {}
            x = inputs[rank]
            if collective == "broadcast" and x is None:
                x = np.zeros(count, dtype=np.float32)
            if collective == "scatter" and x is None:
                result = comm.scatter(None, out=np.empty(count, np.float32), algorithm=AUTO,
                                      **kwargs)
            else:
                result = getattr(comm, collective)(x, **kwargs)
            expected = choose(collective, problem.nbytes, n, op)
            if comm.last_algorithm != expected:
                failures.append(f"{collective} x{count}: ran {comm.last_algorithm}, "
                                f"expected {expected}")
            if not results_match(result, expected_outputs(problem, inputs)[rank], n):
                failures.append(f"{collective} x{count}: result differs from numpy's")
    assert not failures, failures
