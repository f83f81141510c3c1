"""Cases and checks shared by the MPI tests: run one collective on every rank the way a caller
would (new result, ``out=``, in place, strided input), and compare it with numpy, with MPI's
built-in collective and with the simulator's traffic matrix.

Each check returns a list of failure lines naming the case (and N), so one launch reports every
case that went wrong instead of the first; ``gather_failures`` collects every rank's lines so that
all ranks assert alike and rank 0's message lists them all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from mpi4py import MPI
from world_cases import Case
from world_cases import runs_at as runs_at  # the MPI tests take it from here

from collectives.catalogue import CATALOGUE, REDUCING, ROOTED
from collectives.errors import UnsupportedError
from collectives.mpi import Communicator
from collectives.ops import Op, resolve_op
from collectives.sim import Simulation
from collectives.spec import Problem, example_inputs, expected_outputs, results_match

SIZES = [1, 2, 3, 4, 5, 8]

# Every catalogue (collective, algorithm) pair: one test each.
PAIRS: list[tuple[str, str]] = [(c, a) for c in CATALOGUE for a in CATALOGUE[c]]


def _affine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Composition of maps t -> re·t + im, stored as complex re + i·im: (a ∘ b)(t) = a(b(t))."""
    return a.real * b.real + 1j * (a.real * b.imag + a.imag)


FIRST = Op(lambda a, b: a, commutative=False, name="first")
AFFINE = Op(_affine, commutative=False, name="affine")
NON_COMMUTATIVE = (("int32", FIRST), ("complex128", AFFINE))

# (dtype, op) pairs of the reducing collectives; (dtype, None) for the others.
REDUCING_TYPES: tuple[tuple[str, Any], ...] = (
    ("float64", "sum"), ("int8", "sum"), ("int32", "max"), ("float32", "sum"),
    ("float64", "prod"), ("complex64", "sum"), ("bool", "land"), ("uint16", "bxor"),
    ("int64", "min"), ("float16", "sum"), ("float64", np.fmax),
)
MOVING_TYPES: tuple[tuple[str, Any], ...] = (
    ("float64", None), ("int8", None), ("bool", None), ("complex64", None), ("float16", None),
    ("uint32", None),
)


# The collectives that take out=x as "in place".
IN_PLACE = frozenset({"allreduce", "reduce", "alltoall"})


def counts_for(size: int) -> list[int]:
    """0, 1, fewer than N, not divisible by N, and larger."""
    return sorted({0, 1, max(size - 1, 0), 2 * size + 1, 24 * size + 5})


