"""Bad input raises on the rank that gave it, before any message; ranks that disagree on a call
get a MismatchError, never a truncated or wrong result."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import FIRST

from collectives.errors import (
    CollectivesError,
    InvalidInputError,
    MismatchError,
    UnknownAlgorithmError,
    UnsupportedError,
)
from collectives.mpi import Communicator
from collectives.mpi.auto import choose
from collectives.mpi.transport import CallSignature, TrafficCounter, Transport
from collectives.ops import resolve_op


@pytest.fixture(scope="module")
def solo() -> Communicator:
    """A communicator of one rank (this process alone)."""
    return Communicator(MPI.COMM_SELF)


X = np.arange(6, dtype=np.float64)
BAD_CALLS = [
    ("allreduce", {"algorithm": "nope"}, UnknownAlgorithmError,
     r"expected one of the MPI allreduce algorithms \(.*mpi.*\), got 'nope'"),
    ("allreduce", {"op": "avg"}, InvalidInputError, r"expected an op named one of .*got 'avg'"),
    ("allreduce", {"op": "band"}, InvalidInputError, r"op 'band' expected an integer dtype"),
    ("reduce", {"root": 1}, InvalidInputError, r"expected a root in 0\.\.0, got 1"),
    ("gather", {"root": -1}, InvalidInputError, r"expected a root in 0\.\.0, got -1"),
    ("reduce_scatter", {}, InvalidInputError, r"expected an input of shape \(1, \.\.\.\)"),
    ("alltoall", {}, InvalidInputError, r"expected an input of shape \(1, \.\.\.\)"),
    ("scatter", {}, InvalidInputError, r"expected an input of shape \(1, \.\.\.\)"),
    ("allreduce", {"out": np.zeros(12)[::2]}, InvalidInputError, r"expected out to be "
     r"C-contiguous"),
    ("allreduce", {"out": np.zeros(5)}, InvalidInputError, r"expected out of shape \(6,\), got "
     r"\(5,\)"),
    ("allreduce", {"out": np.zeros(6, np.float32)}, InvalidInputError,
     r"expected out of dtype float64, got float32"),
    ("allgather", {"out": np.zeros((1, 5))}, InvalidInputError, r"expected out of shape"),
    ("allreduce", {"out": np.zeros((6, 2))[:, 0]}, InvalidInputError, "C-contiguous"),
    ("allreduce", {"op": FIRST, "algorithm": "ring"}, UnsupportedError,
     r"non-commutative op 'first'; use algorithm 'tree'"),
]


@pytest.mark.parametrize(("collective", "kwargs", "error", "match"), BAD_CALLS,
                         ids=[f"{c}-{'-'.join(k)}" for c, k, _, _ in BAD_CALLS])
def test_bad_input_raises_before_any_message(solo: Communicator, collective: str, kwargs: dict,
                                             error: type, match: str) -> None:
    """Bad input raises a clear error and leaves the communicator usable."""
    with pytest.raises(error, match=match):
        getattr(solo, collective)(X, **kwargs)
    assert np.array_equal(solo.allreduce(X), X)


def test_read_only_and_overlapping_out_are_refused(solo: Communicator) -> None:
    """An out that cannot be written, or that overlaps x without being x, is refused."""
    frozen = np.zeros(6)
    frozen.flags.writeable = False
    with pytest.raises(InvalidInputError, match="expected out to be writeable"):
        solo.allreduce(X, out=frozen)
    holder = np.arange(8, dtype=np.float64)
    with pytest.raises(InvalidInputError, match=r"expected out to be x itself .* or memory apart"):
        solo.allreduce(holder[:6], out=holder[2:])


def test_dtypes_mpi_cannot_take_are_refused_by_the_builtin_only(solo: Communicator) -> None:
    """float16 reductions and structured dtypes are UnsupportedError for 'mpi', fine for ours."""
    half = np.arange(4, dtype=np.float16)
    with pytest.raises(UnsupportedError, match="expected a dtype MPI can reduce with 'sum', got "
                                               "float16"):
        solo.allreduce(half, algorithm="mpi")
    assert np.array_equal(solo.allreduce(half, algorithm="ring"), half)
    pairs = np.zeros(3, dtype=[("a", np.int32), ("b", np.float64)])
    with pytest.raises(UnsupportedError, match="expected a dtype with an MPI datatype"):
        solo.allgather(pairs, algorithm="mpi")
    assert solo.allgather(pairs, algorithm="ring").shape == (1, 3)
    with pytest.raises(InvalidInputError, match="expected a dtype of plain bytes"):
        solo.allgather(np.array([object()]))


def test_defaults_and_last_algorithm(solo: Communicator) -> None:
    """auto by default (for a small all-reduce, the small-message algorithm the thresholds name);
    a non-commutative op runs the rank-order tree; last_algorithm says so."""
    solo.allreduce(X)
    assert (solo.last_collective, solo.last_algorithm) == ("allreduce", "recursive_doubling")
    assert solo.last_algorithm == choose("allreduce", X.nbytes, 1, resolve_op("sum"))
    solo.allreduce(X, op=FIRST)
    assert solo.last_algorithm == "tree"
    solo.reduce_scatter(X.reshape(1, 6), op=FIRST)
    assert solo.last_algorithm == "binomial"
    solo.broadcast(X.copy(), algorithm="mpi")
    assert (solo.last_collective, solo.last_algorithm) == ("broadcast", "mpi")


def test_in_place_calls_write_x_and_return_it(solo: Communicator) -> None:
    """out=x is in place for allreduce, reduce and alltoall; broadcast is in place by nature."""
    for collective, x in (("allreduce", X.copy()), ("reduce", X.copy()),
                          ("alltoall", X.reshape(1, 6).copy())):
        assert getattr(solo, collective)(x, out=x) is x
    buf = X.copy()
    assert solo.broadcast(buf) is buf


def _transports(signatures: tuple[CallSignature, CallSignature]) -> tuple[Transport, Transport]:
    comm = MPI.COMM_SELF.Dup()
    comm.Set_errhandler(MPI.ERRORS_RETURN)
    return tuple(Transport(comm, s, TrafficCounter(1)) for s in signatures)  # type: ignore


ALLREDUCE = CallSignature("allreduce", "ring", np.dtype(np.float32), 100, op="sum")


@pytest.mark.parametrize(("other", "sent", "match"), [
    (CallSignature("allreduce", "tree", np.dtype(np.float32), 100, op="sum"), 100,
     r"expected a message of allreduce/ring float32 x100 op sum from rank 0, got one of a "
     r"different call \(400 bytes, expected 400\): ranks disagree"),
    (ALLREDUCE, 99, r"expected 400 bytes from rank 0, got 396"),
    (ALLREDUCE, 101, r"expected 400 bytes from rank 0, got a longer message"),
], ids=["other-call", "shorter", "longer"])
def test_transport_refuses_a_message_of_another_call_or_size(other: CallSignature, sent: int,
                                                             match: str) -> None:
    """A message with another call's tag or another size is a MismatchError, never data."""
    receiver, sender = _transports((ALLREDUCE, other))
    into = np.zeros(100, dtype=np.float32)
    request = sender.isend(np.ones(sent, dtype=np.float32), 0)
    with pytest.raises(MismatchError, match=match):
        receiver.recv(into, 0)
    request.Wait()


