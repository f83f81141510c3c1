"""The simulated world's failures are loud: disagreeing ranks raise MismatchError on every rank
naming each rank's call, one rank's error unwinds every other and is raised again, a rank that
returns while others call a collective is an error. Each test has a timeout: a hang fails it."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from collectives.errors import CollectivesError, MismatchError
from collectives.ops import Op
from collectives.sim.world import World, run_world

pytestmark = pytest.mark.timeout(60)


def _catching(call):
    """A program that makes ``call(comm)`` and returns the MismatchError it raised (or None)."""
    def program(comm):
        try:
            call(comm)
        except MismatchError as error:
            return str(error)
        return None
    return program


@pytest.mark.parametrize(("call", "message"), [
    (lambda comm: comm.allreduce(np.ones(3)) if comm.rank != 1 else comm.allgather(np.ones(3)),
     r"call 0\), got rank 0: allreduce/recursive_doubling float64 x3 op sum, "
     r"rank 1: allgather/bruck float64 x3, rank 2: allreduce/recursive_doubling"),
    (lambda comm: comm.allreduce(np.ones(3 + (comm.rank == 2)), algorithm="ring"),
     r"different count: count rank 0: 3, rank 1: 3, rank 2: 4 \(calls: rank 0: "
     r"allreduce/ring float64 x3 op sum, rank 1: allreduce/ring float64 x3 op sum, rank 2: "
     r"allreduce/ring float64 x4 op sum\)"),
    (lambda comm: comm.allreduce(np.ones(3, dtype="f4" if comm.rank else "f8"),
                                 algorithm="ring"),
     r"different dtype: dtype rank 0: float64, rank 1: float32, rank 2: float32"),
    (lambda comm: comm.allreduce(np.ones(3), op="max" if comm.rank == 0 else "sum",
                                 algorithm="ring"),
     r"different op: op rank 0: 'max', rank 1: 'sum', rank 2: 'sum'"),
    (lambda comm: comm.broadcast(np.ones(3), root=comm.rank),
     r"different root: root rank 0: 0, rank 1: 1, rank 2: 2"),
    (lambda comm: comm.allreduce(np.ones(3), algorithm="tree" if comm.rank else "ring"),
     r"different algorithm: algorithm rank 0: 'ring', rank 1: 'tree', rank 2: 'tree'"),
    (lambda comm: comm.broadcast(np.ones(30), algorithm="pipeline", segments=comm.rank + 1),
     r"different segments: segments rank 0: 1, rank 1: 2, rank 2: 3"),
])
def test_disagreeing_ranks_raise_mismatch_on_every_rank(call, message):
    """Ranks that call different collectives, or the same one with a different count, dtype,
    op, root, algorithm or S: every rank raises MismatchError, each message naming what every
    rank called."""
    messages = run_world(_catching(call), 3).results
    assert all(text is not None for text in messages), messages
    assert len(set(messages)) == 1
    assert messages[0].startswith("expected every rank to make the same call")
    assert re.search(message, messages[0]), messages[0]


def test_an_uncaught_mismatch_is_raised_by_run():
    """Not caught by the program, the MismatchError ends the world and run() raises it."""
    def program(comm):
        comm.allreduce(np.ones(2 if comm.rank else 3))

    with pytest.raises(MismatchError, match="different count"):
        run_world(program, 2)


def test_ranks_in_different_phases_disagree():
    """A call made in another phase (``comm.phase``) is a different call."""
    def call(comm):
        with comm.phase("forward" if comm.rank else "backward"):
            comm.allreduce(np.ones(3))

    messages = run_world(_catching(call), 2).results
    assert "different phase: phase rank 0: 'backward', rank 1: 'forward'" in messages[0]


def test_many_ranks_are_grouped_by_what_they_called():
    """Beyond eight ranks, ranks that made the same call are named together."""
    messages = run_world(_catching(
        lambda comm: comm.allreduce(np.ones(3), algorithm="tree" if comm.rank == 9 else "ring")
    ), 12).results
    assert "algorithm ranks 0-8, 10-11: 'ring'; rank 9: 'tree'" in messages[0]


def test_ops_with_the_same_name_agree():
    """Ranks that each build their own op object of one name agree (as over MPI, by name)."""
    def program(comm):
        first = Op(lambda a, b: a, commutative=False, name="first")
        return comm.allreduce(np.arange(3) + comm.rank, op=first, algorithm="tree")

    for result in run_world(program, 3).results:
        np.testing.assert_array_equal(result, np.arange(3))


def test_a_communicator_refuses_calls_after_a_mismatch():
    """After a failed call the rank's communicator refuses the next one, as the MPI side's."""
    def program(comm):
        with pytest.raises(MismatchError):
            comm.allreduce(np.ones(2 + comm.rank))
        with pytest.raises(CollectivesError, match="expected a communicator whose calls all "
                                                   "completed, got one whose call allreduce"):
            comm.allreduce(np.ones(2))

    run_world(program, 2)


def test_one_rank_raising_unwinds_all_and_is_raised_again():
    """Rank 2 raises while the others wait in a collective: run() raises rank 2's error (with
    a note naming the rank), and every thread has ended."""
    def program(comm):
        if comm.rank == 2:
            raise RuntimeError("rank 2 broke")
        comm.allreduce(np.ones(3))

    before = threading.active_count()
    with pytest.raises(RuntimeError, match="rank 2 broke") as raised:
        run_world(program, 4)
    if hasattr(raised.value, "add_note"):  # Python >= 3.11
        assert raised.value.__notes__ == ["(raised on rank 2 of a simulated world of 4 ranks)"]
    assert threading.active_count() == before


def test_ranks_that_catch_exception_still_unwind():
    """A peer's failure cannot be swallowed by ``except Exception``: the rank unwinds at its
    next call instead of waiting for a peer that is gone."""
    def program(comm):
        if comm.rank == 0:
            raise ValueError("rank 0 broke")
        for _ in range(3):
            try:
                comm.allreduce(np.ones(3))
            except Exception as error:  # what a careless program does
                print(f"ignored {error}")

    with pytest.raises(ValueError, match="rank 0 broke"):
        run_world(program, 3)


def test_the_lowest_failing_rank_is_raised():
    """When several ranks raise, run() raises the lowest rank's error."""
    def program(comm):
        if comm.rank in (1, 3):
            raise KeyError(f"rank {comm.rank}")
        comm.allreduce(np.ones(1))

    with pytest.raises(KeyError, match="rank 1"):
        run_world(program, 4)


