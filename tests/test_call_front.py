"""The front end both communicators share (collectives.call_front): the bounded per-signature
cache, one plan per signature for all eight collectives, the checks in their order, in-place
detection, and the calls that ask the root for the block; the world's buffer-less calls on a
hierarchical network."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectives.call_front import SIGNATURES_KEPT, CallFront, SignatureCache
from collectives.errors import CollectivesError, InvalidInputError, UnknownAlgorithmError
from collectives.sim.network import hierarchical
from collectives.sim.registry import SIM_ALGORITHMS
from collectives.sim.world import run_world
from collectives.sim.world_comm import WorldCommunicator
from collectives.spec import Problem


class _Front(CallFront[Problem]):
    """A side whose plan is the call's problem, counting the plans it makes."""

    _ALGORITHMS = SIM_ALGORITHMS
    _BROKEN = "make another"

    def __init__(self, rank: int, size: int, group_size: int | None = None) -> None:
        super().__init__(rank, size, group_size)
        self.made: list[Problem] = []

    def _new_plan(self, problem: Problem, algorithm: str | None) -> Problem:
        if algorithm not in (None, "auto"):
            SIM_ALGORITHMS.get(problem.collective, algorithm)
        self.made.append(problem)
        return problem


def test_a_full_cache_starts_again_and_keeps_no_unhashable_key():
    """keep() returns the value; past ``kept`` signatures the cache holds only the newest; a
    key that cannot be hashed is not kept, and get() raises TypeError for it."""
    cache: SignatureCache[str] = SignatureCache(kept=2)
    assert cache.keep(("a",), "A") == "A"
    cache.keep(("b",), "B")
    assert dict(cache) == {("a",): "A", ("b",): "B"}
    cache.keep(("c",), "C")
    assert dict(cache) == {("c",): "C"}
    assert cache.keep((["d"],), "D") == "D"
    assert dict(cache) == {("c",): "C"}
    with pytest.raises(TypeError):
        cache.get((["d"],))
    assert SignatureCache().kept == SIGNATURES_KEPT == 64


_EIGHT = ("broadcast", "scatter", "gather", "reduce", "allgather", "reduce_scatter",
          "allreduce", "alltoall")


def _call_all(comm: Any, x: np.ndarray) -> None:
    """Each of the eight collectives once, on blocks of x's shape."""
    stacked = np.stack([x] * comm.size)
    comm.broadcast(x.copy())
    comm.scatter(stacked)
    comm.gather(x)
    comm.reduce(x)
    comm.allgather(x)
    comm.reduce_scatter(stacked)
    comm.allreduce(x)
    comm.alltoall(stacked)


def _plan_all(front: _Front, x: np.ndarray) -> list[Problem | None]:
    """The plan of each of the eight collectives' front ends (rank 0 the root), on x."""
    stacked = np.stack([x] * front.size)
    plans = [front._broadcast_front(x, 0, "auto", None, 1)[1],
             front._scatter_front(stacked, 0, "auto", None, 1)[1]]
    for collective in _EIGHT[2:]:
        blocked = collective in ("reduce_scatter", "alltoall")
        op = "sum" if collective in ("reduce", "reduce_scatter", "allreduce") else None
        plans.append(front._front(collective, stacked if blocked else x, "auto", None, 1,
                                  op=op)[0])
    return plans


def test_each_collective_is_planned_once_per_signature():
    """A second round of the same eight calls makes no plan and gives the same plans; a new
    shape makes eight more."""
    front = _Front(0, 2)
    first = _plan_all(front, np.ones(3))
    assert [plan.collective for plan in front.made] == list(_EIGHT)
    assert _plan_all(front, np.ones(3)) == first
    assert len(front.made) == 8
    _plan_all(front, np.ones(4))
    assert len(front.made) == 16


def test_the_world_plans_each_collective_once_per_signature(monkeypatch):
    """In the world too, all eight collectives go through the one cache: a repeated round of
    calls makes no new plan."""
    made: list[str] = []
    planned = WorldCommunicator._new_plan

    def counted(self: WorldCommunicator, problem: Problem, algorithm: str | None) -> Any:
        made.append(problem.collective)
        return planned(self, problem, algorithm)

    monkeypatch.setattr(WorldCommunicator, "_new_plan", counted)

    def program(comm: WorldCommunicator) -> None:
        _call_all(comm, np.arange(3.0))
        _call_all(comm, np.arange(3.0) + comm.rank)

    run_world(program, 2)
    assert sorted(made) == sorted(_EIGHT * 2)  # two ranks, one plan each per collective


@given(shape=st.lists(st.integers(0, 3), max_size=3), dtype=st.sampled_from(["int32", "float64"]),
       collective=st.sampled_from(["allreduce", "reduce", "alltoall", "allgather", "gather"]))
def test_in_place_is_out_being_x_where_the_collective_has_that_form(shape, dtype, collective):
    """out=x is in place (the result is x) for allreduce, reduce and alltoall; a new out or
    none is not; for allgather and gather out=x has not the result's shape and is refused."""
    x = np.zeros((1, *shape) if collective == "alltoall" else tuple(shape), dtype=dtype)
    op = "sum" if collective in ("reduce", "allreduce") else None
    front = _Front(0, 1)
    _, _, result, in_place = front._front(collective, x, "auto", None, 1, op=op)
    assert result is not None and result is not x and not in_place
    _, _, result, in_place = front._front(collective, x, "auto", np.zeros_like(result), 1,
                                          op=op)
    assert result is not x and not in_place
    if collective in ("allreduce", "reduce", "alltoall"):
        _, got, result, in_place = front._front(collective, x, "auto", x, 1, op=op)
        assert got is x and result is x and in_place
    else:
        with pytest.raises(InvalidInputError, match=rf"{collective} expected out of shape"):
            front._front(collective, x, "auto", x, 1)


