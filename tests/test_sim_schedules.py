"""Custom schedules go through the same checks as the registered ones: the step model
(ScheduleError) and the collective's postcondition (ProvenanceError), even where the data alone
looks right."""

from __future__ import annotations

import numpy as np
import pytest

from collectives.errors import ProvenanceError, ScheduleError
from collectives.ops import Op
from collectives.sim import Action, Simulation, Step, Transfer, simulate
from collectives.sim.algorithms.phases import tree_broadcast, tree_reduce
from collectives.spec import Problem


def _schedule(*steps: Step):
    """A schedule builder that yields ``steps`` whatever the problem."""
    return lambda problem: iter(steps)


# -- the name, the checks, count-only -----------------------------------------------------------

def test_a_custom_schedule_is_reported_under_its_name():
    """A correct custom schedule (every rank swaps with its partner, reducing) runs, is
    verified, passes provenance, and the result carries the name given."""
    exchange = Step(src=[0, 1], dst=[1, 0], src_start=0, dst_start=0, length=3,
                    action=Action.REDUCE, label="exchange")
    inputs = [np.array([1, 2, 3]), np.array([10, 20, 30])]
    result = simulate("allreduce", inputs, algorithm="exchange", schedule=_schedule(exchange),
                      provenance=True)
    assert result.algorithm == "exchange"
    assert [out.tolist() for out in result.outputs] == [[11, 22, 33], [11, 22, 33]]
    assert result.verified is True and result.num_steps == 1
    assert result.bytes_sent.tolist() == [24, 24]


def test_a_custom_schedule_gets_the_problem():
    """The builder is called with the Problem of the call, so it can size its steps."""
    seen: list[Problem] = []

    def builder(problem: Problem):
        seen.append(problem)
        yield from tree_reduce(problem.ranks, 0, problem.count, "up")
        yield from tree_broadcast(problem.ranks, 0, problem.count, "down")

    inputs = [np.arange(4) * (r + 1) for r in range(5)]
    result = simulate("allreduce", inputs, algorithm="mine", schedule=builder)
    assert (seen[0].collective, seen[0].ranks, seen[0].count) == ("allreduce", 5, 4)
    assert result.verified is True and result.num_steps == 6


def test_count_only_runs_a_custom_schedule():
    """count_only takes a schedule too and counts it like data mode does."""
    def builder(problem: Problem):
        yield from tree_reduce(problem.ranks, 0, problem.count, "up")

    counted = Simulation.count_only("reduce", ranks=6, count=5, dtype="int16", algorithm="up",
                                    schedule=builder).run()
    moved = simulate("reduce", [np.arange(5, dtype=np.int16)] * 6, algorithm="up",
                     schedule=builder)
    assert counted.algorithm == "up"
    assert counted.num_steps == moved.num_steps == 3
    np.testing.assert_array_equal(counted.traffic, moved.traffic)
    assert counted.total_bytes == 5 * 10  # five non-roots send 5 int16 each


def test_a_custom_schedule_may_take_a_noncommutative_op():
    """A custom schedule is taken to keep rank order: a non-commutative op is not refused."""
    def builder(problem: Problem):
        yield from tree_reduce(problem.ranks, 0, problem.count, "up")
        yield from tree_broadcast(problem.ranks, 0, problem.count, "down")

    first = Op(lambda a, b: a, commutative=False, name="first")
    inputs = [np.arange(3) + 10 * r for r in range(6)]
    result = simulate("allreduce", inputs, algorithm="tree-by-hand", op=first, schedule=builder)
    assert all(out.tolist() == [0, 1, 2] for out in result.outputs)


def test_simultaneous_semantics_let_two_ranks_swap():
    """In one step rank 0 and rank 1 copy the same range to each other: every transfer reads
    before any writes, so the two buffers trade places."""
    swap = Step(src=[0, 1], dst=[1, 0], src_start=0, dst_start=0, length=4, label="swap")
    sim = Simulation("allreduce", [np.arange(4), np.arange(4) + 100], algorithm="swap",
                     schedule=_schedule(swap))
    sim.step()
    assert sim.buffers[0].tolist() == [100, 101, 102, 103]
    assert sim.buffers[1].tolist() == [0, 1, 2, 3]


def test_a_three_rank_rotation_in_one_step():
    """Every rank sends to its right neighbour at once: the buffers rotate by one."""
    rotate = Step(src=[0, 1, 2], dst=[1, 2, 0], src_start=0, dst_start=0, length=2)
    sim = Simulation("allreduce", [np.array([r, r]) for r in range(3)], algorithm="rotate",
                     schedule=_schedule(rotate))
    sim.step()
    assert [b.tolist() for b in sim.buffers] == [[2, 2], [0, 0], [1, 1]]


# -- the step model -----------------------------------------------------------------------------

def _run(step: Step, collective: str = "allreduce", ranks: int = 3, count: int = 4):
    inputs = [np.arange(count) + 10 * r for r in range(ranks)]
    return simulate(collective, inputs, algorithm="bad", schedule=_schedule(step))


