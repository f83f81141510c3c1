"""Stepping like SimPy: step() runs one step and returns what moved, run() loops, the buffers
can be read between steps, and the simulation says where it is."""

from __future__ import annotations

import numpy as np
import pytest

from collectives.errors import CollectivesError
from collectives.sim import Simulation, StepRecord


def _ring(ranks: int = 4, count: int = 8, provenance: bool = False, **kwargs) -> Simulation:
    """Ring all-reduce where rank r's element i is 10·r + i."""
    inputs = [np.arange(count, dtype=np.int32) + 10 * r for r in range(ranks)]
    return Simulation("allreduce", inputs, algorithm="ring", provenance=provenance, **kwargs)


def test_step_runs_one_step_and_returns_what_moved():
    """The first step of ring all-reduce on 4 ranks: every rank r sends chunk r (2 int32) to
    r + 1, 4 messages, 32 bytes, labelled as the reduce-scatter's step 0."""
    sim = _ring()
    record = sim.step()
    assert isinstance(record, StepRecord)
    assert (record.index, record.label, record.messages, record.bytes) == \
        (0, "reduce-scatter 0", 4, 32)
    moved = [(t.src, t.dst, t.src_start, t.length, t.chunk) for t in record.transfers]
    assert moved == [(0, 1, 0, 2, 0), (1, 2, 2, 2, 1), (2, 3, 4, 2, 2), (3, 0, 6, 2, 3)]
    assert sim.steps_done == 1 and not sim.done


def test_the_ring_sends_chunk_r_minus_s_then_r_plus_1_minus_s():
    """Step s of the reduce-scatter has rank r send chunk (r - s) mod N; step s of the
    all-gather chunk (r + 1 - s) mod N, as the reference states."""
    n = 5
    sim = _ring(ranks=n, count=10)
    chunks = [[t.chunk for t in sim.step().transfers] for _ in range(2 * (n - 1))]
    for s in range(n - 1):
        assert chunks[s] == [(r - s) % n for r in range(n)]
        assert chunks[n - 1 + s] == [(r + 1 - s) % n for r in range(n)]


def test_buffers_show_the_partial_sums_between_steps():
    """After step 0 rank 1 holds chunk 0 as x0 + x1; the other chunks are still its own."""
    sim = _ring()
    assert sim.buffers[1].tolist() == [10, 11, 12, 13, 14, 15, 16, 17]
    sim.step()
    assert sim.buffers[1].tolist() == [0 + 10, 1 + 11, 12, 13, 14, 15, 16, 17]
    assert sim.buffers[0].tolist() == [0, 1, 2, 3, 4, 5, 6 + 36, 7 + 37]  # chunk 3 + rank 3


def test_buffers_are_read_only():
    """The buffers handed out cannot be written through."""
    sim = _ring()
    with pytest.raises(ValueError, match="read-only"):
        sim.buffers[0][0] = 99


def test_run_loops_to_the_end_from_wherever_it_is():
    """run() after two steps finishes the remaining four and returns the result."""
    sim = _ring()
    sim.step()
    sim.step()
    result = sim.run()
    assert sim.done and sim.steps_done == 6 and result.num_steps == 6
    want = sum(np.arange(8) + 10 * r for r in range(4))
    assert all(out.tolist() == want.tolist() for out in result.outputs)
    assert [s.index for s in result.steps] == list(range(6))


def test_step_after_the_end_raises():
    """step() on a finished simulation raises, saying how many steps ran."""
    sim = _ring()
    sim.run()
    with pytest.raises(CollectivesError, match=r"the simulation has finished: all 6 steps have "
                                               r"run"):
        sim.step()


def test_result_before_the_end_raises():
    """result() before the last step raises, saying where the simulation is."""
    sim = _ring()
    sim.step()
    with pytest.raises(CollectivesError, match=r"expected a finished simulation, got one after "
                                               r"step 1; call run\(\)"):
        sim.result()


def test_run_twice_gives_the_same_result():
    """run() on a finished simulation returns the same figures again."""
    sim = _ring()
    first, second = sim.run(), sim.run()
    assert first.num_steps == second.num_steps
    np.testing.assert_array_equal(first.traffic, second.traffic)


