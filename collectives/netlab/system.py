"""What the lab asks of the kernel: checks that it may, and the ``ip`` and ``tc`` calls that build
a :class:`~collectives.netlab.plan.Plan` and take it down again.

Everything is created inside namespaces whose names start with
:data:`~collectives.netlab.plan.PREFIX`; the root namespace is never changed, so deleting those
namespaces removes every interface, address, route and queueing discipline of the lab. One lab
runs at a time on a machine (a lock file), since the namespace names are fixed.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from collectives.errors import CollectivesError
from collectives.netlab.plan import (
    CONTROL,
    CONTROL_ADDRESS,
    CONTROL_BRIDGE,
    CONTROL_NET,
    PREFIX,
    Plan,
)
from collectives.netlab.wire import MTU

CAP_NET_ADMIN, CAP_SYS_ADMIN = 12, 21
LOCK_FILE = Path("/run/lock/collectives-netlab.lock")
SOCKET_QUEUE_BYTES = 32768  #: TCP data a socket may keep queued on its host's port


class NetlabError(CollectivesError):
    """The lab cannot be built here, or a command building it failed."""


def _capabilities() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def check_privileges() -> None:
    """Raise unless this process may create namespaces and shape links: root's CAP_NET_ADMIN and
    CAP_SYS_ADMIN, and the ``ip`` and ``tc`` commands."""
    capabilities = _capabilities()
    missing = [name for name, bit in (("CAP_NET_ADMIN", CAP_NET_ADMIN),
                                      ("CAP_SYS_ADMIN", CAP_SYS_ADMIN))
               if not capabilities >> bit & 1]
    if missing:
        raise NetlabError(
            f"expected the privileges to create network namespaces ({' and '.join(missing)}), "
            f"got a process of uid {os.geteuid()} without them; run as root (sudo -E env "
            f"PATH=$PATH python -m collectives netlab ...)")
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            raise NetlabError(f"expected the {tool!r} command of iproute2 on PATH, got none; "
                              "install iproute2 (apt install iproute2)")


def run(argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one command; a failure is a NetlabError quoting the command and what it said."""
    result = subprocess.run(list(argv), capture_output=True, text=True)
    if check and result.returncode != 0:
        said = (result.stderr or result.stdout).strip()
        raise NetlabError(f"expected {' '.join(argv)!r} to succeed, got exit code "
                          f"{result.returncode}: {said}")
    return result


def check_qdisc(kind: str = "tbf") -> None:
    """Raise unless the kernel has the queueing discipline ``kind`` (tried on the loopback of a
    scratch namespace)."""
    probe = f"{PREFIX}probe"
    run(["ip", "netns", "add", probe])
    try:
        result = run(["tc", "-n", probe, "qdisc", "add", "dev", "lo", "root", *_qdisc_args(
            kind, 1e6)], check=False)
        if result.returncode != 0:
            raise NetlabError(
                f"expected the kernel's {kind!r} queueing discipline (sch_{kind}), got "
                f"{result.stderr.strip() or 'an error'}; load it with modprobe sch_{kind} or use "
                "a kernel built with it")
    finally:
        run(["ip", "netns", "delete", probe], check=False)


def _qdisc_args(kind: str, rate: float) -> list[str]:
    if kind != "tbf":
        return [kind]
    bits = max(int(rate * 8), 8000)
    # burst: two full frames, so the link sends at its rate from the first byte; limit: 50 ms of
    # queue, as a switch port's buffer
    burst = max(2 * (MTU + 14), int(rate / 1000))
    return ["tbf", "rate", f"{bits}bit", "burst", str(burst), "latency", "50ms"]


def shaping_args(rate: float) -> list[str]:
    """tc's arguments after ``root`` for a link of ``rate`` bytes per second."""
    return _qdisc_args("tbf", rate)


def lab_namespaces() -> list[str]:
    """The namespaces on this machine that carry the lab's prefix."""
    listing = run(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in listing.splitlines()
            if line.split() and line.split()[0].startswith(PREFIX)]


def remove_all() -> list[str]:
    """Delete every namespace of the lab's prefix (and with them everything inside); returns
    their names."""
    removed = lab_namespaces()
    for namespace in removed:
        run(["ip", "netns", "delete", namespace], check=False)
    return removed