def test_a_rank_that_sends_to_two_peers_breaks_the_step_model():
    """Rank 0 sending to ranks 1 and 2 in one step raises ScheduleError naming rank 0."""
    step = Step(src=[0, 0], dst=[1, 2], src_start=0, dst_start=0, length=2, label="fan-out")
    with pytest.raises(ScheduleError, match=r"step 0 \(fan-out\): rank 0 sends to ranks "
                                            r"\[1, 2\]; .*expected at most one peer"):
        _run(step)


def test_a_rank_that_receives_from_two_peers_breaks_the_step_model():
    """Rank 0 receiving from ranks 1 and 2 in one step raises ScheduleError naming rank 0."""
    step = Step(src=[1, 2], dst=[0, 0], src_start=0, dst_start=[0, 2], length=2)
    with pytest.raises(ScheduleError, match=r"rank 0 receives from ranks \[1, 2\]"):
        _run(step)


def test_pieces_to_one_peer_are_one_message():
    """Two transfers from rank 0 to rank 1 in one step are one message in two pieces."""
    step = Step(src=[0, 0], dst=[1, 1], src_start=[0, 2], dst_start=[0, 2], length=[1, 2])
    record = Simulation("allgather", [np.arange(2) + 10 * r for r in range(2)], algorithm="p",
                        schedule=_schedule(step)).step()
    assert (record.messages, record.bytes) == (1, 3 * 8)


@pytest.mark.parametrize(("step", "match"), [
    (Step(src=0, dst=1, src_start=3, dst_start=0, length=2),
     r"expected src ranges inside the 4-element working buffer, got one reaching 5"),
    (Step(src=0, dst=1, src_start=0, dst_start=3, length=2),
     r"expected dst ranges inside the 4-element working buffer, got one reaching 5"),
    (Step(src=0, dst=1, src_start=-1, dst_start=0, length=1),
     r"expected src ranges inside the 4-element working buffer, got one starting at -1"),
    (Step(src=0, dst=3, src_start=0, dst_start=0, length=1),
     r"expected dst ranks in 0\.\.2, got 3\.\.3"),
    (Step(src=-1, dst=0, src_start=0, dst_start=0, length=1),
     r"expected src ranks in 0\.\.2, got -1\.\.-1"),
    (Step(src=0, dst=1, src_start=0, dst_start=0, length=-1),
     r"expected lengths >= 0, got -1"),
], ids=["src-past-end", "dst-past-end", "negative-start", "no-such-dst", "no-such-src",
        "negative-length"])
def test_a_transfer_outside_the_buffers_or_ranks_is_refused(step, match):
    """A transfer that reaches outside a working buffer or names a rank that does not exist
    raises ScheduleError saying what was expected."""
    with pytest.raises(ScheduleError, match=match):
        _run(step)


def test_writing_one_element_twice_in_a_step_is_refused():
    """Two transfers that both write rank 1's element 1 in one step raise ScheduleError naming
    the rank and the element."""
    step = Step.from_transfers([Transfer(0, 1, 0, 0, 2), Transfer(1, 1, 3, 1, 1)])
    with pytest.raises(ScheduleError, match=r"rank 1 is written twice at element 1"):
        _run(step)


def test_count_only_refuses_a_double_write_too():
    """Count-only mode applies the same check: a schedule is valid or not whatever the mode."""
    step = Step(src=[0, 1], dst=[1, 1], src_start=0, dst_start=[0, 3], length=[4, 2])
    sim = Simulation.count_only("allreduce", ranks=3, count=6, algorithm="bad",
                                schedule=_schedule(step))
    with pytest.raises(ScheduleError, match=r"rank 1 is written twice at element 3"):
        sim.step()


def test_pieces_that_touch_but_do_not_overlap_are_fine():
    """Rank 1 receiving [0, 2) from rank 0 and [2, 4) as a local copy writes no element
    twice; the local copy crosses no link and costs no bytes."""
    step = Step(src=[0, 1], dst=[1, 1], src_start=[0, 0], dst_start=[0, 2], length=2)
    sim = Simulation("allreduce", [np.arange(4) + 10 * r for r in range(2)], algorithm="ok",
                     schedule=_schedule(step))
    record = sim.step()
    assert sim.buffers[1].tolist() == [0, 1, 10, 11]
    assert (record.messages, record.bytes) == (1, 2 * 8)


def test_a_schedule_must_yield_steps():
    """A schedule that yields something other than a Step raises ScheduleError."""
    with pytest.raises(ScheduleError, match=r"expected the schedule to yield a Step, got "
                                            r"Transfer"):
        simulate("allreduce", [np.arange(2)] * 2, algorithm="bad",
                 schedule=lambda p: iter([Transfer(0, 1, 0, 0, 2)]))


def test_a_schedule_that_yields_none_is_refused():
    """None is no step: the run does not stop silently after 0 steps as if the schedule ended."""
    with pytest.raises(ScheduleError, match=r"step 0: expected the schedule to yield a Step, got "
                                            r"NoneType"):
        simulate("allreduce", [np.arange(2)] * 2, algorithm="bad",
                 schedule=lambda p: iter([None]))


