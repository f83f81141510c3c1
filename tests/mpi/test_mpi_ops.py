"""mpi4py's own ops (``MPI.SUM``, ..., a user ``MPI.Op.Create``) work with every reducing
collective and algorithm, or are refused naming what is expected (MAXLOC, MINLOC, REPLACE,
NO_OP, a null or freed op)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from mpi4py import MPI

from collectives.catalogue import CATALOGUE, REDUCING
from collectives.errors import InvalidInputError, UnsupportedError
from collectives.mpi import Communicator
from collectives.ops import OP_NAMES, Op, resolve_op
from collectives.sim import simulate
from collectives.spec import Problem, example_inputs, expected_outputs, results_match

# Each predefined op with the dtypes it is tried on.
DTYPES_OF = {"sum": ("float64", "int32"), "prod": ("float64", "int64"),
             "max": ("float64", "int16"), "min": ("float32", "uint8"),
             "land": ("bool", "int32"), "lor": ("bool", "int8"), "lxor": ("bool", "uint32"),
             "band": ("int64",), "bor": ("uint16",), "bxor": ("int32",)}
REFUSED = ("MAXLOC", "MINLOC", "REPLACE", "NO_OP", "OP_NULL")
REFUSAL = (r"expected one of MPI's reduction ops \(SUM, PROD, MAX, MIN, LAND, LOR, LXOR, BAND, "
           r"BOR, BXOR\) or a user op made with MPI\.Op\.Create, got MPI\.{}")


def _add_mod_7(inbuf: Any, inoutbuf: Any, datatype: MPI.Datatype) -> None:
    """A commutative user op on int64: inout = (in + inout) mod 7."""
    inout = np.frombuffer(inoutbuf, dtype=np.int64)
    inout[...] = (np.frombuffer(inbuf, dtype=np.int64) + inout) % 7


def _first(inbuf: Any, inoutbuf: Any, datatype: MPI.Datatype) -> None:
    """A non-commutative user op: in ∘ inout = in (the lower ranks' value wins)."""
    dtype = np.dtype(datatype.typechar)
    np.frombuffer(inoutbuf, dtype=dtype)[...] = np.frombuffer(inbuf, dtype=dtype)


# What the user ops compute, for numpy's answer.
ADD_MOD_7 = Op(lambda a, b: (a + b) % 7, name="add-mod-7")
FIRST = Op(lambda a, b: a, commutative=False, name="first")


@pytest.fixture(scope="module")
def solo() -> Communicator:
    """A communicator of one rank (this process alone)."""
    return Communicator(MPI.COMM_SELF)


@pytest.mark.parametrize("name", OP_NAMES)
def test_a_predefined_mpi_op_is_the_named_op(name: str) -> None:
    """MPI.SUM (and a fresh MPI.Op object for the same handle) is the op named 'sum'."""
    handle = getattr(MPI, name.upper())
    assert resolve_op(handle) == resolve_op(name) and resolve_op(handle).predefined
    assert resolve_op(MPI.Op(handle)) == resolve_op(name)


@pytest.mark.parametrize("handle", REFUSED)
def test_mpi_ops_that_do_not_reduce_values_are_refused(solo: Communicator, handle: str) -> None:
    """MAXLOC, MINLOC, REPLACE, NO_OP and OP_NULL are refused naming the ops expected, and the
    communicator stays usable."""
    x = np.arange(4, dtype=np.float64)
    with pytest.raises(InvalidInputError, match=REFUSAL.format(handle)):
        solo.allreduce(x, op=getattr(MPI, handle))
    assert np.array_equal(solo.allreduce(x, op=MPI.SUM), x)


def test_a_freed_user_op_is_refused() -> None:
    """A user op freed before the call is refused as a null or freed op."""
    op = MPI.Op.Create(_add_mod_7, commute=True)
    op.Free()
    with pytest.raises(InvalidInputError, match=REFUSAL.format(r"OP_NULL \(a null or freed op\)")):
        resolve_op(op)


def _check(comm: Communicator, collective: str, algorithm: str, op: Any, label: str,
           ours: Op, dtype: str) -> str | None:
    """Run one call with ``op``; a line naming the case if its result is not numpy's."""
    size = comm.size
    problem = Problem(collective, size, (2 * size + 1,), np.dtype(dtype), op=ours)
    inputs = example_inputs(collective, size, problem.count, dtype, seed=3)
    expected = expected_outputs(problem, inputs)[comm.rank]
    case = f"{collective}/{algorithm} op={label} {dtype}"
    try:
        result = getattr(comm, collective)(inputs[comm.rank], op=op, algorithm=algorithm)
    except Exception as error:  # reported with the case's name
        return f"{case}: rank {comm.rank} raised {type(error).__name__}: {error}"
    if not results_match(result, expected, size):
        return f"{case}: rank {comm.rank} got {result}, expected {expected}"
    return None


@pytest.mark.parallel(3)
def test_every_mpi_op_with_every_algorithm() -> None:
    """Every predefined MPI.Op and a user MPI.Op.Create op give numpy's answer with every
    reducing collective and algorithm (auto and mpi too); a non-commutative user op runs where
    rank order is kept and is refused elsewhere."""
    comm = Communicator(MPI.COMM_WORLD)
    add_mod_7 = MPI.Op.Create(_add_mod_7, commute=True)
    first = MPI.Op.Create(_first, commute=False)
    failures: list[str] = []
    try:
        for collective in sorted(REDUCING):  # a set: its order differs rank to rank
            for algorithm in ["auto", *comm.algorithms(collective)]:
                cases = [(getattr(MPI, name.upper()), f"MPI.{name.upper()}", resolve_op(name),
                          dtype) for name in OP_NAMES for dtype in DTYPES_OF[name]]
                cases.append((add_mod_7, "MPI.Op.Create(add-mod-7)", ADD_MOD_7, "int64"))
                info = CATALOGUE[collective].get(algorithm)
                if info is None or info.keeps_rank_order:  # auto and mpi keep it too
                    cases.append((first, "MPI.Op.Create(first)", FIRST, "float64"))
                else:
                    x = np.zeros((comm.size, 2))
                    with pytest.raises(UnsupportedError, match=r"non-commutative op 'mpi-user'"):
                        getattr(comm, collective)(x, op=first, algorithm=algorithm)
                for op, label, ours, dtype in cases:
                    failure = _check(comm, collective, algorithm, op, label, ours, dtype)
                    if failure is not None:
                        failures.append(failure)
    finally:
        add_mod_7.Free()
        first.Free()
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures[:12])