class LabLock:
    """The machine-wide lock one running lab holds."""

    def __init__(self, path: Path = LOCK_FILE) -> None:
        self.path = path
        self._file = None

    def acquire(self) -> None:
        """Take the lock or raise naming the process that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise NetlabError(f"expected no other lab on this machine, got one run by pid "
                              f"{holder}; wait for it to end") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Let the next lab run."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def build(plan: Plan) -> None:
    """Create every namespace, cable, address, route and shaper of ``plan``."""
    for namespace in plan.namespaces:
        run(["ip", "netns", "add", namespace])
        run(["ip", "-n", namespace, "link", "set", "lo", "up"])
    _build_control(plan)
    for cable in plan.cables:
        a, b = cable.ends
        run(["ip", "-n", a.namespace, "link", "add", "name", a.name, "mtu", str(MTU), "type",
             "veth", "peer", "name", b.name, "netns", b.namespace, "mtu", str(MTU)])
        for port in cable.ends:
            ip = ["ip", "-n", port.namespace]
            run([*ip, "addr", "add", f"{port.address}/30", "dev", port.name])
            # one frame per packet: no segmentation offload, so the port's counter counts every
            # frame's headers, as a real wire does
            run([*ip, "link", "set", port.name, "gso_max_segs", "1"])
            run([*ip, "link", "set", port.name, "up"])
            run(["tc", "-n", port.namespace, "qdisc", "add", "dev", port.name, "root",
                 *shaping_args(port.rate)])
    for namespace in (*plan.hosts, *plan.switches):
        # forward for the hosts between (rings); no reverse-path filter (on a ring a tie goes
        # clockwise both ways, so replies come back another way); TCP keeps its window between
        # messages instead of starting slow again after an idle moment, as clusters tune it;
        # a socket keeps at most 32 KiB queued on its port (the kernel's default, 4 MiB, fills
        # the port's 50 ms queue, and a rendezvous handshake waits behind it)
        for key in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0", "net.ipv4.tcp_slow_start_after_idle=0",
                    f"net.ipv4.tcp_limit_output_bytes={SOCKET_QUEUE_BYTES}"):
            run(["ip", "netns", "exec", namespace, "sysctl", "-qw", key])
    for route in plan.routes:
        run(["ip", "-n", route.namespace, "route", "add", f"{route.destination}/32", "via",
             route.via, "dev", route.device])
    _wait_until_up(plan)


def _wait_until_up(plan: Plan, timeout: float = 10.0) -> None:
    """Wait for every port to report carrier (the kernel marks a new veth up with a delay, and
    MPI refuses a device that is not up yet)."""
    ports = {(port.namespace, port.name) for cable in plan.cables for port in cable.ends}
    ports |= {(host, "ctl") for host in plan.hosts}
    deadline = time.monotonic() + timeout
    while True:
        down = set()
        for namespace in sorted({namespace for namespace, _ in ports}):
            links = json.loads(run(["ip", "-n", namespace, "-j", "link", "show"]).stdout)
            states = {entry["ifname"]: entry.get("operstate") for entry in links}
            down |= {(namespace, name) for ns, name in ports
                     if ns == namespace and states.get(name) != "UP"}
        if not down:
            return
        if time.monotonic() > deadline:
            raise NetlabError(f"expected every port up within {timeout:g} s, got "
                              f"{sorted(down)[:4]} still down")
        time.sleep(0.05)


def _build_control(plan: Plan) -> None:
    """The unshaped control bridge in its own namespace, one port per host."""
    ip = ["ip", "-n", CONTROL]
    run([*ip, "link", "add", "name", CONTROL_BRIDGE, "type", "bridge"])
    run([*ip, "addr", "add", f"{CONTROL_ADDRESS}/{CONTROL_NET.prefixlen}", "dev",
         CONTROL_BRIDGE])
    run([*ip, "link", "set", CONTROL_BRIDGE, "up"])
    for index, (host, address) in enumerate(zip(plan.hosts, plan.control_addresses,
                                                strict=True)):
        port = f"c{index}"
        run([*ip, "link", "add", "name", port, "type", "veth", "peer", "name", "ctl", "netns",
             host])
        run([*ip, "link", "set", port, "master", CONTROL_BRIDGE, "up"])
        run(["ip", "-n", host, "addr", "add", f"{address}/{CONTROL_NET.prefixlen}", "dev",
             "ctl"])
        run(["ip", "-n", host, "link", "set", "ctl", "up"])


def tx_counters(namespace: str) -> dict[str, tuple[int, int]]:
    """(bytes, frames) each interface of ``namespace`` has sent (its kernel counters)."""
    listing = json.loads(run(["ip", "-n", namespace, "-s", "-j", "link", "show"]).stdout)
    return {entry["ifname"]: (int(entry["stats64"]["tx"]["bytes"]),
                              int(entry["stats64"]["tx"]["packets"])) for entry in listing}


def retransmitted_segments(namespace: str) -> int:
    """TCP segments ``namespace``'s stack has sent again so far (``RetransSegs`` of its
    ``/proc/net/snmp``, which each network namespace keeps for itself)."""
    lines = [line.split() for line in
             run(["ip", "netns", "exec", namespace, "cat", "/proc/net/snmp"]).stdout.splitlines()
             if line.startswith("Tcp:")]
    if len(lines) != 2 or "RetransSegs" not in lines[0]:
        raise NetlabError(f"expected Tcp: names and values with RetransSegs in {namespace}'s "
                          f"/proc/net/snmp, got {lines}")
    return int(lines[1][lines[0].index("RetransSegs")])
