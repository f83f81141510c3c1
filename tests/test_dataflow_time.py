"""The dataflow time: the same messages without barriers between steps, as MPI ranks run."""

from __future__ import annotations

import numpy as np
import pytest
from sim_cases import ALGORITHMS, runs_at

from collectives.sim import Simulation, Step, Transfer
from collectives.sim.network import fully_connected, ring, switch
from collectives.sim.timing import advance_ranks, time_step

ALPHA, BANDWIDTH = 2.0 ** -20, 2.0 ** 30


def _step(*transfers: Transfer) -> Step:
    return Step(*(np.array([getattr(t, name) for t in transfers], dtype=np.int64)
                  for name in ("src", "dst", "src_start", "dst_start", "length")))


def _run(collective: str, algorithm: str, network, count: int = 4096):
    return Simulation.count_only(collective, ranks=network.ranks, count=count, dtype="int32",
                                 algorithm=algorithm, network=network).run()


def test_ranks_that_sit_out_a_step_go_on_without_waiting_for_it():
    """0->1 takes 8 elements' time in step 1, 2->3 one element's in step 2: without a barrier
    2->3 need not wait for 0->1, so the run takes the longer message's time, not the sum."""
    network = fully_connected(4, alpha=ALPHA, bandwidth=BANDWIDTH)
    long = time_step(network, _step(Transfer(0, 1, 0, 0, 8)), 4)
    short = time_step(network, _step(Transfer(2, 3, 0, 0, 1)), 4)
    ready = advance_ranks(advance_ranks(np.zeros(4), long), short)
    assert ready.tolist() == [long.duration, long.duration, short.duration, short.duration]


def test_a_message_waits_for_both_its_ranks():
    """A message of step 2 from rank 1 to rank 2 starts when rank 1 (busy in step 1 for the long
    message) and rank 2 (idle) are both free."""
    network = fully_connected(3, alpha=ALPHA, bandwidth=BANDWIDTH)
    first = time_step(network, _step(Transfer(0, 1, 0, 0, 8)), 4)
    second = time_step(network, _step(Transfer(1, 2, 0, 0, 1)), 4)
    ready = advance_ranks(advance_ranks(np.zeros(3), first), second)
    assert ready[2] == first.duration + second.duration


@pytest.mark.parametrize(("collective", "algorithm"), ALGORITHMS)
def test_dataflow_time_is_never_more_than_the_step_by_step_time(collective, algorithm):
    """On a switch, a ring and uniform direct links, at N = 4 and 5."""
    for build in (switch, ring, fully_connected):
        for ranks in (4, 5):
            if runs_at(collective, algorithm, ranks):
                result = _run(collective, algorithm, build(ranks, alpha=ALPHA,
                                                           bandwidth=BANDWIDTH))
                assert result.dataflow_time <= result.time * (1 + 1e-12), (build, ranks)


@pytest.mark.parametrize(("collective", "algorithm"), [
    ("allreduce", "ring"), ("allreduce", "recursive_doubling"), ("allgather", "ring"),
    ("reduce_scatter", "pairwise")])
def test_every_rank_in_every_step_makes_no_difference(collective, algorithm):
    """Where every rank sends and receives in every step on uniform links, both times agree."""
    result = _run(collective, algorithm, switch(8, alpha=ALPHA, bandwidth=BANDWIDTH))
    assert result.dataflow_time == pytest.approx(result.time, rel=1e-12)


def test_double_binary_tree_overlaps_its_rounds():
    """NCCL's double binary tree leaves ranks idle in some rounds; without barriers the run
    takes three quarters of the step-by-step time at N = 4 on a switch."""
    result = _run("allreduce", "double_binary_tree", switch(4, alpha=0.0, bandwidth=BANDWIDTH),
                  count=1 << 20)
    assert result.dataflow_time == pytest.approx(0.75 * result.time, rel=1e-9)


def test_to_dict_has_the_dataflow_time():
    """The JSON summary carries both times."""
    summary = _run("allreduce", "tree", switch(4, alpha=ALPHA, bandwidth=BANDWIDTH)).to_dict()
    assert summary["dataflow_time"] <= summary["time"]