def test_a_schedule_must_return_an_iterable():
    """A schedule returning 42 is refused as a ScheduleError naming what it returned."""
    with pytest.raises(ScheduleError, match=r"expected the schedule to return an iterable of "
                                            r"Steps, got int"):
        Simulation.count_only("allreduce", ranks=2, count=2, algorithm="bad",
                              schedule=lambda p: 42)


def test_a_refused_step_leaves_the_simulation_where_it_was():
    """After a ScheduleError nothing has moved and no step is counted."""
    good = Step(src=0, dst=1, src_start=0, dst_start=0, length=2)
    bad = Step(src=[0, 0], dst=[1, 2], src_start=0, dst_start=0, length=1)
    sim = Simulation("allreduce", [np.arange(2) + 10 * r for r in range(3)], algorithm="x",
                     schedule=_schedule(good, bad))
    sim.step()
    before = [b.copy() for b in sim.buffers]
    with pytest.raises(ScheduleError):
        sim.step()
    assert sim.steps_done == 1
    assert all(np.array_equal(a, b) for a, b in zip(before, sim.buffers, strict=True))


# -- provenance catches what the data cannot ----------------------------------------------------

def _reduce_twice(problem: Problem):
    """All-reduce on 2 ranks that adds rank 0's data into rank 1 twice, then copies back."""
    add = Step(src=0, dst=1, src_start=0, dst_start=0, length=problem.count,
               action=Action.REDUCE, label="add")
    yield add
    yield add
    yield Step(src=1, dst=0, src_start=0, dst_start=0, length=problem.count, label="back")


def test_a_chunk_reduced_twice_is_caught_though_the_sum_is_right():
    """Rank 0 holds zeros, so adding it twice still gives the right sum; the data check passes
    but provenance raises, naming the rank, the element and the double count."""
    inputs = [np.zeros(3, dtype=np.int32), np.array([5, 6, 7], dtype=np.int32)]
    plain = simulate("allreduce", inputs, algorithm="twice", schedule=_reduce_twice)
    assert plain.verified is True
    with pytest.raises(ProvenanceError, match=r"allreduce algorithm 'twice': rank 0 output "
                                              r"element 0 expected \{rank 0 pos 0, rank 1 pos "
                                              r"0\}, got \{rank 0 pos 0 x2, rank 1 pos 0\}"):
        simulate("allreduce", inputs, algorithm="twice", schedule=_reduce_twice,
                 provenance=True)


def _allgather_into_wrong_slots(problem: Problem):
    """Ring all-gather on 3 ranks whose second step sends the wrong block: rank r forwards its
    own block r again, into the slot of block r - 1."""
    n, c = problem.ranks, problem.count
    rank = np.arange(n)
    yield Step(src=rank, dst=(rank + 1) % n, src_start=rank * c, dst_start=rank * c, length=c)
    yield Step(src=rank, dst=(rank + 1) % n, src_start=rank * c,
               dst_start=((rank - 1) % n) * c, length=c)


def test_a_block_in_the_wrong_place_is_caught_though_the_values_match():
    """Every rank brings the same values, so a block filed in the wrong slot looks right;
    provenance raises naming the rank, the element and whose block it really is."""
    inputs = [np.array([7, 8], dtype=np.int16)] * 3
    plain = simulate("allgather", inputs, algorithm="misfiled",
                     schedule=_allgather_into_wrong_slots)
    assert plain.verified is True
    with pytest.raises(ProvenanceError, match=r"rank 0 output element 2 expected \{rank 1 "
                                              r"pos 0\}, got \{rank 2 pos 0\}"):
        simulate("allgather", inputs, algorithm="misfiled",
                 schedule=_allgather_into_wrong_slots, provenance=True)


def test_an_element_never_written_is_caught_though_it_holds_the_right_value():
    """A broadcast of zeros that never sends: the other ranks' buffers start at zero, so the
    data looks right; provenance raises saying element 0 of rank 1 got no input."""
    inputs = [np.zeros(4, dtype=np.float32), None, None]
    nothing = _schedule()
    plain = simulate("broadcast", inputs, algorithm="lazy", schedule=nothing)
    assert plain.verified is True
    with pytest.raises(ProvenanceError, match=r"broadcast algorithm 'lazy': rank 1 output "
                                              r"element 0 expected \{rank 0 pos 0\}, got "
                                              r"\{no input\}"):
        simulate("broadcast", inputs, algorithm="lazy", schedule=nothing, provenance=True)


def test_half_a_broadcast_names_the_first_element_missing():
    """A broadcast that sends only the first half: provenance names element 2 of rank 1."""
    first_half = Step(src=0, dst=1, src_start=0, dst_start=0, length=2)
    inputs = [np.arange(4, dtype=np.float64), None]
    with pytest.raises(ProvenanceError, match=r"rank 1 output element 2 expected \{rank 0 pos "
                                              r"2\}, got \{no input\}"):
        simulate("broadcast", inputs, algorithm="half", schedule=_schedule(first_half),
                 provenance=True)
