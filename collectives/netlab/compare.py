"""Measured beside simulated on one lab: build it, run :mod:`collectives.netlab.measure` across
it, fit the model to its links (:mod:`collectives.netlab.model`), and put the simulator's time
for every call beside the measured one."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from collectives.netlab.cluster import Cluster
from collectives.netlab.model import (
    ErrorSummary,
    LinkFit,
    error_summary,
    fit_links,
    model_network,
    predict,
)
from collectives.netlab.plan import Plan
from collectives.netlab.system import NetlabError
from collectives.sim.engine import network_group_size
from collectives.sim.network import Network


@dataclass(frozen=True)
class Comparison:
    """One lab's figures and every call's measured and predicted time."""

    plan: Plan
    fit: LinkFit
    model: Network  #: the fitted network the predictions are made on
    rows: list[dict]  #: collective, algorithm, size, measured, predicted, ratio

    def summary(self, min_size: int = 1 << 20) -> ErrorSummary:
        """How far the measured times are from the predicted ones, from ``min_size`` bytes."""
        return error_summary(self.rows, min_size)


def probe_peer(plan: Plan) -> int:
    """The probe's second rank: the first rank of the second host."""
    if len(plan.hosts) < 2:
        raise NetlabError(f"expected a lab of at least 2 hosts to probe its links, got "
                          f"{len(plan.hosts)}")
    return plan.ranks_per_host[0]


def compare(network: Network, calls: Sequence[tuple[str, str, int]], *,
            timeout: float = 3600) -> Comparison:
    """Build the lab of ``network``, measure ``calls`` ((collective, algorithm, bytes), float32
    sum, root 0) on it, and predict each on the fitted model."""
    with Cluster(network) as lab, tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "measured.json"
        peer = probe_peer(lab.plan)
        local = ["--local-peer", "1"] if lab.plan.ranks_per_host[0] > 1 else []
        command = [sys.executable, "-m", "mpi4py", "-m", "collectives.netlab.measure", str(out),
                   "--peer", str(peer), *local,
                   *(f"--time={collective}:{algorithm}:{size}"
                     for collective, algorithm, size in calls)]
        done = lab.run(command, capture=True, timeout=timeout)
        if done.returncode != 0 or not out.exists():
            raise NetlabError(f"expected the measurement to succeed, got exit code "
                              f"{done.returncode}: {done.stderr.strip()[-2000:]}")
        figures = json.loads(out.read_text())
        plan = lab.plan
    fit = fit_links(plan, figures, peer)
    model = model_network(plan, fit)
    # the lab's hosts are the nodes MPI finds (Split_type), as a hierarchical algorithm's
    nodes = network_group_size(network, None, network.ranks)
    rows = []
    for row in figures["calls"]:
        predicted = predict(model, row["collective"], row["algorithm"], row["size"],
                            send_buffer=fit.send_buffer, group_size=nodes)
        rows.append({**row, "predicted": predicted,
                     "ratio": row["measured"] / predicted if predicted else None})
    return Comparison(plan, fit, model, rows)
