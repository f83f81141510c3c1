"""The simulated world's clock against hand-computed cases: computing moves one rank's clock, a
collective starts when its last rank arrives and lasts its time on the network, and every rank's
time splits into computing, waiting and communicating; the records, traffic and Chrome trace
show the same figures."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from collectives.sim import simulate
from collectives.sim.network import fully_connected, switch
from collectives.sim.world import World, run_world

MS = 1e-3
# Links of 1 µs and 1 GB/s, no reduction cost: a ring all-reduce of 1000 float64 on 4 ranks is
# 2(N - 1) = 6 steps of 1 µs + 2000 B / 1 GB/s = 3 µs, 18 µs in all.
NETWORK = fully_connected(4, alpha=1e-6, bandwidth=1e9, gamma=0.0)
RING_ALLREDUCE = 6 * (1e-6 + 2000 / 1e9)
# Binomial broadcast of 8000 bytes on 4 ranks: lg 4 = 2 steps of 1 µs + 8 µs.
BINOMIAL_BROADCAST = 2 * (1e-6 + 8000 / 1e9)


def _world(**kwargs):
    return World(4, network=NETWORK, time_model="step", **kwargs)


def test_compute_moves_only_its_ranks_clock():
    """Rank r computing r/2 seconds ends at r/2; nothing waits, nothing communicates."""
    def program(comm):
        comm.compute(0.5 * comm.rank)
        return comm.clock

    world = _world().run(program)
    assert world.results == [0.0, 0.5, 1.0, 1.5]
    np.testing.assert_array_equal(world.compute, [0.0, 0.5, 1.0, 1.5])
    np.testing.assert_array_equal(world.wait, 0.0)
    np.testing.assert_array_equal(world.communicate, 0.0)
    assert world.time == 1.5


def test_a_collective_starts_when_its_last_rank_arrives():
    """Rank r computes r ms, then a ring all-reduce: it starts at 3 ms, ends 18 µs later on
    every rank; rank r waited 3 - r ms."""
    def program(comm):
        comm.compute(comm.rank * MS)
        comm.allreduce(np.ones(1000), algorithm="ring")
        return comm.clock

    world = _world().run(program)
    call = world.calls[0]
    assert call.start == pytest.approx(3 * MS)
    assert call.duration == pytest.approx(RING_ALLREDUCE)
    np.testing.assert_allclose(call.arrivals, [0, MS, 2 * MS, 3 * MS])
    np.testing.assert_allclose(world.results, 3 * MS + RING_ALLREDUCE)
    np.testing.assert_allclose(world.wait, [3 * MS, 2 * MS, MS, 0])
    np.testing.assert_allclose(world.communicate, RING_ALLREDUCE)
    np.testing.assert_allclose(world.compute + world.wait + world.communicate, world.clock)


@pytest.mark.parametrize("slow", [1, 5])
def test_one_rank_computing_longer_delays_everyones_end(slow):
    """Every rank computes 1 ms but rank 2 computes ``slow`` ms: the all-reduce, then a
    broadcast, end at slow ms + 18 µs + 18 µs on every rank, and the others wait slow - 1 ms."""
    def program(comm):
        comm.compute((slow if comm.rank == 2 else 1) * MS)
        comm.allreduce(np.ones(1000), algorithm="ring")
        comm.broadcast(np.ones(1000), algorithm="binomial")
        return comm.clock

    world = _world().run(program)
    end = slow * MS + RING_ALLREDUCE + BINOMIAL_BROADCAST
    np.testing.assert_allclose(world.results, end)
    np.testing.assert_allclose(world.wait, [(slow - 1) * MS] * 2 + [0] + [(slow - 1) * MS])
    assert world.calls[1].start == pytest.approx(slow * MS + RING_ALLREDUCE)
    assert world.time == pytest.approx(end)


def test_computing_between_collectives_adds_up():
    """compute a_r, all-reduce, compute b_r, all-reduce: the second starts at max(a) + 18 µs +
    max(b); each rank waited (max(a) - a_r) + (max(b) - b_r)."""
    a, b = np.array([1, 4, 2, 3]) * MS, np.array([2, 1, 1, 5]) * MS

    def program(comm):
        comm.compute(a[comm.rank])
        comm.allreduce(np.ones(1000), algorithm="ring")
        comm.compute(b[comm.rank])
        comm.allreduce(np.ones(1000), algorithm="ring")

    world = _world().run(program)
    assert world.calls[1].start == pytest.approx(a.max() + RING_ALLREDUCE + b.max())
    np.testing.assert_allclose(world.wait, (a.max() - a) + (b.max() - b))
    np.testing.assert_allclose(world.clock, a.max() + b.max() + 2 * RING_ALLREDUCE)


@pytest.mark.parametrize("time_model", ["step", "dataflow", "flow"])
def test_a_collective_lasts_the_simulators_time_for_it(time_model):
    """Tree all-reduce on a switch (where the three models differ): the call lasts the direct
    simulate call's time, dataflow time or flow time, as asked."""
    network = switch(4, alpha=1e-6, bandwidth=1e9, gamma=1e-10)
    inputs = [np.full(5000, rank, dtype=np.float64) for rank in range(4)]
    direct = simulate("allreduce", inputs, algorithm="double_binary_tree", network=network,
                      segments=4)
    expected = {"step": direct.time, "dataflow": direct.dataflow_time,
                "flow": direct.flow_time()}[time_model]
    world = World(4, network=network, time_model=time_model).run(
        lambda comm: comm.allreduce(inputs[comm.rank], algorithm="double_binary_tree",
                                    segments=4))
    assert world.calls[0].duration == pytest.approx(expected, rel=1e-12)
    assert len({direct.time, direct.dataflow_time}) == 2  # the case tells the models apart


