"""The hierarchical algorithms under a real mpiexec, in nodes of every G that divides N
(``group_size=G``; on one machine ``Split_type`` finds one node): results equal numpy's and MPI's
built-in ones, and the bytes each rank sent to each peer equal the simulator's traffic matrix for
the same G, for every count, dtype, op and calling mode of the registry-driven tests; segmented
steps too; uneven nodes are refused naming ``ring``; without ``group_size`` the one node found
gives the flat ring's traffic; ``auto`` picks ``hierarchical`` for a large all-reduce in nodes."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI
from mpi_cases import Case, cases_for, check_cases, check_refusal, gather_failures, report

from collectives.errors import MismatchError, UnsupportedError
from collectives.mpi import Communicator, segments
from collectives.mpi.nodes import Nodes

HIERARCHICAL = ("allreduce", "reduce_scatter", "allgather")


def _divisors(n: int) -> list[int]:
    return [g for g in range(1, n + 1) if n % g == 0]


@pytest.mark.parallel([1, 2, 4, 6])
def test_every_group_size_matches_numpy_mpi_and_simulator() -> None:
    """Every collective, G dividing N, count, dtype, op and mode: numpy's and MPI's results,
    the simulator's traffic for that G."""
    comm = Communicator(MPI.COMM_WORLD)
    failures: list[str] = []
    for collective in HIERARCHICAL:
        for g in _divisors(comm.size):
            failures += check_cases(comm, cases_for(collective, "hierarchical", comm.size, g))
    failures = gather_failures(failures)
    assert not failures, report(failures)


@pytest.mark.parallel([4, 6])
def test_segmented_steps_in_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """With segments of 24 bytes every ring step is cut into several messages, and the results
    and traffic still hold in nodes of 2."""
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 24)
    comm = Communicator(MPI.COMM_WORLD)
    cases = [Case(collective, "hierarchical", 7 * comm.size + 2, "float64", op, mode=mode,
                  group_size=2)
             for collective, op in (("allreduce", "sum"), ("reduce_scatter", "sum"),
                                    ("allgather", None))
             for mode in ("new", "out", *(("in_place",) if collective == "allreduce" else ()))]
    failures = gather_failures(check_cases(comm, cases))
    assert not failures, report(failures)


@pytest.mark.parallel([3, 6])
def test_uneven_nodes_are_refused_naming_ring() -> None:
    """G = 2 does not divide N = 3, nor G = 4 N = 6: refused on every rank, naming 'ring'; the
    communicator takes the next call."""
    comm = Communicator(MPI.COMM_WORLD)
    x, g = np.ones((comm.size, 3)), 2 if comm.size == 3 else 4
    failures = [line for collective in HIERARCHICAL for line in check_refusal(
        f"N={comm.size} {collective}", UnsupportedError,
        rf"expected N a multiple of group_size {g}, got N = {comm.size}.*use algorithm 'ring'",
        lambda c=collective: getattr(comm, c)(x, algorithm="hierarchical", group_size=g))]
    assert np.array_equal(comm.allreduce(np.ones(3), algorithm="hierarchical"),
                          np.full(3, comm.size))
    failures = gather_failures(failures)
    assert not failures, report(failures)


@pytest.mark.parallel([2, 4])
def test_one_node_found_runs_the_flat_ring() -> None:
    """Without group_size, Split_type finds this machine's one node: the algorithm runs, gives
    numpy's result and the flat ring's traffic (the registry-driven cases, G not passed)."""
    comm = Communicator(MPI.COMM_WORLD)
    failures: list[str] = []
    for collective in HIERARCHICAL:
        cases = cases_for(collective, "hierarchical", comm.size)
        failures += check_cases(comm, cases)
        failures += check_cases(comm, [Case(c.collective, "ring", c.count, c.dtype, c.op)
                                       for c in cases[:1]])
    with comm.record_traffic():
        comm.allreduce(np.arange(10.0), algorithm="hierarchical")
    flat = comm.traffic_matrix()
    with comm.record_traffic():
        comm.allreduce(np.arange(10.0), algorithm="ring")
    if not np.array_equal(flat, comm.traffic_matrix()):
        failures.append(f"N={comm.size}: hierarchical in one node sent other bytes than ring")
    failures = gather_failures(failures)
    assert not failures, report(failures)


@pytest.mark.parallel(4)
def test_auto_picks_hierarchical_for_a_large_allreduce_in_nodes() -> None:
    """Nodes of 2: auto runs hierarchical from 2 MiB, as before below it and in one node."""
    comm = Communicator(MPI.COMM_WORLD)
    large = np.ones(2**21 // 8 * 2)  # 4 MiB of float64
    assert np.array_equal(comm.allreduce(large, group_size=2), np.full(large.size, 4.0))
    assert comm.last_algorithm == "hierarchical"
    comm.allreduce(np.ones(16), group_size=2)
    assert comm.last_algorithm == "recursive_doubling"
    comm.allreduce(large)
    assert comm.last_algorithm == "ring"
    comm.allreduce(large, group_size=4)
    assert comm.last_algorithm == "ring"


@pytest.mark.parallel(2)
def test_ranks_that_disagree_on_the_group_size_raise_naming_it() -> None:
    """group_size 1 on rank 0 and 2 on rank 1: MismatchError on both, naming the group sizes."""
    comm = Communicator(MPI.COMM_WORLD)
    with pytest.raises(MismatchError, match=r"different group sizes: 1 on rank 0, 2 on rank 1"):
        comm.allreduce(np.ones(4), algorithm="hierarchical", group_size=comm.rank + 1)
    assert np.array_equal(comm.allreduce(np.ones(4), algorithm="hierarchical"), np.full(4, 2.0))


def test_nodes_of_different_sizes_or_scattered_ranks_have_no_group_size() -> None:
    """Nodes of 2 and 2 consecutive ranks have G = 2; of 3 and 1, or round-robin, none, and
    why_not says which."""
    assert Nodes((0, 0, 2, 2)).group_size == 2
    assert Nodes((0, 0, 0, 0)).group_size == 4
    assert Nodes((0, 0, 0, 3)).group_size is None
    assert Nodes((0, 0, 0, 3)).why_not() == "nodes of 3, 1 ranks"
    assert Nodes((0, 1, 0, 1)).group_size is None
    assert "not consecutive" in Nodes((0, 1, 0, 1)).why_not()


def test_nodes_found_uneven_are_refused_with_why_and_ring() -> None:
    """Without group_size, nodes of 3 and 1 ranks from Split_type are refused, saying so and
    naming 'ring' and group_size=; auto does not consider hierarchical there."""
    from collectives.mpi.plan import algorithm_for, with_nodes
    from collectives.ops import resolve_op
    from collectives.spec import Problem

    nodes = Nodes((0, 0, 0, 3))
    problem = with_nodes(Problem("allreduce", 4, (2**20,), np.dtype("float64"),
                                 op=resolve_op("sum")), nodes)
    assert problem.group_size is None
    with pytest.raises(UnsupportedError, match=r"got nodes of 3, 1 ranks; pass group_size=G "
                                               r"for nodes of G consecutive ranks, or use "
                                               r"algorithm 'ring'"):
        algorithm_for(problem, "hierarchical", nodes)
    assert algorithm_for(problem, None, nodes) == "ring"
    grouped = with_nodes(problem, Nodes((0, 0, 2, 2)))
    assert grouped.group_size == 2 and algorithm_for(grouped, None) == "hierarchical"