def cases_for(collective: str, algorithm: str, size: int,
              group_size: int | None = None) -> list[Case]:
    """Every root with every count (first dtype); every other dtype (and op) at one count; the
    other modes (out, in place, strided) and a 2-D block at one count; each passing
    ``group_size`` where one is given."""
    reducing = collective in REDUCING
    types = REDUCING_TYPES if reducing else MOVING_TYPES
    rooted = collective in ROOTED
    roots = list(range(size)) if rooted else [0]
    last, middle = (size - 1, size // 2) if rooted else (0, 0)
    dtype, op = types[0]
    count = 2 * size + 1  # not divisible by N
    cases = [Case(collective, algorithm, c, dtype, op, root)
             for root in roots for c in counts_for(size)]
    cases += [Case(collective, algorithm, count, t, o, last) for t, o in types[1:]]
    modes = ["out", "strided", *(["in_place"] if collective in IN_PLACE else [])]
    cases += [Case(collective, algorithm, count, dtype, op, middle, mode) for mode in modes]
    cases.append(Case(collective, algorithm, 6, dtype, op, last, block=(2, 3)))
    return [replace(case, group_size=group_size) for case in cases]


def problem_of(case: Case, size: int) -> Problem:
    """The Problem the case poses on ``size`` ranks."""
    op = resolve_op(case.op) if case.collective in REDUCING else None
    return Problem(case.collective, size, case.block or (case.count,), np.dtype(case.dtype),
                   case.root, op, group_size=case.group_size)


def inputs_of(case: Case, problem: Problem) -> list[np.ndarray | None]:
    """Every rank's input (values depend on rank and position), shaped for the case's blocks."""
    flat_inputs = example_inputs(case.collective, problem.ranks, problem.count, case.dtype,
                                 root=case.root, seed=problem.count)
    if case.op is AFFINE:  # small integers, so every composition is exact
        flat_inputs = [None if x is None else (x.real.round() % 3 + 1) + 1j * x.imag.round()
                       for x in flat_inputs]
    return [None if x is None else x.reshape(problem.input_shape(rank))
            for rank, x in enumerate(flat_inputs)]


def _strided(x: np.ndarray) -> np.ndarray:
    """A non-contiguous view holding the values of ``x``."""
    holder = np.zeros((*x.shape, 2), dtype=x.dtype)
    holder[..., 0] = x
    return holder[..., 0]


def run(comm: Communicator, case: Case, problem: Problem, x: np.ndarray | None,
        algorithm: str | None = None, mode: str | None = None) -> Any:
    """Make the case's call on this rank; returns what the call returned (and ``out`` if one
    was given, for the identity check)."""
    name, mode = algorithm or case.algorithm, mode or case.mode
    rank, collective = comm.rank, case.collective
    kwargs: dict[str, Any] = {"algorithm": name}
    if collective in ROOTED:
        kwargs["root"] = case.root
    if collective in REDUCING:
        kwargs["op"] = case.op
    if case.group_size is not None and name != "mpi":
        kwargs["group_size"] = case.group_size
    out_shape = problem.output_shape(rank)
    if mode == "strided" and x is not None:
        x = _strided(x)
    out = None
    if mode == "out" and out_shape is not None:
        out = np.ones(out_shape, dtype=problem.dtype)
        kwargs["out"] = out
    elif mode == "in_place" and x is not None:
        x = x.copy()
        out = kwargs["out"] = x
    if collective == "broadcast":
        if x is None:  # not the root
            buffer = np.zeros(problem.block_shape, dtype=problem.dtype)
            return comm.broadcast(None if out is not None else buffer, **kwargs), out
        return comm.broadcast(x if mode in ("strided", "out") else x.copy(), **kwargs), out
    if collective == "scatter" and x is None:
        if out is None:  # give an x shaped like the root's on odd ranks, out= on even ones
            if rank % 2:
                x = np.zeros(problem.input_shape(case.root), dtype=problem.dtype)
            else:
                out = kwargs["out"] = np.ones(problem.block_shape, dtype=problem.dtype)
        return comm.scatter(x, **kwargs), out
    return getattr(comm, collective)(x, **kwargs), out


@functools.lru_cache(maxsize=4096)
def simulated_traffic(collective: str, algorithm: str, size: int, count: int, dtype: str,
                      root: int, op: Any, group_size: int | None = None) -> np.ndarray:
    """The simulator's traffic matrix for the call (count-only)."""
    return Simulation.count_only(collective, ranks=size, count=count, dtype=dtype,
                                 algorithm=algorithm, op=op if op is not None else "sum",
                                 root=root, group_size=group_size).run().traffic


def check_case(comm: Communicator, case: Case,
               peers: MPI.Intracomm = MPI.COMM_WORLD) -> list[str]:
    """Run ``case`` with its algorithm and with MPI's built-in collective; the failures seen.
    ``peers`` is an mpi4py communicator of the same ranks, for comparing results across them."""
    size, rank = comm.size, comm.rank
    problem = problem_of(case, size)
    inputs = inputs_of(case, problem)
    expected = expected_outputs(problem, inputs)[rank]
    x = inputs[rank]
    before = None if x is None else x.copy()
    failures: list[str] = []
    name = f"N={size} {case}"

    with comm.record_traffic():
        result, out = run(comm, case, problem, x)
    measured = comm.traffic_matrix()
    if not results_match(result, expected, size):
        failures.append(f"{name}: rank {rank} result differs from numpy's")
    if out is not None and problem.has_output(rank) and result is not out:
        failures.append(f"{name}: rank {rank} did not return its out array")
    if before is not None and case.mode != "in_place" and not np.array_equal(x, before):
        failures.append(f"{name}: rank {rank} input was modified")
    if comm.last_algorithm != case.algorithm:
        failures.append(f"{name}: last_algorithm is {comm.last_algorithm!r}")
    op = problem.op if problem.op is None or not problem.op.predefined else problem.op.name
    simulated = simulated_traffic(case.collective, case.algorithm, size, problem.count,
                                  case.dtype, case.root, op, case.group_size)
    if not np.array_equal(measured, simulated):
        failures.append(f"{name}: traffic\n{measured}\ndiffers from the simulator's\n{simulated}")
    if case.collective == "allreduce" and len(set(peers.allgather(result.tobytes()))) != 1:
        failures.append(f"{name}: ranks hold different bits")

    try:
        builtin, _ = run(comm, case, problem, x, algorithm="mpi", mode="new")
    except UnsupportedError as error:
        builtin = None
        failures.append(f"{name}: MPI's built-in collective refused it: {error}")
    if builtin is not None and not results_match(builtin, expected, size):
        failures.append(f"{name}: rank {rank} MPI's built-in result differs from numpy's")
    if builtin is not None and not results_match(result, builtin, size):
        failures.append(f"{name}: rank {rank} result differs from MPI's built-in one")
    return failures


def check_non_commutative(comm: Communicator, collective: str, algorithm: str) -> list[str]:
    """Non-commutative ops keep rank order at every root (checked as for any case)."""
    roots = range(comm.size) if collective in ROOTED else [0]
    return check_cases(comm, [Case(collective, algorithm, 2 * comm.size + 1, dtype, op, root)
                              for dtype, op in NON_COMMUTATIVE for root in roots])


def check_cases(comm: Communicator, cases: Iterable[Case],
                peers: MPI.Intracomm = MPI.COMM_WORLD) -> list[str]:
    """``check_case`` for each case in turn; an exception is raised again naming its case."""
    failures: list[str] = []
    for case in cases:
        try:
            failures += check_case(comm, case, peers)
        except Exception as error:
            raise AssertionError(f"N={comm.size} {case}: raised {error!r}") from error
    return failures


def check_refusal(name: str, error: type[Exception], match: str,
                  call: Callable[[], object]) -> list[str]:
    """What ``pytest.raises(error, match=match)`` would check, as a failure line naming the
    case instead of an exception (for calls that refuse before sending anything)."""
    try:
        call()
    except Exception as raised:
        if isinstance(raised, error) and re.search(match, str(raised)):
            return []
        return [f"{name}: expected {error.__name__} matching {match!r}, got {raised!r}"]
    return [f"{name}: expected {error.__name__} matching {match!r}, nothing was raised"]


def gather_failures(failures: Sequence[str],
                    peers: MPI.Intracomm = MPI.COMM_WORLD) -> list[str]:
    """Every rank's failure lines (a line several ranks saw, once), on every rank, so every
    rank asserts the same and any rank's message lists them all."""
    gathered: list[str] = []
    for lines in peers.allgather(list(failures)):
        gathered += [line for line in lines if line not in gathered]
    return gathered


def report(failures: Sequence[str]) -> str:
    """The first failures, one per line, and how many there were."""
    return f"{len(failures)} failing cases:\n" + "\n".join(failures[:30])
