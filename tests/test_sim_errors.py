"""Bad input raises an InvalidInputError that says what was expected and what came."""

from __future__ import annotations

import numpy as np
import pytest

from collectives.errors import CollectivesError, InvalidInputError, UnknownAlgorithmError
from collectives.ops import Op
from collectives.sim import SIM_ALGORITHMS, Simulation


def _arrays(ranks: int, shape=(4,), dtype="int32"):
    return [np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape) + r for r in range(ranks)]


def test_shapes_that_differ_across_ranks():
    """Rank 1's buffer of 5 elements against rank 0's 4 is refused, naming both shapes."""
    inputs = [np.zeros(4), np.zeros(5), np.zeros(4)]
    with pytest.raises(InvalidInputError, match=r"allreduce expected every rank's shape to be "
                                                r"\(4,\) \(rank 0's\), got \(5,\) on rank 1"):
        Simulation("allreduce", inputs, algorithm="ring")


def test_dtypes_that_differ_across_ranks():
    """Rank 2's float32 against rank 0's int32 is refused, naming both dtypes."""
    inputs = [*_arrays(2), np.zeros(4, dtype=np.float32)]
    with pytest.raises(InvalidInputError, match=r"allgather expected every rank's dtype to be "
                                                r"int32 \(rank 0's\), got float32 on rank 2"):
        Simulation("allgather", inputs, algorithm="ring")


def test_the_root_sets_the_shape_for_broadcast():
    """For broadcast the root's buffer is the one others are held to."""
    inputs = [np.zeros(3), None, np.zeros(2)]
    with pytest.raises(InvalidInputError, match=r"expected every rank's shape to be \(2,\) "
                                                r"\(rank 2's\), got \(3,\) on rank 0"):
        Simulation("broadcast", inputs, algorithm="binomial", root=2)


@pytest.mark.parametrize("collective", ["broadcast", "scatter", "gather", "reduce"])
@pytest.mark.parametrize("root", [3, -1, 17])
def test_a_root_out_of_range(collective, root):
    """A root outside 0..N-1 is refused, naming the valid range and the root given, in data
    and count-only mode."""
    algorithm = SIM_ALGORITHMS.names(collective)[0]
    shape = (3, 4) if collective == "scatter" else (4,)
    with pytest.raises(InvalidInputError, match=rf"expected a root in 0\.\.2, got {root}"):
        Simulation(collective, _arrays(3, shape), algorithm=algorithm, root=root)
    with pytest.raises(InvalidInputError, match=rf"expected a root in 0\.\.2, got {root}"):
        Simulation.count_only(collective, ranks=3, count=4, algorithm=algorithm, root=root)


@pytest.mark.parametrize("collective", ["broadcast", "scatter", "gather", "reduce"])
@pytest.mark.parametrize("root", [1.5, 2.0, "1", None])
def test_a_root_that_is_no_integer(collective, root):
    """A root of 1.5 (or 2.0, "1", None) is refused, not taken as no rank at all, in data and
    count-only mode."""
    algorithm = SIM_ALGORITHMS.names(collective)[0]
    shape = (3, 4) if collective == "scatter" else (4,)
    match = rf"expected an integer root, got {root!r} \({type(root).__name__}\)"
    with pytest.raises(InvalidInputError, match=match):
        Simulation(collective, _arrays(3, shape), algorithm=algorithm, root=root)
    with pytest.raises(InvalidInputError, match=match):
        Simulation.count_only(collective, ranks=3, count=4, algorithm=algorithm, root=root)


def test_a_numpy_integer_root_is_a_root():
    """np.int64(1) is rank 1."""
    result = Simulation("reduce", _arrays(3), algorithm="binomial", root=np.int64(1)).run()
    assert result.root == 1 and result.outputs[1] is not None and result.verified


@pytest.mark.parametrize("collective", ["broadcast", "scatter", "gather", "reduce", "allgather",
                                        "reduce_scatter", "allreduce", "alltoall"])
def test_an_unknown_algorithm_lists_the_valid_ones(collective):
    """An unknown algorithm name raises UnknownAlgorithmError listing every registered one."""
    with pytest.raises(UnknownAlgorithmError) as caught:
        Simulation.count_only(collective, ranks=3, count=4, algorithm="telepathy")
    message = str(caught.value)
    assert message.startswith(f"expected one of the {collective} algorithms (")
    assert message.endswith("got 'telepathy'")
    for name in SIM_ALGORITHMS.names(collective):
        assert repr(name)[1:-1] in message


def test_an_unknown_collective():
    """A collective name that does not exist lists the ones that do."""
    with pytest.raises(InvalidInputError, match=r"expected a collective, one of broadcast, "
                                                r"scatter, .*; got 'bcast'"):
        Simulation("bcast", _arrays(2), algorithm="binomial")


def test_an_unknown_op_lists_the_named_ones():
    """An op name that does not exist lists the ten named ops."""
    with pytest.raises(InvalidInputError, match=r"expected an op named one of sum, prod, max, "
                                                r"min, land, lor, lxor, band, bor, bxor, got "
                                                r"'average'"):
        Simulation("allreduce", _arrays(2), algorithm="ring", op="average")


