"""The thin per-call transport every algorithm sends and receives through.

The ranks have agreed on the call before its first message
(:mod:`collectives.mpi.agreement`), so every message carries one tag, :data:`TAG`. A receive is
posted for the named source with any tag (``MPI.ANY_TAG``) before the matching send starts, and
its status is checked once it completes; a message of another tag, or of a byte count other than
the one expected, is a :class:`MismatchError` ("expected 400 bytes from rank 2, got 396"), and a
longer message, which MPI refuses as truncated, gives the same error. It is raised before the
algorithm uses what arrived, so no result is built from wrong data. Messages travel as raw bytes
(``MPI.BYTE``), so any numpy dtype moves; zero-length messages are sent like any other. MPI keeps
the messages from one source in order, and every receive names its source, so the messages of
consecutive calls cannot cross.

Every wait polls with a deadline (:mod:`collectives.mpi.deadline`): a peer that left the call
midway (an exception there that its program caught) turns into a :class:`DeadlineError` naming
the call and the peer, never a hang.

A call that fails midway (an exception in its reduction, a deadline) may leave requests
started: a peer may still read a send's buffer (a large message travels when the receiver asks
for it) and a message may still arrive into a receive's. The transport keeps every request of
the call until the call completes, and mpi4py keeps a request's buffer alive while the request
lives, so after a failure those buffers stay allocated (the communicator takes no further call)
and no peer reads freed memory, nor does MPI write into it.

While a recording is on, the transport adds the bytes of every send to its peer's counter.

Waiting: MPI waits by polling, which keeps a core busy. A ``patient`` transport (the
communicator makes one when this node runs more ranks than it has cores) gives the core away
(``os.sched_yield``) between polls, so a rank that only waits leaves the core to one that is
copying; it costs one system call per poll, and a message may be seen up to a scheduler slice
later. What it did to a broadcast on the benchmark machine: docs/mpi.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

from collectives.errors import DeadlineError, MismatchError
from collectives.mpi.deadline import DEFAULT_DEADLINE, poll

TAG = 1  #: the tag of every message this package sends


@dataclass(frozen=True)
class CallSignature:
    """What every rank agrees on for one call, as error messages name it."""

    collective: str
    algorithm: str
    dtype: np.dtype
    count: int
    root: int | None = None
    op: str | None = None

    def describe(self) -> str:
        """``allreduce/ring float32 x100`` (with root and op where they apply)."""
        text = f"{self.collective}/{self.algorithm} {np.dtype(self.dtype)} x{self.count}"
        if self.root is not None:
            text += f" root {self.root}"
        if self.op is not None:
            text += f" op {self.op}"
        return text

    def __str__(self) -> str:
        return self.describe()


class TrafficCounter:
    """Bytes this rank sent to each peer while a recording was on."""

    def __init__(self, size: int) -> None:
        self.sent = np.zeros(size, dtype=np.int64)
        self.recording = False

    def start(self) -> None:
        """Zero the counters and start counting."""
        self.sent[:] = 0
        self.recording = True

    def stop(self) -> None:
        """Stop counting (the counts stay until the next start)."""
        self.recording = False


class Transport:
    """Sends and receives of one call on the communicator's private duplicate."""

    def __init__(self, comm: MPI.Intracomm, signature: CallSignature,
                 counter: TrafficCounter, *, patient: bool = False,
                 deadline: float = DEFAULT_DEADLINE) -> None:
        self._comm = comm
        self.patient = patient  #: yield the core between polls instead of spinning
        self.deadline = deadline  #: seconds a wait may last
        self.signature = signature
        self._counter = counter
        self._status = MPI.Status()
        #: the requests this call started, each with its peer (sends: the destination)
        self._started: list[tuple[MPI.Request, int]] = []
        self._groups: dict[tuple[int, ...], GroupTransport] = {}

    def group(self, members: tuple[int, ...]) -> Transport:
        """The transport of a group of this communicator's ranks, rank i of the group being
        ``members[i]`` here (made once per group and kept with this transport)."""
        found = self._groups.get(members)
        if found is None:
            found = self._groups[members] = GroupTransport(self, members)
        return found

    def complete_call(self) -> None:
        """The call completed: forget its requests (and so let go of their buffers)."""
        self._started.clear()

    def isend(self, data: np.ndarray, dest: int) -> MPI.Request:
        """Start sending the contiguous array ``data`` to ``dest`` as raw bytes."""
        if self._counter.recording:
            self._counter.sent[dest] += data.nbytes
        request = self._comm.Isend([data, MPI.BYTE], dest, TAG)
        self._started.append((request, dest))
        return request

    def send(self, data: np.ndarray, dest: int) -> None:
        """Send ``data`` to ``dest`` and return once its buffer may be reused."""
        self.wait_all([self.isend(data, dest)])

    def recv(self, into: np.ndarray, source: int) -> None:
        """Receive exactly ``into.nbytes`` bytes of this call from ``source`` into ``into``."""
        self.wait_recv(self.irecv(into, source), into, source)

    def sendrecv(self, data: np.ndarray, dest: int, into: np.ndarray, source: int) -> None:
        """Send ``data`` to ``dest`` while receiving ``into`` from ``source`` (one step)."""
        receive = self.irecv(into, source)
        send = self.isend(data, dest)
        self.wait_recv(receive, into, source)
        self.wait_all([send])

    def wait_all(self, requests: list[MPI.Request]) -> None:
        """Complete sends started with :meth:`isend`."""
        if not poll(lambda: MPI.Request.Testall(requests), self.deadline,
                    patient=self.patient):
            destination = {id(request): dest for request, dest in self._started}
            waiting = sorted({destination.get(id(r), -1) for r in requests if not r.Test()})
            raise self._late(f"{ranks(waiting)} to take this rank's messages")

    def complete(self, request: MPI.Request) -> None:
        """Complete a request of MPI's built-in collective (the ``mpi`` algorithm)."""
        self._started.append((request, -1))
        if not poll(request.Test, self.deadline, patient=self.patient):
            raise self._late("every rank to take its part in MPI's collective")

    def irecv(self, into: np.ndarray, source: int) -> MPI.Request:
        """Post the receive of ``into`` from ``source``; complete it with :meth:`wait_recv`."""
        request = self._comm.Irecv([into, MPI.BYTE], source, MPI.ANY_TAG)
        self._started.append((request, source))
        return request

    def wait_recv(self, request: MPI.Request, into: np.ndarray, source: int) -> None:
        """Complete a receive and check that it was this call's message, of the right size."""
        status = self._status
        try:
            if not poll(lambda: request.Test(status), self.deadline, patient=self.patient):
                request.Cancel()
                raise self._late(f"a message from rank {source}")
            nbytes: int | None = status.Get_count(MPI.BYTE)
        except MPI.Exception as error:
            if error.Get_error_class() != MPI.ERR_TRUNCATE:
                raise
            nbytes = None  # longer than expected
        if status.Get_tag() != TAG:
            raise MismatchError(
                f"expected a message of {self.signature.describe()} from rank {source}, got one "
                f"with tag {status.Get_tag()}, which this package does not send"
            )
        if nbytes != into.nbytes:
            raise MismatchError(
                f"expected {into.nbytes} bytes from rank {source}, got {_size(nbytes)} "
                f"(in {self.signature.describe()})"
            )

    def _late(self, what: str) -> DeadlineError:
        return DeadlineError(
            f"{self.signature.describe()} expected {what} within {self.deadline:g} s, got "
            "none: that rank left the call (an error there?) or never made it"
        )