def _with_nan(rank: int, size: int, count: int, dtype: str) -> np.ndarray:
    """Rank-dependent values with NaN on one rank, on every rank or on none, and infinities."""
    position = np.arange(count)
    x = (np.sin(position * 0.7 + rank) * 100 + rank).astype(dtype)
    kind = position % 8
    x[(kind == 0) & (rank == 0)] = np.nan  # on one rank: the first,
    x[(kind == 1) & (rank == size - 1)] = np.nan  # the last,
    x[(kind == 6) & (rank == (position // 8) % size)] = np.nan  # or each in turn
    x[kind == 2] = np.nan  # on every rank
    x[(kind == 3) & (rank == 0)] = np.inf
    x[(kind == 4) & (rank == 0)] = np.nan
    x[(kind == 4) & (rank == size - 1)] = -np.inf
    x[(kind == 7) & (rank == 0)] = -np.inf
    x[(kind == 7) & (rank == 1 % size)] = np.inf
    return x


@pytest.mark.parallel([2, 3])
def test_max_and_min_propagate_nan_with_every_algorithm() -> None:
    """max and min give NaN wherever any rank holds one (numpy's rule), with every reducing
    collective and algorithm, MPI's built-in one included, at small and large counts."""
    comm = Communicator(MPI.COMM_WORLD)
    size, rank = comm.size, comm.rank
    failures: list[str] = []
    for collective in sorted(REDUCING):  # a set: its order differs rank to rank
        for op in ("max", "min"):
            for dtype in ("float64", "float32"):
                for count in (8 * size + 3, 3001):
                    blocks = size if collective == "reduce_scatter" else 1
                    inputs = [_with_nan(r, size, blocks * count, dtype) for r in range(size)]
                    problem = Problem(collective, size, (count,), np.dtype(dtype),
                                      op=resolve_op(op))
                    shaped = [x.reshape(problem.input_shape(r)) for r, x in enumerate(inputs)]
                    expected = expected_outputs(problem, shaped)[rank]
                    results = {}
                    algorithms = ["mpi", "auto", *comm.algorithms(collective)]
                    for algorithm in dict.fromkeys(algorithms):  # mpi first, once
                        results[algorithm] = got = getattr(comm, collective)(
                            shaped[rank], op=op, algorithm=algorithm)
                        case = f"{collective}/{algorithm} op={op} {dtype} count={count}"
                        if expected is None:
                            continue
                        if not np.array_equal(got, expected, equal_nan=True):
                            failures.append(f"{case}: rank {rank} differs from numpy's at "
                                            f"{np.flatnonzero(~_same(got, expected))[:8]}")
                        elif not np.array_equal(got, results["mpi"], equal_nan=True):
                            failures.append(f"{case}: rank {rank} differs from MPI's built-in")
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures[:12])


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element by element: equal, or NaN in both."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _near_the_limits(rank: int, size: int, count: int, dtype: str) -> np.ndarray:
    """Rank-dependent integers near the dtype's largest value (and, if signed, its smallest),
    so that a sum over two ranks or more overflows at almost every position."""
    info = np.iinfo(dtype)
    position = np.arange(count)
    offset = (position * 37 + rank * 101) % (int(info.max) // 4 + 1)
    x = info.max - offset
    if info.min < 0:
        x = np.where(position % 2 == 1, info.min + offset, x)
    return x.astype(dtype)


# Open MPI's own MPI_SUM saturates on these dtypes once a count fills a 16-byte vector: one count
# too small for that, one large enough.
@pytest.mark.parallel([2, 3])
def test_small_integer_sums_wrap_with_every_algorithm() -> None:
    """Sums of int8 to uint16 wrap as numpy's do with every reducing algorithm, mpi included."""
    comm = Communicator(MPI.COMM_WORLD)
    size, rank = comm.size, comm.rank
    failures: list[str] = []
    for collective in sorted(REDUCING):  # a set: its order differs rank to rank
        for dtype in ("int8", "uint8", "int16", "uint16"):
            for count in (2 * size + 1, 1001):
                blocks = size if collective == "reduce_scatter" else 1
                inputs = [_near_the_limits(r, size, blocks * count, dtype) for r in range(size)]
                problem = Problem(collective, size, (count,), np.dtype(dtype),
                                  op=resolve_op("sum"))
                shaped = [x.reshape(problem.input_shape(r)) for r, x in enumerate(inputs)]
                expected = expected_outputs(problem, shaped)[rank]
                for algorithm in dict.fromkeys(["mpi", "auto", *comm.algorithms(collective)]):
                    got = getattr(comm, collective)(shaped[rank], op="sum", algorithm=algorithm)
                    if expected is not None and not np.array_equal(got, expected):
                        failures.append(f"{collective}/{algorithm} {dtype} count={count}: rank "
                                        f"{rank} differs from numpy's at "
                                        f"{np.flatnonzero(got != expected)[:8]}")
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures[:12])


@pytest.mark.parallel([2, 3])
def test_signed_zeros_under_max_and_min_give_every_rank_the_simulators_bits() -> None:
    """max and min of -0.0 and +0.0 (equal under IEEE) give each rank the same zero with every
    all-reduce algorithm of this package, bit for bit the simulator's; which zero depends on the
    algorithm's order of combining (MPI's built-in may give ranks different zeros)."""
    comm = Communicator(MPI.COMM_WORLD)
    size, rank = comm.size, comm.rank
    position = np.arange(8 * size)
    inputs = [np.where((position + r) % 2 == 0, -0.0, 0.0) for r in range(size)]
    failures: list[str] = []
    for op in ("max", "min"):
        for algorithm in comm.algorithms("allreduce"):
            if algorithm == "mpi":
                continue
            signs = np.signbit(comm.allreduce(inputs[rank], op=op, algorithm=algorithm))
            simulated = simulate("allreduce", inputs, algorithm=algorithm, op=op).outputs
            every_rank = MPI.COMM_WORLD.allgather(signs.tolist())
            if any(other != every_rank[0] for other in every_rank):
                failures.append(f"{algorithm} {op}: ranks got different zeros")
            if signs.tolist() != np.signbit(simulated[rank]).tolist():
                failures.append(f"{algorithm} {op}: rank {rank}'s zeros are not the simulator's")
    assert not failures, "\n".join(failures)