@pytest.mark.parametrize(("op", "dtype", "words"), [
    ("band", "float32", "an integer"),
    ("bxor", "float64", "an integer"),
    ("max", "complex64", "an integer or floating"),
    ("sum", "bool", "an integer, floating or complex"),
    ("land", "float16", "an integer or boolean"),
])
def test_an_op_not_defined_on_the_dtype(op, dtype, words):
    """A bitwise op on floats, max on complex, sum on booleans: refused, naming op and dtype."""
    inputs = [np.ones(3, dtype=dtype)] * 2
    match = rf"op '{op}' expected {words} dtype, got {dtype}"
    with pytest.raises(InvalidInputError, match=match):
        Simulation("allreduce", inputs, algorithm="ring", op=op)
    with pytest.raises(InvalidInputError, match=match):
        Simulation.count_only("reduce", ranks=2, count=3, dtype=dtype, algorithm="binomial",
                              op=op)


def test_a_bare_function_must_be_wrapped_as_an_op():
    """A plain callable is refused with a hint to wrap it in Op(..., commutative=...)."""
    with pytest.raises(InvalidInputError, match=r"got the callable .*; wrap it as "
                                                r"Op\(func, commutative=\.\.\.\)"):
        Simulation("allreduce", _arrays(2), algorithm="tree", op=lambda a, b: a + b)


@pytest.mark.parametrize("collective", ["scatter", "reduce_scatter", "alltoall"])
def test_blocked_inputs_need_n_along_the_first_axis(collective):
    """Scatter, reduce-scatter and all-to-all want (N, ...) inputs; (2, 4) on 3 ranks is
    refused, naming the shape expected and the shape given."""
    algorithm = SIM_ALGORITHMS.names(collective)[0]
    with pytest.raises(InvalidInputError, match=rf"{collective} expected an input of shape "
                                                r"\(3, \.\.\.\) .*got shape \(2, 4\)"):
        Simulation(collective, _arrays(3, (2, 4)), algorithm=algorithm)


def test_a_scalar_cannot_be_scattered():
    """A 0-d input has no first axis to scatter along."""
    with pytest.raises(InvalidInputError, match=r"got shape \(\)"):
        Simulation("scatter", [np.array(5), None], algorithm="linear")


@pytest.mark.parametrize(("collective", "inputs", "root", "rank"), [
    ("allreduce", [np.zeros(2), None, np.zeros(2)], 0, 1),
    ("gather", [np.zeros(2), np.zeros(2), None], 0, 2),
    ("alltoall", [None, np.zeros((2, 1))], 0, 0),
    ("broadcast", [np.zeros(2), None], 1, 1),
    ("scatter", [np.zeros((2, 3)), None], 1, 1),
], ids=["allreduce", "gather", "alltoall", "broadcast-root", "scatter-root"])
def test_none_where_an_input_is_needed(collective, inputs, root, rank):
    """None from a rank that must bring data (every rank, or the root of broadcast and
    scatter) is refused, naming the rank."""
    algorithm = SIM_ALGORITHMS.names(collective)[0]
    with pytest.raises(InvalidInputError, match=rf"{collective} expected an array on rank "
                                                rf"{rank}, got None"):
        Simulation(collective, inputs, algorithm=algorithm, root=root)


def test_non_roots_of_broadcast_may_bring_none():
    """Ranks that bring no data (non-roots of broadcast) may pass None."""
    result = Simulation("broadcast", [None, np.arange(3), None], algorithm="binomial",
                        root=1).run()
    assert [out.tolist() for out in result.outputs] == [[0, 1, 2]] * 3


def test_no_ranks_at_all():
    """An empty list of inputs is refused."""
    with pytest.raises(InvalidInputError, match=r"expected inputs for at least 1 rank, got an "
                                                r"empty sequence"):
        Simulation("allreduce", [], algorithm="ring")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"ranks": 0}, r"expected at least 1 rank, got 0"),
    ({"count": -1}, r"expected a count \(block shape\) >= 0, got \(-1,\)"),
    ({"dtype": "float99"}, r"expected a numpy dtype name, got 'float99'"),
    ({"dtype": "object"}, r"expected a dtype of plain bytes .*, got object"),
], ids=["no-ranks", "negative-count", "unknown-dtype", "object-dtype"])
def test_count_only_checks_its_arguments(kwargs, match):
    """count_only refuses zero ranks, a negative count and a dtype that is no dtype of bytes."""
    arguments = {"ranks": 4, "count": 8, "dtype": "float32", **kwargs}
    with pytest.raises(InvalidInputError, match=match):
        Simulation.count_only("allreduce", algorithm="ring", **arguments)


def test_object_arrays_are_refused():
    """Python objects have no bytes to send."""
    with pytest.raises(InvalidInputError, match=r"got object"):
        Simulation("allgather", [np.array([1, "a"], dtype=object)] * 2, algorithm="ring")


def test_errors_are_value_errors_and_collectives_errors():
    """Input errors can be caught as ValueError or as the package's CollectivesError."""
    with pytest.raises(ValueError):
        Simulation("allreduce", [], algorithm="ring")
    with pytest.raises(CollectivesError):
        Simulation("allreduce", _arrays(2), algorithm="ring", op=Op(np.add, name="add",
                                                                     dtype_kinds="f",
                                                                     dtype_words="a floating"))