def test_a_rank_that_returns_while_others_wait_is_an_error():
    """Rank 0 returns while rank 1 calls a collective: MismatchError naming the finished
    program, never a hang."""
    def program(comm):
        if comm.rank:
            comm.allreduce(np.ones(3))

    with pytest.raises(MismatchError, match="rank 0: program finished, rank 1: allreduce"):
        run_world(program, 2)


def test_a_rank_that_returns_early_after_computing_is_an_error():
    """Rank 1 computes (no collective) and returns while rank 0 makes one more call."""
    def program(comm):
        comm.allreduce(np.ones(3))
        comm.compute(1.0)
        if comm.rank == 0:
            comm.gather(np.ones(3))

    with pytest.raises(MismatchError, match=r"call 1\), got rank 0: gather/binomial float64 x3 "
                                            r"root 0, rank 1: program finished"):
        run_world(program, 2)


def test_traffic_matrix_is_a_call_every_rank_makes():
    """``traffic_matrix()`` on one rank only is a disagreement, as it is over MPI."""
    def program(comm):
        with comm.record_traffic():
            comm.allreduce(np.ones(3))
        if comm.rank == 0:
            comm.traffic_matrix()
        comm.allreduce(np.ones(3))

    with pytest.raises(MismatchError, match=r"rank 0: traffic_matrix\(\), rank 1: allreduce"):
        run_world(program, 2)


def test_compute_after_a_peer_failed_unwinds():
    """A rank that only computes after a peer failed unwinds at its next clock call."""
    started = threading.Event()

    def program(comm):
        if comm.rank == 0:
            started.wait(10)
            raise RuntimeError("rank 0 broke")
        started.set()
        while True:
            comm.compute(1e-3)

    with pytest.raises(RuntimeError, match="rank 0 broke"):
        run_world(program, 2)


def test_a_world_runs_one_program_at_a_time():
    """Calling run() from inside a running world's program is refused."""
    world = World(1)

    with pytest.raises(CollectivesError, match="expected a world that is not running"):
        world.run(lambda comm: world.run(lambda inner: None))


def test_bad_clock_arguments_raise():
    """compute() and measure() take finite seconds and scales >= 0; labels are strings."""
    def program(comm):
        with pytest.raises(CollectivesError, match=r"expected seconds, a finite number >= 0, "
                                                   r"got -1"):
            comm.compute(-1)
        with pytest.raises(CollectivesError, match="expected scale, a finite number >= 0, "
                                                   "got inf"), comm.measure(scale=float("inf")):
            pass
        with pytest.raises(CollectivesError, match="expected label, a string, got int"):
            comm.compute(1.0, label=3)

    run_world(program, 1)
