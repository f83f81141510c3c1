"""Every collective and algorithm through the simulated world: each rank's result has the bits
of the direct ``simulate`` call and equals numpy's answer, on the engine's first run of a
signature and on its replays, in every calling mode; bad input raises as on the MPI side."""

from __future__ import annotations

import numpy as np
import pytest
from world_cases import PAIRS, Case, cases_for, run_cases, runs_at, same_bits

from collectives.errors import (
    InvalidInputError,
    MismatchError,
    UnknownAlgorithmError,
    UnsupportedError,
)
from collectives.sim import simulate
from collectives.sim.network import fully_connected
from collectives.sim.world import World, run_world
from collectives.spec import expected_outputs, results_match

SIZES = [1, 2, 3, 4, 5, 8]
REPEAT = 2  # the first call runs the engine, the second its replay


def _simulated(case: Case, size: int) -> list[np.ndarray | None]:
    """The direct simulate call's outputs for the case."""
    inputs = case.inputs(size)
    return simulate(case.collective, inputs, algorithm=case.algorithm,
                    op=case.op if case.op is not None else "sum", root=case.root).outputs


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("collective", "algorithm"), PAIRS)
def test_world_equals_simulate_and_numpy(collective, algorithm, size):
    """Each case twice in a row (engine, then replay): every rank's result has the direct
    simulate call's bits and numpy's value, and the records say what ran."""
    if not runs_at(collective, algorithm, size):
        pytest.skip("needs a power-of-two N (the refusal is tested below)")
    cases = cases_for(collective, algorithm, size)
    world = run_world(run_cases, size, cases, REPEAT)
    failures = []
    for index, case in enumerate(cases):
        simulated = _simulated(case, size)
        expected = expected_outputs(case.problem(size), case.inputs(size))
        for rank in range(size):
            for attempt in range(REPEAT):
                got = world.results[rank][index * REPEAT + attempt]
                if not same_bits(got, simulated[rank]):
                    failures.append(f"{case} rank {rank} call {attempt}: not simulate's bits")
                if not results_match(got, expected[rank], size):
                    failures.append(f"{case} rank {rank} call {attempt}: not numpy's answer")
    assert not failures, "\n".join(failures[:20])
    assert [record.algorithm for record in world.calls] == [algorithm] * len(cases) * REPEAT


@pytest.mark.parametrize(("collective", "algorithm"), PAIRS)
def test_records_count_simulates_bytes_and_steps(collective, algorithm):
    """At N = 4 the call's record holds the bytes, steps and traffic of the simulate call, on
    its first run and its replay alike."""
    case = Case(collective, algorithm, 9, "float32", "sum" if collective in (
        "reduce", "reduce_scatter", "allreduce") else None, root=3)
    direct = simulate(collective, case.inputs(4), algorithm=algorithm, root=3)
    world = run_world(run_cases, 4, [case], 2)
    for record in world.calls:
        assert (record.collective, record.algorithm, record.count) == (collective, algorithm, 9)
        assert record.bytes_sent == direct.total_bytes
        assert record.steps == direct.num_steps
    np.testing.assert_array_equal(world.traffic, 2 * direct.traffic)


def test_replay_off_gives_the_same_bits():
    """``replay=False`` runs the engine for every call, with the replay's results."""
    cases = [Case(c, a, 11, "float64", "sum" if c in ("reduce", "reduce_scatter", "allreduce")
                  else None, root=2) for c, a in PAIRS if runs_at(c, a, 5)]
    replayed = World(5).run(run_cases, cases, 2).results
    engine = World(5, replay=False).run(run_cases, cases, 2).results
    for rank in range(5):
        assert all(same_bits(a, b) for a, b in zip(replayed[rank], engine[rank], strict=True))


def test_segments_pipeline_as_simulate_does():
    """``segments=S`` reaches the engine: pipeline broadcast and double binary tree all-reduce
    at S = 3 take simulate's steps and give its bits."""
    def program(comm):
        x = np.arange(20.0) + comm.rank
        return (comm.broadcast(x.copy(), root=1, algorithm="pipeline", segments=3),
                comm.allreduce(x, algorithm="double_binary_tree", segments=3))

    world = run_world(program, 4)
    inputs = [np.arange(20.0) + rank for rank in range(4)]
    broadcast = simulate("broadcast", inputs, algorithm="pipeline", root=1, segments=3)
    allreduce = simulate("allreduce", inputs, algorithm="double_binary_tree", segments=3)
    assert [c.steps for c in world.calls] == [broadcast.num_steps, allreduce.num_steps]
    assert [c.segments for c in world.calls] == [3, 3]
    for rank, (b, a) in enumerate(world.results):
        assert same_bits(b, broadcast.outputs[rank]) and same_bits(a, allreduce.outputs[rank])


def test_inputs_are_left_alone_and_shapes_may_differ_by_rank():
    """Out of place the caller's input is never written; ranks may shape the same count
    differently, and each gets its result in its own shape (as over MPI)."""
    def program(comm):
        x = np.arange(6.0).reshape((2, 3) if comm.rank else (3, 2)) * (comm.rank + 1)
        before = x.copy()
        total = comm.allreduce(x, algorithm="ring")
        return np.array_equal(x, before), total

    for rank, (untouched, total) in enumerate(run_world(program, 3).results):
        assert untouched
        assert total.shape == ((2, 3) if rank else (3, 2))
        np.testing.assert_array_equal(total.ravel(), np.arange(6.0) * 6)


