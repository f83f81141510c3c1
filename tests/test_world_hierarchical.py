"""The simulated world takes ``group_size=`` as the MPI side does and a ``hierarchical``
network's G without it; ``auto`` picks ``hierarchical`` for a large all-reduce in several nodes
and chooses as before on one node or a flat network; ranks that disagree on G are named."""

from __future__ import annotations

import numpy as np
import pytest

from collectives.errors import MismatchError
from collectives.sim import Simulation
from collectives.sim.network import fully_connected, hierarchical
from collectives.sim.world import run_world

LARGE = 2**20  # float32 elements: 4 MiB


def _auto_choices(comm) -> list[str | None]:
    """What auto ran for a large and a small all-reduce."""
    chosen = []
    for count in (LARGE, 16):
        total = comm.allreduce(np.ones(count, dtype=np.float32))
        assert np.array_equal(total, np.full(count, comm.size, dtype=np.float32))
        chosen.append(comm.last_algorithm)
    return chosen


@pytest.mark.parametrize(("network", "expected"), [
    (hierarchical(8, 4), ["hierarchical", "recursive_doubling"]),
    (hierarchical(8, 8), ["ring", "recursive_doubling"]),
    (hierarchical(8, 1), ["ring", "recursive_doubling"]),
    (fully_connected(8), ["ring", "recursive_doubling"]),
    (None, ["ring", "recursive_doubling"]),
], ids=["2-nodes", "one-node", "one-rank-nodes", "fully-connected", "untimed"])
def test_auto_considers_hierarchical_in_several_nodes_only(network, expected):
    """Several nodes: hierarchical from 2 MiB; one node, nodes of one rank or no nodes: as
    before."""
    result = run_world(_auto_choices, 8, network=network)
    assert result.results == [expected] * 8


def test_group_size_is_passed_and_its_traffic_is_the_simulators():
    """allreduce, reduce_scatter and allgather take group_size=; the world's traffic is the
    simulator's for that G, and the call records say hierarchical."""
    def program(comm):
        x = np.arange(18, dtype=np.int64) + 100 * comm.rank
        comm.allreduce(x, algorithm="hierarchical", group_size=2)
        comm.reduce_scatter(x.reshape(6, 3), algorithm="hierarchical", group_size=3)
        return comm.allgather(x[:4], algorithm="hierarchical", group_size=2)

    result = run_world(program, 6)
    expected = sum(Simulation.count_only(collective, ranks=6, count=count, dtype="int64",
                                         algorithm="hierarchical", group_size=g).run().traffic
                   for collective, count, g in (("allreduce", 18, 2), ("reduce_scatter", 3, 3),
                                                ("allgather", 4, 2)))
    np.testing.assert_array_equal(result.traffic, expected)
    stacked = np.stack([np.arange(4) + 100 * r for r in range(6)])
    assert all(np.array_equal(r, stacked) for r in result.results)
    assert [call.algorithm for call in result.calls] == ["hierarchical"] * 3


def test_ranks_that_disagree_on_the_group_size_are_named():
    """group_size 2 on even ranks and 4 elsewhere: MismatchError naming group_size."""
    def program(comm):
        comm.allreduce(np.ones(8), algorithm="hierarchical", group_size=2 + 2 * (comm.rank % 2))

    with pytest.raises(MismatchError, match=r"different group_size: group_size rank 0: 2, "
                       r"rank 1: 4, .*in nodes of 4"):
        run_world(program, 4)
