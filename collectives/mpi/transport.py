"""The thin per-call transport every algorithm sends and receives through.

Every message of one call carries the same tag: a 15-bit hash of the call's signature
(collective, algorithm, dtype, count, root, op). A receive takes the next message from the named
source whatever its tag (``MPI.ANY_TAG``), probes it first (``Mprobe``) and only then receives
it, so nothing is ever truncated or read into the wrong place:

- a tag other than this call's means the ranks disagree on the call: :class:`MismatchError`
  ("... got one of a different call: ranks disagree on collective, algorithm, dtype, count,
  root or op");
- a byte count other than the one expected: :class:`MismatchError` ("expected 400 bytes from
  rank 2, got 396").

The wrong message is still taken off the wire (into a throwaway buffer) so its sender is not
left blocked in a send. Messages travel as raw bytes (``MPI.BYTE``), so any numpy dtype moves;
zero-length messages are sent like any other. MPI keeps the messages from one source in order,
so with a specific source and no wildcard source, the messages of consecutive calls cannot cross.

While a recording is on, the transport adds the bytes of every send to its peer's counter.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

from collectives.errors import MismatchError

TAG_BITS = 15  # MPI guarantees tags up to 32767 on every communicator


@dataclass(frozen=True)
class CallSignature:
    """What every rank must agree on for one call; its hash is the tag of the call's messages."""

    collective: str
    algorithm: str
    dtype: np.dtype
    count: int
    root: int | None = None
    op: str | None = None

    @property
    def tag(self) -> int:
        """A 15-bit hash of the signature, the same on every rank and in every run."""
        text = (f"{self.collective}|{self.algorithm}|{np.dtype(self.dtype).str}|{self.count}|"
                f"{self.root}|{self.op}")
        return zlib.crc32(text.encode()) & ((1 << TAG_BITS) - 1)

    def describe(self) -> str:
        """``allreduce/ring float32 x100`` (with root and op where they apply)."""
        text = f"{self.collective}/{self.algorithm} {np.dtype(self.dtype)} x{self.count}"
        if self.root is not None:
            text += f" root {self.root}"
        if self.op is not None:
            text += f" op {self.op}"
        return text


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
                 counter: TrafficCounter) -> None:
        self._comm = comm
        self.signature = signature
        self._tag = signature.tag
        self._counter = counter
        self._status = MPI.Status()

    def isend(self, data: np.ndarray, dest: int) -> MPI.Request:
        """Start sending the contiguous array ``data`` to ``dest`` as raw bytes."""
        if self._counter.recording:
            self._counter.sent[dest] += data.nbytes
        return self._comm.Isend([data, MPI.BYTE], dest, self._tag)

    def send(self, data: np.ndarray, dest: int) -> None:
        """Send ``data`` to ``dest`` and return once its buffer may be reused."""
        self.isend(data, dest).Wait()

    def recv(self, into: np.ndarray, source: int) -> None:
        """Receive exactly ``into.nbytes`` bytes of this call from ``source`` into ``into``."""
        message = self._comm.Mprobe(source, MPI.ANY_TAG, self._status)
        tag, nbytes = self._status.Get_tag(), self._status.Get_count(MPI.BYTE)
        if tag == self._tag and nbytes == into.nbytes:
            message.Recv([into, MPI.BYTE])
            return
        message.Recv([bytearray(nbytes), MPI.BYTE])  # off the wire, so its sender can go on
        if tag != self._tag:
            raise MismatchError(
                f"expected a message of {self.signature.describe()} from rank {source}, got one "
                f"of a different call ({nbytes} bytes, expected {into.nbytes}): ranks disagree "
                "on collective, algorithm, dtype, count, root or op"
            )
        raise MismatchError(
            f"expected {into.nbytes} bytes from rank {source}, got {nbytes} "
            f"(in {self.signature.describe()})"
        )

    def sendrecv(self, data: np.ndarray, dest: int, into: np.ndarray, source: int) -> None:
        """Send ``data`` to ``dest`` while receiving ``into`` from ``source`` (one step)."""
        request = self.isend(data, dest)
        self.recv(into, source)
        request.Wait()