class GroupTransport(Transport):
    """A transport that numbers ranks within a group (a node, the ranks of one place across
    nodes): rank i of the group is ``members[i]`` of the communicator. Its messages travel on the
    communicator's private duplicate like any other of the call (no MPI sub-communicator to
    make or free), and are counted and named by the communicator's ranks, so a recording's
    traffic matrix is the whole communicator's."""

    def __init__(self, parent: Transport, members: tuple[int, ...]) -> None:
        super().__init__(parent._comm, parent.signature, parent._counter,
                         patient=parent.patient, deadline=parent.deadline)
        self._started = parent._started  # one call's requests, forgotten by the parent
        self.members = members

    def isend(self, data: np.ndarray, dest: int) -> MPI.Request:
        """Start sending ``data`` to the group's rank ``dest``."""
        return super().isend(data, self.members[dest])

    def irecv(self, into: np.ndarray, source: int) -> MPI.Request:
        """Post the receive of ``into`` from the group's rank ``source``."""
        return super().irecv(into, self.members[source])

    def wait_recv(self, request: MPI.Request, into: np.ndarray, source: int) -> None:
        """Complete a receive from the group's rank ``source`` and check it."""
        super().wait_recv(request, into, self.members[source])


def ranks(numbers: list[int]) -> str:
    """``rank 2`` or ``ranks 0, 3``."""
    return f"rank {numbers[0]}" if len(numbers) == 1 else \
        f"ranks {', '.join(map(str, numbers))}"


def _size(nbytes: int | None) -> str:
    return "a longer message (MPI: truncated)" if nbytes is None else f"{nbytes} bytes"
