"""Thousands of back-to-back calls mixing collectives, algorithms, counts and roots: no
deadlock, and no message of one call is taken by another."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from collectives.catalogue import COLLECTIVES, REDUCING, ROOTED, runnable_algorithms
from collectives.mpi import Communicator
from collectives.ops import resolve_op
from collectives.spec import Problem, example_inputs, expected_outputs, results_match

CALLS = 3000


@pytest.mark.parallel(5)
def test_thousands_of_mixed_calls_back_to_back() -> None:
    """Every one of 3000 calls, made without any barrier in between, gives numpy's result."""
    comm = Communicator(MPI.COMM_WORLD)
    n, rank = comm.size, comm.rank
    choices = [(c, a) for c in COLLECTIVES  # every algorithm that runs on N = 5 with sum
               for a in runnable_algorithms(c, comm.algorithms(c), resolve_op("sum"), n)[0]]
    rng = np.random.default_rng(2024)  # the same sequence of calls on every rank
    wrong = []
    for index in range(CALLS):
        collective, algorithm = choices[rng.integers(len(choices))]
        count, root = int(rng.integers(0, 6)), int(rng.integers(n))
        dtype = ("int32", "float64", "int8")[index % 3]
        op = resolve_op("sum") if collective in REDUCING else None
        problem = Problem(collective, n, (count,), np.dtype(dtype), root, op)
        inputs = example_inputs(collective, n, count, dtype, root=root, seed=index)
        kwargs = {"algorithm": algorithm, **({"root": root} if collective in ROOTED else {})}
        x = inputs[rank]
        if collective == "broadcast":
            result = comm.broadcast(x if x is not None else np.empty(count, dtype), **kwargs)
        elif collective == "scatter" and x is None:
            result = comm.scatter(None, out=np.empty(count, dtype), **kwargs)
        else:
            result = getattr(comm, collective)(x, **kwargs)
        if not results_match(result, expected_outputs(problem, inputs)[rank], n):
            wrong.append(f"call {index}: {collective}/{algorithm} count={count} root={root}")
    assert not wrong, f"{len(wrong)} wrong results on rank {rank}: {wrong[:10]}"