@pytest.mark.parametrize(("call", "message"), [
    (lambda f: f._front("gather", None, "bogus", np.ones(9), 1, root=5),
     r"gather expected a root in 0\.\.3, got 5"),
    (lambda f: f._front("gather", None, "bogus", np.ones(9), 1),
     r"gather expected an array for x, got None"),
    (lambda f: f._front("alltoall", np.ones((3, 2)), "bogus", np.ones(9), 1),
     r"alltoall expected an input of shape \(4, \.\.\.\)"),
    (lambda f: f._front("allreduce", np.ones(2), "bogus", np.ones(9), 0, op="sum"),
     r"expected segments, an integer >= 1, got 0"),
    (lambda f: f._front("allreduce", np.ones(2), "bogus", np.ones(9), 1, op="sum"),
     r"expected one of the simulator allreduce algorithms .*got 'bogus'"),
    (lambda f: f._front("allreduce", np.ones(2), "ring", np.ones(9), 1, op="sum"),
     r"allreduce expected out of shape \(2,\), got \(9,\)"),
    (lambda f: f._broadcast_front(None, 9, "bogus", None, 1),
     r"broadcast expected a root in 0\.\.3, got 9"),
    (lambda f: f._broadcast_front(None, 0, "bogus", None, 1),
     r"expected one of the simulator broadcast algorithms .*got 'bogus'"),
    (lambda f: f._scatter_front(None, 0, "auto", [1, 2], 1),
     r"scatter expected out to be a numpy array, got list"),
], ids=["root", "input", "block", "problem", "algorithm", "out", "broadcast-root",
        "broadcast-name", "scatter-out"])
def test_checks_raise_in_order(call, message):
    """Of several bad arguments, the first in the order root, input, block shape, problem,
    algorithm, out is the one named (rank 1 of 4)."""
    with pytest.raises((InvalidInputError, UnknownAlgorithmError), match=message):
        call(_Front(1, 4))


def test_a_rank_without_a_buffer_asks_the_root():
    """Off the root, broadcast and scatter with neither buffer nor out give no plan and no
    array; with a buffer, its shape and dtype make the plan."""
    front = _Front(1, 2)
    assert front._broadcast_front(None, 0, "auto", None, 1) == (0, None, None, None, False)
    assert front._scatter_front(None, 0, "auto", None, 1) == (0, None, None, None, False)
    buf = np.zeros((2, 3), dtype=np.int16)
    root, plan, x, result, in_place = front._broadcast_front(buf, 0, "auto", None, 1)
    assert root == 0 and x is None and result is buf and not in_place
    assert plan is not None and (plan.block_shape, plan.dtype) == ((2, 3), np.int16)
    _, plan, x, result, _ = front._scatter_front(np.zeros((2, 5)), 0, "auto", None, 1)
    assert x is None and result is not None and result.shape == (5,)
    assert plan is not None and plan.block_shape == (5,)


def test_a_failed_call_refuses_the_next_before_its_arguments_are_planned():
    """After a failure a call raises the side's error, naming the call that failed, before
    planning (a bad segments value is not reached)."""
    front = _Front(0, 2)
    front._failure = "allreduce/ring failed: boom"
    with pytest.raises(CollectivesError, match=r"^expected a communicator whose calls all "
                       r"completed, got one whose call allreduce/ring failed: boom; make "
                       r"another$"):
        front._front("allreduce", np.ones(2), "auto", None, 0, op="sum")
    assert front.made == []


def test_the_default_group_size_is_the_plans_unless_the_call_gives_one():
    """A side's default G goes into every problem whose call gives no group_size."""
    front = _Front(0, 8, group_size=4)
    assert front._front("gather", np.ones(2), "auto", None, 1)[0].group_size == 4
    planned = front._front("allreduce", np.ones(2), "auto", None, 1, op="sum", group_size=2)
    assert planned[0].group_size == 2


def test_buffer_less_calls_work_on_a_hierarchical_network():
    """On a hierarchical network, scatter and broadcast off the root without a buffer meet the
    root's call (the root's problem and theirs carry the network's G alike)."""
    def program(comm: WorldCommunicator) -> tuple[list[float], list[float]]:
        root = comm.rank == 0
        block = comm.scatter(np.arange(8.0).reshape(4, 2) if root else None)
        whole = comm.broadcast(np.arange(3.0) if root else None)
        return block.tolist(), whole.tolist()

    results = run_world(program, 4, network=hierarchical(4, 2)).results
    assert results == [([2.0 * r, 2.0 * r + 1], [0.0, 1.0, 2.0]) for r in range(4)]


def test_a_freed_communicator_refuses_calls() -> None:
    """After free() every call is refused, naming free(), in the simulated world as under MPI
    (tests/mpi/test_errors.py)."""
    def program(comm):
        comm.free()
        with pytest.raises(CollectivesError, match=r"expected a communicator that was not "
                                                   r"freed, got one freed with free\(\)"):
            comm.allreduce(np.ones(3))
        with pytest.raises(CollectivesError, match="freed with free"):
            comm.traffic_matrix()
        return comm.freed

    assert run_world(program, 2).results == [True, True]
