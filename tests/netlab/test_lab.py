"""Real labs: hosts in namespaces, shaped cables, real MPI jobs across them. Results equal
numpy's, every link's counter holds the simulator's bytes for it (within the wire's stated
overhead), and nothing of the lab is left afterwards, whatever happened."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from collectives.netlab.cluster import Cluster
from collectives.netlab.system import NetlabError, check_qdisc, lab_namespaces, run
from collectives.netlab.wire import link_loads, payload_range, tcp_payload
from collectives.sim.engine import Simulation
from collectives.sim.network import Network, ring, switch

JOB = Path(__file__).parent / "allreduce_job.py"
TIMEOUT = 120  # seconds for one MPI job: a hang fails the test
COUNT = 1 << 18  # float64: 2 MiB per rank
pytestmark = pytest.mark.lab


def _job(lab: Cluster, tmp_path: Path, algorithm: str, count: int,
         *extra: str) -> tuple[subprocess.CompletedProcess[str], dict | None]:
    out = tmp_path / f"{algorithm}-{count}.json"
    done = lab.run([sys.executable, "-m", "mpi4py", str(JOB), algorithm, str(count), str(out),
                    *extra], capture=True, timeout=TIMEOUT)
    return done, json.loads(out.read_text()) if out.exists() else None


def _payload(before: dict, after: dict) -> dict[tuple[int, int], int]:
    """The TCP payload each link carried between two readings of its counters."""
    return {link: tcp_payload(after[link][0] - before[link][0], after[link][1] - before[link][1])
            for link in after}


def _simulated(network: Network, algorithm: str
               ) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """(simulated, returning) bytes per link of the simulator's run."""
    traffic = Simulation.count_only("allreduce", ranks=network.ranks, count=COUNT,
                                    dtype="float64", algorithm=algorithm, op="sum").run().traffic
    return link_loads(network, traffic)


@pytest.mark.parametrize("network", [switch(3, bandwidth=50e6), ring(4, bandwidth=50e6)],
                         ids=["switch-3", "ring-4"])
def test_ring_and_tree_allreduce_across_hosts(network: Network, tmp_path: Path) -> None:
    """Ring and tree all-reduce across the lab give numpy's result on every rank, and the TCP
    payload every link carried (its bytes less 66 bytes of headers per frame) is the simulator's
    bytes for it, plus at most the stated slack for MPI's own messages (of the data on the link
    and of the data whose way back crosses it) above the set-up traffic of the same job on one
    element, give or take the stated control bytes, and the segments TCP sent again."""
    with Cluster(network) as lab:
        for algorithm in ("ring", "tree"):
            before = lab.link_counters()
            done, found = _job(lab, tmp_path, algorithm, 1)
            assert done.returncode == 0, done.stderr
            baseline = _payload(before, lab.link_counters())
            before, sent_again = lab.link_counters(), lab.retransmitted_segments()
            done, found = _job(lab, tmp_path, algorithm, COUNT)
            carried = _payload(before, lab.link_counters())
            sent_again = lab.retransmitted_segments() - sent_again
            assert done.returncode == 0, f"{algorithm}: {done.stderr}"
            assert found is not None and found["equal_to_numpy"] == [True] * network.ranks, \
                f"{algorithm}: {found}"
            simulated, returning = _simulated(lab.network, algorithm)
            for link, payload in carried.items():
                least, most = payload_range(simulated.get(link, 0), returning.get(link, 0),
                                            baseline[link], sent_again)
                name = lab.network.link_name(link[0] * lab.network.vertices + link[1])
                assert least <= payload <= most, (
                    f"{algorithm} link {name}: expected {least:.0f}..{most:.0f} bytes of TCP "
                    f"payload (simulated {simulated.get(link, 0)}, {sent_again} segments sent "
                    f"again), got {payload}")
    assert lab_namespaces() == []


def test_a_failing_rank_ends_the_job_and_the_lab_is_removed(tmp_path: Path) -> None:
    """One rank raising ends the whole job (non-zero, its message shown, before the timeout),
    and the lab is gone afterwards."""
    with Cluster(switch(3, bandwidth=50e6)) as lab:
        done, found = _job(lab, tmp_path, "ring", 1000, "--fail-rank", "1")
        assert done.returncode != 0 and found is None
        assert "rank 1 fails on purpose" in done.stdout + done.stderr
        assert len(lab_namespaces()) == 5
    assert lab_namespaces() == []


def test_an_error_inside_the_lab_removes_it() -> None:
    """An exception (as Ctrl-C's KeyboardInterrupt) while the lab is up still removes it."""
    with pytest.raises(KeyboardInterrupt), Cluster(ring(3, bandwidth=50e6)):
        assert len(lab_namespaces()) == 4
        raise KeyboardInterrupt
    assert lab_namespaces() == []


def test_down_removes_what_an_interrupted_lab_left_and_nothing_else() -> None:
    """``netlab down`` deletes namespaces of the lab's prefix only."""
    run(["ip", "netns", "add", "cnl-h7"])
    run(["ip", "netns", "add", "collectives-test-other"])
    try:
        done = subprocess.run([sys.executable, "-m", "collectives", "netlab", "down"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "cnl-h7" in done.stdout
        assert lab_namespaces() == []
        listing = run(["ip", "netns", "list"]).stdout
        assert "collectives-test-other" in listing
    finally:
        run(["ip", "netns", "delete", "collectives-test-other"], check=False)
        run(["ip", "netns", "delete", "cnl-h7"], check=False)


def test_a_missing_queueing_discipline_is_named() -> None:
    """A kernel without the qdisc asked for (this one has no netem) gets an error naming it."""
    with pytest.raises(NetlabError, match="expected the kernel's 'netem' queueing discipline "
                                          r"\(sch_netem\)"):
        check_qdisc("netem")
    check_qdisc("tbf")
    assert lab_namespaces() == []


def test_predict_prints_measured_beside_simulated(tmp_path: Path) -> None:
    """``netlab predict`` measures an algorithm on a lab and prints it beside the simulator's
    time on the fitted links, and its JSON holds the same rows."""
    out = tmp_path / "predict.json"
    done = subprocess.run(
        [sys.executable, "-m", "collectives", "netlab", "predict", "--topology", "ring", "-n",
         "3", "--bandwidth", "50e6", "--collectives", "allreduce", "-a", "ring,tree", "-b",
         "1M", "-e", "1M", "--json", str(out)],
        capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [(row["algorithm"], row["size"]) for row in rows] == [("ring", 1 << 20),
                                                                  ("tree", 1 << 20)]
    for row in rows:
        assert row["measured"] > 0 and row["predicted"] > 0
        assert f"allreduce       {row['algorithm']:<22} {1 << 20:>10}" in done.stdout
    assert "geometric mean of |measured/simulated - 1|" in done.stdout
    assert lab_namespaces() == []


@pytest.mark.parametrize("drop", ["-net_admin", "-sys_admin"])
def test_without_privileges_the_lab_is_refused(drop: str) -> None:
    """Without CAP_NET_ADMIN or CAP_SYS_ADMIN the lab says what it needs and builds nothing."""
    done = subprocess.run(["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}",
                           sys.executable, "-m", "collectives", "netlab", "run", "-n", "2",
                           "--", "true"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    missing = "CAP_NET_ADMIN" if drop == "-net_admin" else "CAP_SYS_ADMIN"
    assert f"error: expected the privileges to create network namespaces ({missing}" \
        in done.stderr