def test_one_rank_has_no_steps():
    """With one rank the simulation is done before it starts, and its result is the input."""
    sim = _ring(ranks=1)
    assert sim.done and sim.steps_done == 0
    assert sim.run().outputs[0].tolist() == list(range(8))


def test_count_only_has_no_buffers():
    """A count-only simulation steps and counts, but has no buffers to show."""
    sim = Simulation.count_only("allreduce", ranks=4, count=8, algorithm="ring")
    assert sim.step().bytes == 4 * 2 * 4
    with pytest.raises(CollectivesError, match="count-only simulation has no buffers"):
        _ = sim.buffers


def test_provenance_must_be_asked_for():
    """provenance() and contributors() need provenance=True."""
    with pytest.raises(CollectivesError, match=r"pass provenance=True"):
        _ring().contributors(0)


def test_contributors_show_whose_data_is_in_each_element():
    """After two ring steps rank 2's chunk 0 holds data of ranks 0, 1, 2, its chunk 1 of
    ranks 1 and 2, its other chunks only its own."""
    sim = _ring(provenance=True)
    assert sim.contributors(2) == [(2,)] * 8
    sim.step()
    sim.step()
    assert sim.contributors(2) == [(0, 1, 2)] * 2 + [(1, 2)] * 2 + [(2,)] * 4
    assert sim.provenance(2)[0, 0, 0] == 1  # element 0 holds rank 0's element 0 once


def test_chunks_cut_a_buffer_like_the_ring_does():
    """chunks() cuts a rank's buffer into N chunks differing by at most one element."""
    sim = _ring(ranks=3, count=8)
    assert [c.tolist() for c in sim.chunks(1)] == [[10, 11, 12], [13, 14, 15], [16, 17]]
    assert [len(c) for c in sim.chunks(1, parts=8)] == [1] * 8


def test_keep_transfers_false_drops_them():
    """keep_transfers=False records each step's counts but not its transfers."""
    record = _ring(keep_transfers=False).step()
    assert record.transfers is None and record.bytes == 32


def test_the_simulation_says_where_it_is():
    """repr names the collective, algorithm, N, count, dtype, mode and steps run."""
    sim = _ring(provenance=True)
    assert repr(sim) == ("<Simulation allreduce 'ring': N=4, count=8 int32, provenance, "
                         "0 steps run>")
    sim.run()
    assert repr(sim).endswith("6 steps run, done>")
    counted = Simulation.count_only("gather", ranks=3, count=2, algorithm="linear", root=1)
    assert "count-only" in repr(counted)


def test_the_result_is_short_to_print():
    """A result's repr is one line, even for 4096 ranks."""
    result = Simulation.count_only("allgather", ranks=300, count=1, dtype="int8",
                                   algorithm="ring").run()
    assert repr(result) == ("<SimResult allgather 'ring': N=300, count=1 int8, 299 steps, "
                            "89700 bytes, verified=None>")


def test_to_dict_is_json_ready():
    """to_dict gives plain lists and numbers, with the figures of the run."""
    result = _ring().run()
    summary = result.to_dict()
    assert summary["bytes_sent"] == [48] * 4 and summary["total_bytes"] == 192
    assert summary["traffic"][3][0] == 48 and summary["dtype"] == "int32"
    assert summary["steps"] == 6 and summary["verified"] is True


def test_changing_an_input_after_the_start_changes_nothing():
    """The simulation keeps its own copy of the inputs: writing into the caller's arrays while
    it runs changes neither the result nor its verification."""
    inputs = [np.arange(4) + 10 * r for r in range(3)]
    sim = Simulation("allreduce", inputs, algorithm="tree")
    sim.step()
    inputs[0][:] = 1000
    result = sim.run()
    assert result.verified is True
    assert result.outputs[2].tolist() == [30, 33, 36, 39]


def test_bytes_sent_so_far_grow_step_by_step():
    """bytes_sent is each rank's bytes after the steps run so far: none at the start, one
    8-byte chunk per ring step, the result's bytes_sent at the end."""
    sim = _ring()
    assert sim.bytes_sent.tolist() == [0, 0, 0, 0]
    sim.step()
    assert sim.bytes_sent.tolist() == [8, 8, 8, 8]
    sim.bytes_sent[0] = 99  # a copy: the run's count stays
    result = sim.run()
    assert sim.bytes_sent.tolist() == result.bytes_sent.tolist() == [48] * 4