@pytest.mark.parallel(2)
def test_bad_input_on_one_rank_and_ranks_that_disagree() -> None:
    """A rank that gives bad input raises alone and sends nothing: the next call still works.
    Two ranks disagreeing on count, dtype or algorithm each raise MismatchError; the
    communicator then refuses further calls."""
    comm = Communicator(MPI.COMM_WORLD)
    if comm.rank == 1:
        with pytest.raises(InvalidInputError, match=r"scatter expected, on rank 1 .* got neither"):
            comm.scatter(None, root=0)
        with pytest.raises(InvalidInputError, match=r"expected a root in 0\.\.1, got 2"):
            comm.broadcast(np.zeros(3), root=2)
    with comm.record_traffic():
        total = comm.allreduce(np.full(4, comm.rank + 1.0))
    assert np.array_equal(total, np.full(4, 3.0))
    assert np.array_equal(comm.traffic_matrix(), [[0, 32], [32, 0]])  # 2K - c(r+1) - c(r+2)

    rank = MPI.COMM_WORLD.rank
    calls = [
        {"x": np.ones(100 + rank, np.float32)},
        {"x": np.ones(100, [np.float32, np.int32][rank])},
        {"x": np.ones(100, np.float32), "algorithm": ["ring", "tree"][rank]},
    ]
    for kwargs in calls:
        comm = Communicator(MPI.COMM_WORLD)
        with pytest.raises(MismatchError, match="got one of a different call"):
            comm.allreduce(**kwargs)
        with pytest.raises(CollectivesError, match="make a new Communicator"):
            comm.allreduce(np.ones(3))


def test_broadcast_root_may_pass_a_read_only_or_strided_buffer(solo: Communicator) -> None:
    """The root only reads its buf, so a read-only or strided one is sent from a copy."""
    frozen = np.arange(4.0)
    frozen.flags.writeable = False
    for algorithm in ("binomial", "mpi"):
        assert solo.broadcast(frozen, algorithm=algorithm) is frozen
        strided = np.arange(8.0)[::2]
        assert np.array_equal(solo.broadcast(strided, algorithm=algorithm), [0, 2, 4, 6])
