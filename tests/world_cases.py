"""Calls shared by the simulated world's tests (MPI-free): each case is one collective call that
every rank makes the way a caller would (a new result, ``out=``, in place, a strided input),
with inputs whose values depend on rank and position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from collectives.catalogue import CATALOGUE, REDUCING, ROOTED
from collectives.fold import is_power_of_two
from collectives.ops import Op, resolve_op
from collectives.spec import Problem, example_inputs

# Every catalogue (collective, algorithm) pair.
PAIRS: list[tuple[str, str]] = [(c, a) for c in CATALOGUE for a in CATALOGUE[c]]

FIRST = Op(lambda a, b: a, commutative=False, name="first")

REDUCING_TYPES: tuple[tuple[str, Any], ...] = (
    ("float64", "sum"), ("int8", "sum"), ("int32", "max"), ("float32", "prod"),
    ("complex64", "sum"), ("bool", "lor"), ("uint16", "bxor"),
)
MOVING_TYPES: tuple[tuple[str, Any], ...] = (
    ("float64", None), ("int8", None), ("bool", None), ("complex64", None),
)
IN_PLACE = frozenset({"allreduce", "reduce", "alltoall"})


@dataclass(frozen=True)
class Case:
    """One call: every rank makes it with the same arguments (the simulated world's tests and,
    through tests/mpi/mpi_cases.py, the MPI side's)."""

    collective: str
    algorithm: str
    count: int
    dtype: str
    op: Any = None
    root: int = 0
    mode: str = "new"  #: new, out, in_place or strided
    block: tuple[int, ...] | None = None  #: a block shape of ``count`` elements, else (count,)
    group_size: int | None = None  #: G passed as ``group_size=`` (None: not passed)

    def __str__(self) -> str:
        op = getattr(self.op, "name", getattr(self.op, "__name__", self.op))
        return (f"{self.collective}/{self.algorithm} count={self.count} {self.dtype}"
                + (f" op={op}" if self.op is not None else "")
                + (f" root={self.root}" if self.collective in ROOTED else "")
                + f" mode={self.mode}" + (f" block={self.block}" if self.block else "")
                + (f" group_size={self.group_size}" if self.group_size else ""))

    def problem(self, size: int) -> Problem:
        """The Problem the case poses on ``size`` ranks."""
        op = resolve_op(self.op) if self.collective in REDUCING else None
        return Problem(self.collective, size, self.block or (self.count,),
                       np.dtype(self.dtype), self.root, op, group_size=self.group_size)

    def inputs(self, size: int) -> list[np.ndarray | None]:
        """Every rank's input, shaped for the case's blocks."""
        problem = self.problem(size)
        flat_inputs = example_inputs(self.collective, size, problem.count, self.dtype,
                                     root=self.root, seed=problem.count)
        return [None if x is None else x.reshape(problem.input_shape(rank))
                for rank, x in enumerate(flat_inputs)]


def runs_at(collective: str, algorithm: str, size: int) -> bool:
    """False where the algorithm refuses N (one that needs a power of two)."""
    return is_power_of_two(size) or not CATALOGUE[collective][algorithm].needs_power_of_two


def cases_for(collective: str, algorithm: str, size: int) -> list[Case]:
    """Counts 0, 1, N - 1 and 2N + 1 at roots 0 and N - 1; every other dtype (and op); the
    other modes; a 2-D block; a non-commutative op where the algorithm keeps rank order."""
    reducing = collective in REDUCING
    types = REDUCING_TYPES if reducing else MOVING_TYPES
    roots = sorted({0, size - 1}) if collective in ROOTED else [0]
    dtype, op = types[0]
    count = 2 * size + 1
    cases = [Case(collective, algorithm, c, dtype, op, root)
             for root in roots for c in sorted({0, 1, max(size - 1, 0), count})]
    cases += [Case(collective, algorithm, count, t, o, roots[-1]) for t, o in types[1:]]
    modes = ["out", "strided", *(["in_place"] if collective in IN_PLACE else [])]
    cases += [Case(collective, algorithm, count, dtype, op, size // 2, mode) for mode in modes]
    cases.append(Case(collective, algorithm, 6, dtype, op, roots[-1], block=(2, 3)))
    if reducing and CATALOGUE[collective][algorithm].keeps_rank_order:
        cases.append(Case(collective, algorithm, count, "int32", FIRST, roots[-1]))
    return cases


def _strided(x: np.ndarray) -> np.ndarray:
    """A non-contiguous view holding the values of ``x``."""
    holder = np.zeros((*x.shape, 2), dtype=x.dtype)
    holder[..., 0] = x
    return holder[..., 0]


def call(comm: Any, case: Case, x: np.ndarray | None, algorithm: str | None = None) -> Any:
    """Make the case's call on this rank (``comm`` of either world); what it returned."""
    problem = case.problem(comm.size)
    rank, collective = comm.rank, case.collective
    kwargs: dict[str, Any] = {"algorithm": algorithm or case.algorithm}
    if collective in ROOTED:
        kwargs["root"] = case.root
    if collective in REDUCING:
        kwargs["op"] = case.op
    out_shape = problem.output_shape(rank)
    if case.mode == "strided" and x is not None:
        x = _strided(x)
    out = None
    if case.mode == "out" and out_shape is not None:
        out = kwargs["out"] = np.ones(out_shape, dtype=problem.dtype)
    elif case.mode == "in_place" and x is not None:
        x = x.copy()
        out = kwargs["out"] = x
    if collective == "broadcast":
        if x is None:
            buffer = np.zeros(problem.block_shape, dtype=problem.dtype)
            result = comm.broadcast(None if out is not None else buffer, **kwargs)
        else:
            result = comm.broadcast(x if case.mode in ("strided", "out") else x.copy(),
                                    **kwargs)
    elif collective == "scatter" and x is None:
        if out is None:  # an x shaped like the root's on odd ranks, out= on even ones
            if rank % 2:
                x = np.zeros(problem.input_shape(case.root), dtype=problem.dtype)
            else:
                out = kwargs["out"] = np.ones(problem.block_shape, dtype=problem.dtype)
        result = comm.scatter(x, **kwargs)
    else:
        result = getattr(comm, collective)(x, **kwargs)
    if out is not None and problem.has_output(rank):
        assert result is out, f"{case}: rank {rank} did not return its out array"
    return None if result is None else result.copy()


def run_cases(comm: Any, cases: list[Case], repeat: int = 1) -> list[Any]:
    """Every case ``repeat`` times in a row on this rank; the results in order."""
    results = []
    for case in cases:
        x = case.inputs(comm.size)[comm.rank]
        for _ in range(repeat):
            results.append(call(comm, case, x))
    return results


def same_bits(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Equal shape, dtype and bytes (NaN equals NaN)."""
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