def test_auto_picks_what_the_mpi_side_would():
    """``auto`` runs the policy's choice (recursive doubling below 2 MiB, ring from it) and
    ``last_algorithm`` tells it."""
    def program(comm):
        comm.allreduce(np.ones(16, dtype=np.float32))
        small = comm.last_algorithm
        comm.allreduce(np.ones(2**19, dtype=np.float32))
        return small, comm.last_algorithm, comm.last_collective

    assert run_world(program, 4).results == [("recursive_doubling", "ring", "allreduce")] * 4


@pytest.mark.parametrize(("make_call", "error", "message"), [
    (lambda comm: comm.allreduce(np.ones(3), algorithm="mpi"), UnsupportedError,
     r"expected one of the simulator's allreduce algorithms \(.*ring.*\) or 'auto', got 'mpi'"),
    (lambda comm: comm.allreduce(np.ones(3), algorithm="bogus"), UnknownAlgorithmError,
     r"expected one of the simulator allreduce algorithms .*, got 'bogus'"),
    (lambda comm: comm.allgather(np.ones(3), algorithm="recursive_doubling"), UnsupportedError,
     r"expected a power-of-two number of ranks, got 3; use algorithm"),
    (lambda comm: comm.broadcast(np.ones(3), root=3), InvalidInputError,
     r"broadcast expected a root in 0\.\.2, got 3"),
    (lambda comm: comm.scatter(np.ones((2, 4))), InvalidInputError,
     r"scatter expected an input of shape \(3, \.\.\.\)"),
    (lambda comm: comm.allreduce(np.ones(3), out=np.ones(3, dtype=np.int32)), InvalidInputError,
     r"allreduce expected out of dtype float64, got int32"),
    (lambda comm: comm.scatter(None, root=(comm.rank + 1) % 3), MismatchError,
     r"got different root: root rank 0: 1, rank 1: 2, rank 2: 0"),
    (lambda comm: comm.reduce(np.ones(3), op="band"), InvalidInputError,
     r"op 'band' expected an integer dtype, got float64"),
])
def test_bad_input_raises_the_mpi_sides_error(make_call, error, message):
    """Bad input raises on the rank that gave it, with the MPI side's message (before any rank
    meets the others, so the world ends with that error)."""
    with pytest.raises(error, match=message):
        run_world(make_call, 3)


def test_a_non_root_call_without_a_buffer_takes_it_from_the_root():
    """scatter(None) and broadcast(None) off the root return the root's block or buffer, with
    the algorithm the root's call runs, as on the MPI side."""
    def program(comm):
        block = comm.scatter(np.arange(18, dtype=np.int16).reshape(3, 2, 3)
                             if comm.rank == 1 else None, root=1)
        buffer = comm.broadcast(np.arange(3.0) if comm.rank == 2 else None, root=2,
                                algorithm="scatter_allgather")
        return block.tolist(), buffer.tolist(), comm.last_algorithm

    results = run_world(program, 3).results
    assert results == [(np.arange(6 * r, 6 * r + 6).reshape(2, 3).tolist(), [0.0, 1.0, 2.0],
                        "scatter_allgather") for r in range(3)]


def test_a_call_without_a_buffer_that_differs_from_the_roots_is_a_mismatch():
    """A rank without a buffer that names another algorithm than the root's, or makes another
    collective, meets a MismatchError naming what differs, on every rank."""
    def other_algorithm(comm):
        return comm.broadcast(np.ones(3) if comm.rank == 0 else None,
                              algorithm="binomial" if comm.rank == 1 else "pipeline")

    with pytest.raises(MismatchError, match=r"different algorithm: algorithm rank 0: "
                                            r"'pipeline', rank 1: 'binomial'"):
        run_world(other_algorithm, 3)

    def other_collective(comm):
        if comm.rank == 1:
            return comm.allreduce(np.ones(3))
        return comm.broadcast(np.ones(3) if comm.rank == 0 else None)

    with pytest.raises(MismatchError, match=r"rank 2: broadcast/auto \(the root's dtype and "
                                            r"count\) root 0"):
        run_world(other_collective, 3)


def test_a_network_of_other_size_or_unknown_time_model_is_refused():
    """The world checks its network's N and its time model up front."""
    with pytest.raises(InvalidInputError, match="expected a network of 4 ranks, got one of 3"):
        World(4, network=fully_connected(3))
    with pytest.raises(InvalidInputError, match="expected a time model, one of flow, dataflow, "
                                                "step; got 'fast'"):
        World(4, time_model="fast")
    with pytest.raises(InvalidInputError, match="expected ranks, an integer >= 1, got 0"):
        World(0)


def test_comm_says_what_it_is_and_refuses_mpi_comm():
    """A simulated rank's communicator has rank, size and the simulator's algorithms, and no
    MPI communicator to give."""
    def program(comm):
        with pytest.raises(Exception, match="expected a communicator over MPI for mpi_comm"):
            _ = comm.mpi_comm
        with comm as same:
            assert same is comm
        return repr(comm), comm.algorithms("allgather")

    results = run_world(program, 2).results
    assert results[1] == ("WorldCommunicator(rank=1, size=2)",
                          ["bruck", "hierarchical", "recursive_doubling", "ring"])


def test_communicator_is_the_ranks_own_in_a_world():
    """``collectives.world.communicator()`` in a rank's thread is the communicator the world
    gave that rank; outside a world there is none of the world's."""
    from collectives.sim.world import current_communicator
    from collectives.world import communicator, in_simulated_world

    def program(comm):
        return communicator() is comm and in_simulated_world()

    assert run_world(program, 3).results == [True] * 3
    assert current_communicator() is None and not in_simulated_world()
