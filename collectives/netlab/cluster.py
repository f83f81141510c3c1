"""A lab cluster while it is up: build it from a network, run MPI jobs across it, read what its
links carried, and take it down after success, error or Ctrl-C.

``mpiexec`` runs in the control namespace; hydra starts its proxies in the host namespaces
through a launcher script (hydra calls it as it would call ssh: ``LAUNCHER [options] HOST
COMMAND``) which also sets ``UCX_NET_DEVICES`` to the host's cable ports, so MPI's data between
hosts goes over the shaped cables as TCP (``UCX_TLS=tcp,self``) while the ranks of one host talk
through MPI's shared memory. The control network carries only hydra's own traffic.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from collectives.launcher import mpiexec_path
from collectives.netlab import system
from collectives.netlab.plan import CONTROL, CONTROL_BRIDGE, PREFIX, Plan, plan
from collectives.netlab.system import NetlabError
from collectives.sim.network import Network

# TCP between hosts; the get-based rendezvous, since the default put-based one serialized the
# two directions of an exchange over TCP (docs/netlab.md)
MPI_ENV = {"UCX_TLS": "tcp,self", "UCX_WARN_UNUSED_ENV_VARS": "n",
           "UCX_RNDV_SCHEME": "get_zcopy"}


def _launcher_script(lab: Plan) -> str:
    cases = "\n".join(f"  {host}) devices={','.join(lab.devices(host))} ;;" for host in lab.hosts)
    return f"""#!/bin/sh
# hydra's ssh launcher for the lab: LAUNCHER [ssh options] HOST COMMAND...
while [ $# -gt 0 ]; do
  case "$1" in {PREFIX}h*) break ;; *) shift ;; esac
done
host=$1; shift
case "$host" in
{cases}
  *) echo "lab launcher: unknown host $host" >&2; exit 1 ;;
esac
exec ip netns exec "$host" env UCX_NET_DEVICES="$devices" sh -c "$*"
"""


class Cluster:
    """The lab of one network, built on entering and removed on leaving::

        with Cluster(ring(4, bandwidth=50e6)) as lab:
            lab.run(["python", "-m", "mpi4py", "my_script.py"])
            print(lab.link_bytes())
    """

    def __init__(self, network: Network) -> None:
        self.plan = plan(network)
        self.network = self.plan.network
        self._lock = system.LabLock()
        self._folder: Path | None = None
        self._signals: dict[int, object] = {}

    # -- up and down --------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        self.up()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.down()

    def up(self) -> None:
        """Check privileges, take the machine's lab lock, clear what an interrupted lab left,
        check the kernel has ``tbf``, and build this one; on any failure everything built so
        far is removed."""
        system.check_privileges()
        self._lock.acquire()
        try:
            self._trap_signals()
            system.remove_all()
            system.check_qdisc("tbf")
            system.build(self.plan)
            self._folder = Path(tempfile.mkdtemp(prefix="collectives-netlab-"))
            launcher = self._folder / "launcher"
            launcher.write_text(_launcher_script(self.plan))
            launcher.chmod(0o755)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Remove every namespace of the lab (and all inside), its scripts, and the lock."""
        try:
            system.remove_all()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None
        finally:
            self._restore_signals()
            self._lock.release()

    def _trap_signals(self) -> None:
        """SIGTERM and SIGHUP end the run through KeyboardInterrupt, so ``down`` still runs."""
        def interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError):  # not the main thread: leave them alone
                self._signals[signum] = signal.signal(signum, interrupt)

    def _restore_signals(self) -> None:
        for signum, handler in self._signals.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._signals.clear()

    # -- running jobs -------------------------------------------------------------------------

    def mpiexec_argv(self, command: Sequence[str], *, env: Mapping[str, str] | None = None,
                     ranks: int | None = None) -> list[str]:
        """The ``mpiexec`` command line that runs ``command`` on the lab's ranks (or on the
        first ``ranks`` of them), started from the control namespace."""
        if self._folder is None:
            raise NetlabError("expected a lab that is up, got one that is down")
        total = self.plan.ranks if ranks is None else ranks
        if not 1 <= total <= self.plan.ranks:
            raise NetlabError(f"expected 1..{self.plan.ranks} ranks on this lab, got {total}")
        hosts = ",".join(f"{host}:{count}" for host, count in
                         zip(self.plan.hosts, self.plan.ranks_per_host, strict=True))
        settings = [arg for key, value in {**MPI_ENV, **(env or {})}.items()
                    for arg in ("-genv", key, value)]
        return ["ip", "netns", "exec", CONTROL, mpiexec_path(), "-launcher", "ssh",
                "-launcher-exec", str(self._folder / "launcher"), "-iface", CONTROL_BRIDGE,
                "-hosts", hosts, "-n", str(total), *settings, *command]

    def run(self, command: Sequence[str], *, env: Mapping[str, str] | None = None,
            ranks: int | None = None, capture: bool = False,
            timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``command`` (an MPI program) on the lab; returns the finished process. This
        interpreter's folder comes first on PATH, so ``python`` is the one that runs the lab."""
        environment = {key: value for key, value in os.environ.items()
                       if key != "UCX_NET_DEVICES"}
        environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent),
                                               environment.get("PATH", "")])
        return subprocess.run(self.mpiexec_argv(command, env=env, ranks=ranks),
                              env=environment, capture_output=capture, text=True,
                              timeout=timeout)

    # -- what crossed the links ---------------------------------------------------------------

    def link_counters(self) -> dict[tuple[int, int], tuple[int, int]]:
        """(bytes, frames) each simulator link has carried so far (the sending port's
        counters), keyed by the link's (from, to) vertices in :attr:`network`."""
        counters = {namespace: system.tx_counters(namespace)
                    for namespace in (*self.plan.hosts, *self.plan.switches)}
        return {link: counters[port.namespace][port.name]
                for link, port in self.plan.ports_of_link().items()}

    def retransmitted_segments(self) -> int:
        """TCP segments all hosts have sent again so far: each crossed the links of its route
        once more, beyond the bytes the program asked for."""
        return sum(system.retransmitted_segments(host) for host in self.plan.hosts)

    def link_bytes(self) -> dict[tuple[int, int], int]:
        """Bytes each simulator link has carried so far, frames and all."""
        return {link: nbytes for link, (nbytes, _) in self.link_counters().items()}
