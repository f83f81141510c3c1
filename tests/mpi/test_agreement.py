"""The agreement fields: exact (calls that differ never share fields, whatever a hash would do),
not ready where a call's terms do not fit them, and the errors the gathered calls give."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from mpi4py import MPI

from collectives import Op
from collectives.errors import InvalidInputError, MismatchError, UnsupportedError
from collectives.mpi import Communicator
from collectives.mpi.agreement import Agreement, Terms, terms_of
from collectives.ops import resolve_op
from collectives.spec import Problem


def _allreduce(count: int, dtype: str, op: object, algorithm: str = "ring") -> Terms:
    problem = Problem("allreduce", 2, (count,), np.dtype(dtype), op=resolve_op(op))
    return terms_of(problem, algorithm)


@pytest.mark.parametrize(("left", "right"), [
    (_allreduce(968, "float64", "max"), _allreduce(968, "float64", "prod")),
    (_allreduce(50_798, "float64", "sum"), _allreduce(50_798, "float64", Op(np.add))),
    (_allreduce(61_429, "int64", "max"), _allreduce(61_429, "int64", "band")),
], ids=["max-prod", "sum-user", "max-band"])
def test_the_calls_whose_tags_collided_have_different_fields(left: Terms, right: Terms) -> None:
    """The three pairs of calls whose 15-bit tag hashes collided differ in their fields."""
    assert left.fields()[0] == right.fields()[0] == 1  # both ready
    assert left.fields().tobytes() != right.fields().tobytes()


def test_fields_are_equal_exactly_when_the_terms_are() -> None:
    """Over every combination of collective, algorithm, root, op, dtype, count, segments and
    group size here, two calls share fields exactly when they share terms."""
    calls = [Terms(collective, algorithm, root, op, np.dtype(dtype), count, segments,
                   group_size=group)
             for collective, algorithm, root, op, dtype, count, segments, group
             in itertools.product(
                 ("allreduce", "reduce_scatter", "broadcast"), ("ring", "mpi", "hierarchical"),
                 (None, 0, 1), (None, "sum", "max", "user", "first/noncommutative"),
                 ("float32", "int32", ">f4", "<U3"), (0, 1, 2**40), (1, 4), (None, 1, 4))]
    by_fields = {call.fields().tobytes(): call for call in calls}
    assert len(by_fields) == len(set(calls)) == len(calls)


@pytest.mark.parametrize("terms", [
    Terms("allgather", "ring", None, None, np.dtype([("a", "<i4"), ("b", "<f8")]), 3, 1),
    Terms("allreduce", "tree", None, "a-user-op-whose-name-is-longer-than-the-fields-hold",
          np.dtype("<f8"), 3, 1),
    Terms("scatter", None, 0, None, None, None, 1),
], ids=["structured-dtype", "long-op-name", "unknown-block"])
def test_terms_that_do_not_fit_the_fields_are_not_ready(terms: Terms) -> None:
    """A structured dtype, a text longer than the fields or an unknown block send ready 0, so
    the ranks compare their gathered calls instead."""
    assert not terms.fields().any()


def test_calls_that_do_not_fit_the_fields_still_run() -> None:
    """A structured dtype and a user op with a long name take the gathered comparison and run."""
    solo = Communicator(MPI.COMM_SELF)
    pairs = np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")])
    assert solo.allgather(pairs).shape == (1, 3)
    long_name = Op(np.add, name="an-addition-whose-name-is-too-long-for-the-agreement-fields")
    assert np.array_equal(solo.allreduce(np.arange(4.0), op=long_name), np.arange(4.0))


def _settle(gathered: list[tuple[Terms | None, tuple[str, str] | None]],
            error: BaseException | None = None) -> Terms:
    agreement = Agreement(MPI.COMM_SELF, 1.0)
    agreement._allgather = lambda mine, describe: gathered  # type: ignore[method-assign]
    return agreement.settle("allreduce", gathered[0][0], error)


def test_the_mismatch_names_every_difference_and_the_ranks() -> None:
    """Ranks differing in op and count: one MismatchError naming both, value by value."""
    calls = [(_allreduce(8, "float32", "max"), None), (_allreduce(8, "float32", "prod"), None),
             (_allreduce(9, "float32", "max"), None)]
    with pytest.raises(MismatchError, match=r"^allreduce expected every rank to make the same "
                                            r"call, got different ops: 'max' on ranks 0, 2, "
                                            r"'prod' on rank 1; different counts: 8 on ranks "
                                            r"0, 1, 9 on rank 2$"):
        _settle(calls)


def test_refusals_are_raised_with_the_refusing_ranks_class_and_reason() -> None:
    """One class of refusal keeps its class; several reasons are listed rank by rank."""
    good = (_allreduce(8, "float32", "sum"), None)
    with pytest.raises(UnsupportedError, match=r"^allreduce refused by rank 1: no$"):
        _settle([good, (None, ("UnsupportedError", "no"))])
    with pytest.raises(InvalidInputError, match=r"^allreduce refused by ranks 1, 2: rank 1: "
                                                r"bad x; rank 2: bad op$"):
        _settle([good, (None, ("InvalidInputError", "bad x")),
                 (None, ("UnsupportedError", "bad op"))])
    with pytest.raises(InvalidInputError, match=r"^allreduce refused by rank 1: huge$"):
        _settle([good, (None, ("MemoryError", "huge"))])


def test_a_rank_that_does_not_know_its_block_takes_the_roots() -> None:
    """scatter off the root with x=None: the settled terms are the root's, block included."""
    root = Terms("scatter", "binomial", 1, None, np.dtype("int16"), 6, 1, (2, 3))
    unknown = Terms("scatter", None, 1, None, None, None, 1)
    other = Terms("scatter", "binomial", 1, None, np.dtype("int16"), 6, 1, (6,))
    assert _settle([(unknown, None), (root, None), (other, None)]).block == (2, 3)


def test_the_group_size_is_one_of_the_fields() -> None:
    """Fourteen fields and their negations; the group size of the problem is the fifth, -1
    where there is none, so calls in nodes of different sizes never share fields."""
    problem = Problem("allreduce", 4, (8,), np.dtype("float32"), op=resolve_op("sum"))
    ungrouped = terms_of(problem, "hierarchical").fields()
    grouped = terms_of(replace(problem, group_size=2), "hierarchical").fields()
    assert ungrouped.shape == grouped.shape == (28,)
    assert (ungrouped[4], grouped[4]) == (-1, 2)
    assert np.array_equal(ungrouped[14:], -ungrouped[:14])
