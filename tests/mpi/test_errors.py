"""Bad input raises before any message, naming the rank that gave it; a message of another tag
or size is a MismatchError, never a truncated or wrong result; a wait has a deadline. (Ranks
that disagree run in jobs of their own: test_disagreement.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import FIRST

from collectives.errors import (
    CollectivesError,
    DeadlineError,
    InvalidInputError,
    MismatchError,
    UnknownAlgorithmError,
    UnsupportedError,
)
from collectives.mpi import Communicator
from collectives.mpi.auto import choose
from collectives.mpi.transport import TAG, CallSignature, TrafficCounter, Transport
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
    """Structured dtypes are UnsupportedError for 'mpi', fine for ours; float16 sums in both."""
    half = np.arange(4, dtype=np.float16)
    assert np.array_equal(solo.allreduce(half, algorithm="mpi"), half)
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


def _transport() -> tuple[Transport, MPI.Intracomm]:
    comm = MPI.COMM_SELF.Dup()
    comm.Set_errhandler(MPI.ERRORS_RETURN)
    return Transport(comm, ALLREDUCE, TrafficCounter(1)), comm


ALLREDUCE = CallSignature("allreduce", "ring", np.dtype(np.float32), 100, op="sum")


@pytest.mark.parametrize(("sent", "tag", "match"), [
    (100, 7, r"expected a message of allreduce/ring float32 x100 op sum from rank 0, got one "
             r"with tag 7, which this package does not send"),
    (99, TAG, r"expected 400 bytes from rank 0, got 396"),
    (101, TAG, r"expected 400 bytes from rank 0, got a longer message"),
], ids=["other-tag", "shorter", "longer"])
def test_transport_refuses_a_message_of_another_tag_or_size(sent: int, tag: int,
                                                            match: str) -> None:
    """A message with a tag this package does not send, or of another size, is a
    MismatchError, never data."""
    transport, comm = _transport()
    into = np.zeros(100, dtype=np.float32)
    request = comm.Isend([np.ones(sent, dtype=np.float32), MPI.BYTE], 0, tag)
    with pytest.raises(MismatchError, match=match):
        transport.recv(into, 0)
    request.Wait()


def test_a_wait_past_the_deadline_names_the_call_and_the_peer() -> None:
    """A receive no rank sends to ends in DeadlineError after the deadline, naming the call and
    the peer, instead of waiting for ever."""
    comm = MPI.COMM_SELF.Dup()
    transport = Transport(comm, ALLREDUCE, TrafficCounter(1), deadline=0.2)
    with pytest.raises(DeadlineError, match=r"allreduce/ring float32 x100 op sum expected a "
                                            r"message from rank 0 within 0\.2 s, got none"):
        transport.recv(np.zeros(100, dtype=np.float32), 0)


@pytest.mark.parametrize("deadline", [0, -1.0, "5", True])
def test_a_deadline_must_be_positive_seconds(deadline: object) -> None:
    """Communicator(deadline=...) takes seconds > 0 and refuses anything else."""
    with pytest.raises(InvalidInputError, match=r"expected a deadline in seconds > 0, got"):
        Communicator(MPI.COMM_SELF, deadline=deadline)  # type: ignore[arg-type]


def test_bad_input_names_the_rank_and_leaves_the_communicator_usable(solo: Communicator) -> None:
    """A refused call raises naming the rank that refused and why; the next call works."""
    with pytest.raises(InvalidInputError, match=r"^allreduce refused by rank 0: op 'band' "
                                                r"expected an integer dtype, got float64$"):
        solo.allreduce(X, op="band")
    assert np.array_equal(solo.allreduce(X), X)


@pytest.mark.parallel(2)
def test_bad_input_on_one_rank_raises_on_every_rank() -> None:
    """A rank that gives bad input makes every rank raise, naming it, before any message: the
    next call works and its traffic is that call's alone."""
    comm = Communicator(MPI.COMM_WORLD)
    with pytest.raises(InvalidInputError, match=r"broadcast refused by rank 1: broadcast "
                                                r"expected a root in 0\.\.1, got 2"):
        comm.broadcast(np.zeros(3), root=2 if comm.rank == 1 else 0)
    with comm.record_traffic():
        total = comm.allreduce(np.full(4, comm.rank + 1.0), algorithm="ring")
    assert np.array_equal(total, np.full(4, 3.0))
    assert np.array_equal(comm.traffic_matrix(), [[0, 32], [32, 0]])  # 2K - c(r+1) - c(r+2)


def test_broadcast_root_may_pass_a_read_only_or_strided_buffer(solo: Communicator) -> None:
    """The root only reads its buf, so a read-only or strided one is sent from a copy."""
    frozen = np.arange(4.0)
    frozen.flags.writeable = False
    for algorithm in ("binomial", "mpi"):
        assert solo.broadcast(frozen, algorithm=algorithm) is frozen
        strided = np.arange(8.0)[::2]
        assert np.array_equal(solo.broadcast(strided, algorithm=algorithm), [0, 2, 4, 6])


@pytest.mark.parallel(2)
def test_a_freed_communicator_refuses_calls_naming_free() -> None:
    """After free() each rank's calls raise a CollectivesError naming free(), not MPI's error
    on a null communicator (and no round of agreement is tried on it); free() again is
    harmless."""
    comm = Communicator(MPI.COMM_WORLD)
    comm.free()
    for call in (lambda: comm.allreduce(np.ones(3)), comm.traffic_matrix,
                 lambda: comm.broadcast(np.ones(2) if comm.rank == 0 else None)):
        with pytest.raises(CollectivesError, match=r"expected a communicator that was not "
                                                   r"freed, got one freed with free\(\)"):
            call()
    comm.free()
    assert comm.freed