def test_without_a_network_collectives_take_no_time():
    """No network: computing still moves the clocks and ranks still wait, but a collective
    lasts 0 s."""
    def program(comm):
        comm.compute(comm.rank * MS)
        comm.allreduce(np.ones(10))

    world = World(3).run(program)
    assert world.calls[0].duration == 0.0
    np.testing.assert_allclose(world.clock, 2 * MS)
    np.testing.assert_allclose(world.wait, [2 * MS, MS, 0])


def test_measure_adds_the_blocks_cpu_time_scaled():
    """``measure(scale=3)`` adds three times the block's CPU time in the rank's thread; a block
    that sleeps adds (almost) nothing."""
    def program(comm):
        with comm.measure(scale=3.0):
            started = time.thread_time()
            sum(i * i for i in range(200_000))
            inside = time.thread_time() - started
        busy = comm.clock
        with comm.measure():
            time.sleep(0.05)
        return inside, busy, comm.clock - busy

    inside, busy, slept = run_world(program, 1).results[0]
    assert inside > 0
    assert 3 * inside <= busy <= 3 * inside + 3e-3
    assert slept < 0.01


def test_phases_and_labels_name_calls_and_computations():
    """Calls record their phase; computations their label, after the phase."""
    def program(comm):
        with comm.phase("step 0"):
            comm.compute(MS, "forward")
            comm.allreduce(np.ones(4))
        comm.compute(MS)

    world = _world().run(program)
    assert world.calls[0].phase == "step 0"
    assert world.calls[0].name == "allreduce/recursive_doubling in step 0"
    assert [label for _, _, label in world.computations[3]] == ["step 0/forward", "compute"]


def test_traffic_sums_every_call_and_recording_counts_its_block():
    """The world's traffic is the sum of the calls' simulate traffic; ``record_traffic``
    counts only the calls inside its block, per rank, as over MPI."""
    inputs = [np.arange(12.0) + rank for rank in range(4)]

    def program(comm):
        comm.allreduce(inputs[comm.rank], algorithm="ring")
        with comm.record_traffic():
            comm.alltoall(inputs[comm.rank].reshape(4, 3), algorithm="pairwise")
        return comm.traffic_matrix()

    world = _world().run(program)
    ring = simulate("allreduce", inputs, algorithm="ring").traffic
    pairwise = simulate("alltoall", [x.reshape(4, 3) for x in inputs],
                        algorithm="pairwise").traffic
    np.testing.assert_array_equal(world.traffic, ring + pairwise)
    for matrix in world.results:
        np.testing.assert_array_equal(matrix, pairwise)
    np.testing.assert_array_equal(world.bytes_sent, (ring + pairwise).sum(axis=1))


def test_chrome_trace_shows_compute_wait_and_collectives_per_rank(tmp_path):
    """Rank r computes r ms, then an all-reduce: its track holds a compute slice of r ms (none
    for rank 0), a wait slice of 3 - r ms, and the collective from 3 ms for 18 µs."""
    def program(comm):
        comm.compute(comm.rank * MS, "work")
        comm.allreduce(np.ones(1000), algorithm="ring")

    world = _world().run(program)
    trace = world.write_chrome_trace(tmp_path / "world.json")
    assert json.loads((tmp_path / "world.json").read_text()) == trace
    slices = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["pid"] == 0]
    for rank in range(4):
        mine = sorted((e["cat"], e["name"], round(e["ts"], 6), round(e["dur"], 6))
                      for e in slices if e["tid"] == rank)
        expected = [("collective", "allreduce/ring", 3000.0, round(RING_ALLREDUCE * 1e6, 6))]
        if rank:
            expected.append(("compute", "work", 0.0, rank * 1000.0))
        if rank < 3:
            expected.append(("wait", "wait", rank * 1000.0, (3 - rank) * 1000.0))
        assert mine == sorted(expected)
    calls = [e for e in trace["traceEvents"] if e.get("cat") == "call"]
    assert [(c["name"], c["args"]["bytes"]) for c in calls] == [("allreduce/ring",
                                                                 world.calls[0].bytes_sent)]


def test_summary_and_dict_report_the_split():
    """The summary prints each rank's split; to_dict is JSON with every call."""
    def program(comm):
        comm.compute(comm.rank * MS)
        comm.allreduce(np.ones(1000), algorithm="ring")

    world = _world().run(program)
    text = world.summary()
    assert "collective calls: 1 (allreduce/ring x1)" in text
    assert text.splitlines()[-1].split() == ["3", "3.000", "ms", "0.000", "ns", "18.000", "µs"]
    data = json.loads(json.dumps(world.to_dict()))
    assert data["calls"][0]["start"] == pytest.approx(3 * MS)
    assert data["wait"] == pytest.approx([3 * MS, 2 * MS, MS, 0])


def test_measure_leaves_out_the_collectives_inside_it():
    """A measured block that only makes collectives adds (almost) nothing, even on the rank
    that runs them for everyone; a collective inside still moves the clock to its end."""
    def program(comm):
        x = np.ones(100_000)  # made outside: the block holds collectives alone
        with comm.measure():
            for _ in range(50):
                comm.allreduce(x, algorithm="ring")

    world = World(4, network=fully_connected(4), time_model="step").run(program)
    assert world.compute.max() < 5e-3  # 50 ring all-reduces of 800 KB cost far more CPU
    np.testing.assert_allclose(world.clock, world.calls[-1].end, rtol=0, atol=5e-3)
    assert world.calls[-1].end == pytest.approx(50 * world.calls[0].duration)
