"""Chrome trace export: valid Trace Event Format, one slice per transfer with the model's
duration, step and link tracks that add up."""

from __future__ import annotations

import json

import numpy as np
import pytest

from collectives.cli import main
from collectives.errors import CollectivesError
from collectives.sim import Simulation
from collectives.sim.network import fully_connected, ring
from collectives.sim.trace import chrome_trace, timed_transfers, write_chrome_trace

ALPHA, BANDWIDTH, GAMMA, SLOW = 2.0 ** -20, 2.0 ** 30, 2.0 ** -36, 2.0 ** 27
US = 1e6


def _run(collective: str, algorithm: str, network, count: int, keep: bool | None = None,
         root: int = 0):
    return Simulation.count_only(collective, ranks=network.ranks, count=count, dtype="int32",
                                 algorithm=algorithm, root=root, network=network,
                                 keep_transfers=keep).run()


def _slices(trace: dict, pid: int) -> list[dict]:
    return [e for e in trace["traceEvents"] if e["ph"] == "X" and e["pid"] == pid]


def _check_trace_event_format(trace: dict) -> None:
    """The fields the Trace Event Format requires, with the right types."""
    assert isinstance(trace["traceEvents"], list)
    for event in trace["traceEvents"]:
        assert event["ph"] in ("X", "M")
        assert isinstance(event["name"], str) and isinstance(event["pid"], int)
        assert isinstance(event["tid"], int) and isinstance(event["args"], dict)
        if event["ph"] == "X":
            assert isinstance(event["ts"], float) and isinstance(event["dur"], float)
            assert event["ts"] >= 0 and event["dur"] >= 0


def test_ring_allreduce_trace(tmp_path):
    """A 4-rank ring all-reduce with one slow link: valid JSON on disk, one rank slice per
    transfer (2(N-1)·N), each lasting the model's message time, and the step slices tiling
    the run."""
    network = ring(4, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA).with_link(1, 2,
                                                                              bandwidth=SLOW)
    result = _run("allreduce", "ring", network, 64)
    path = tmp_path / "run.json"
    write_chrome_trace(result, path)
    trace = json.loads(path.read_text())
    _check_trace_event_format(trace)
    transfers = _slices(trace, 1)
    assert len(transfers) == 2 * 3 * 4
    expected = [t for record in result.steps for t in record.timing.time.tolist()]
    assert [e["dur"] for e in transfers] == pytest.approx([t * US for t in expected],
                                                           rel=1e-12)
    assert {(e["tid"], e["args"]["to"]) for e in transfers} == {(r, (r + 1) % 4)
                                                                for r in range(4)}
    assert all(e["args"]["bytes"] == 64 for e in transfers)
    steps = _slices(trace, 0)
    assert [e["name"] for e in steps] == [f"reduce-scatter {s}" for s in range(3)] + \
        [f"all-gather {s}" for s in range(3)]
    ends = [e["ts"] + e["dur"] for e in steps]
    assert [e["ts"] for e in steps[1:]] == pytest.approx(ends[:-1], rel=1e-12)
    assert ends[-1] == pytest.approx(result.time * US, rel=1e-12)
    assert trace["otherData"]["time_seconds"] == result.time


def test_chunks_in_args_follow_the_ring_schedule():
    """At reduce-scatter step s rank r's slice carries chunk (r - s) mod N."""
    result = _run("allreduce", "ring", ring(5), 50)
    for event in _slices(chrome_trace(result), 1):
        step, rank = event["args"]["step"], event["tid"]
        if step < 4:
            assert event["args"]["chunk"] == (rank - step) % 5
            assert event["name"] == f"chunk {(rank - step) % 5}"


def test_link_slices_add_up_to_busy_time():
    """Tree all-reduce on a ring: each link's slices last, in total, its busy time, and carry
    its bytes."""
    network = ring(6, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    result = _run("allreduce", "tree", network, 40)
    trace = chrome_trace(result)
    names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["pid"] == 2 and e["name"] == "thread_name"}
    busy: dict[str, float] = {}
    carried: dict[str, int] = {}
    for event in _slices(trace, 2):
        name = names[event["tid"]]
        busy[name] = busy.get(name, 0.0) + event["dur"] / US
        carried[name] = carried.get(name, 0) + event["args"]["bytes"]
    assert carried == result.link_bytes
    assert busy == pytest.approx(dict(zip(result.links.names, result.links.busy.tolist(),
                                          strict=True)), rel=1e-12)


def test_a_message_in_two_pieces_splits_its_time():
    """Binomial scatter from root 2 of 5 sends a wrapped subtree as two transfers in one
    message: two slices, back to back, whose durations add up to the message's time."""
    result = _run("scatter", "binomial", fully_connected(5, alpha=ALPHA, bandwidth=BANDWIDTH),
                  8, root=2)
    run = timed_transfers(result)
    assert len(run) == sum(int(r.transfers.remote.sum()) for r in result.steps)
    message_times = {(r.index, int(s), int(d)): float(t) for r in result.steps
                     for s, d, t in zip(r.timing.src, r.timing.dst, r.timing.time, strict=True)}
    total: dict[tuple[int, int, int], float] = {}
    for i in range(len(run)):
        key = (int(run.step[i]), int(run.src[i]), int(run.dst[i]))
        total[key] = total.get(key, 0.0) + float(run.duration[i])
    assert total == pytest.approx(message_times, rel=1e-12)
    assert len(run) > len(message_times)  # some message was in pieces


def test_trace_needs_a_timed_run_that_kept_its_steps():
    """No network, or transfers not kept: an error that says what is missing."""
    plain = Simulation.count_only("allreduce", ranks=4, count=8, algorithm="ring").run()
    with pytest.raises(CollectivesError, match="expected a run on a network"):
        chrome_trace(plain)
    unkept = _run("allreduce", "ring", ring(4), 8, keep=False)
    with pytest.raises(CollectivesError, match="keep_transfers=True"):
        chrome_trace(unkept)


def test_sim_command_writes_a_trace(tmp_path, capsys):
    """``sim ... --trace FILE`` writes the trace, and says so on stderr only."""
    path = tmp_path / "run.json"
    assert main(["sim", "allreduce", "-a", "ring", "-n", "3", "-c", "9", "--json",
                 "--trace", str(path)]) == 0
    captured = capsys.readouterr()
    record = json.loads(captured.out)
    trace = json.loads(path.read_text())
    assert "events written to" in captured.err
    transfers = _slices(trace, 1)
    assert len(transfers) == 2 * 2 * 3
    assert sum(e["dur"] for e in _slices(trace, 0)) == pytest.approx(record["time"] * US,
                                                                     rel=1e-12)
    assert np.isclose(max(e["ts"] + e["dur"] for e in transfers), record["time"] * US)
