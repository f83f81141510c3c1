"""Reduction ops: names, ufuncs, which dtypes each takes, wrapping integers, and order."""

from __future__ import annotations

import numpy as np
import pytest

from collectives.errors import InvalidInputError
from collectives.ops import OP_NAMES, Op, resolve_op

UFUNCS = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum,
          "land": np.logical_and, "lor": np.logical_or, "lxor": np.logical_xor,
          "band": np.bitwise_and, "bor": np.bitwise_or, "bxor": np.bitwise_xor}

# MPI's table: which op applies to which kind of dtype (i, u integers, f floating, c complex,
# b boolean).
ACCEPTS = {"sum": "iufc", "prod": "iufc", "max": "iuf", "min": "iuf", "land": "iub",
           "lor": "iub", "lxor": "iub", "band": "iu", "bor": "iu", "bxor": "iu"}
DTYPES = ["int8", "uint8", "int32", "int64", "uint64", "float16", "float32", "float64",
          "complex64", "complex128", "bool"]


def test_the_ten_named_ops():
    """The named ops are MPI's ten predefined reductions, in MPI's order."""
    assert OP_NAMES == ("sum", "prod", "max", "min", "land", "lor", "lxor", "band", "bor",
                        "bxor")


@pytest.mark.parametrize("name", list(UFUNCS))
def test_a_name_resolves_to_its_ufunc(name):
    """Each name gives a commutative, predefined op on numpy's ufunc, named as asked."""
    op = resolve_op(name)
    assert op.func is UFUNCS[name] and op.name == name
    assert op.commutative and op.predefined


@pytest.mark.parametrize("name", list(UFUNCS))
def test_a_ufunc_resolves_to_its_name(name):
    """Giving numpy's ufunc instead of the name gives the same op."""
    assert resolve_op(UFUNCS[name]) == resolve_op(name)


def test_names_are_case_insensitive():
    """'SUM' and 'Max' are understood."""
    assert resolve_op("SUM").name == "sum" and resolve_op("Max").name == "max"


def test_an_op_resolves_to_itself():
    """An Op passes through untouched."""
    op = Op(np.hypot, name="hypot")
    assert resolve_op(op) is op and not op.predefined


def test_an_unknown_name_lists_the_named_ops():
    """An unknown name is refused with the list of names."""
    with pytest.raises(InvalidInputError, match=r"expected an op named one of sum, prod, .*, "
                                                r"bxor, got 'mean'"):
        resolve_op("mean")


def test_another_binary_ufunc_becomes_a_commutative_user_op():
    """np.hypot, not one of the ten, becomes a user op called 'hypot', taken as commutative."""
    op = resolve_op(np.hypot)
    assert op.name == "hypot" and op.commutative and not op.predefined


def test_a_unary_ufunc_is_refused():
    """np.sqrt takes one input, so it cannot combine two buffers."""
    with pytest.raises(InvalidInputError, match=r"expected a binary ufunc \(2 inputs, 1 "
                                                r"output\), got sqrt with 1 inputs"):
        resolve_op(np.sqrt)


@pytest.mark.parametrize("thing", [None, 3, 2.5])
def test_something_that_is_no_op(thing):
    """None or a number is refused, naming its type."""
    with pytest.raises(InvalidInputError, match=rf"got {type(thing).__name__}$"):
        resolve_op(thing)


def test_a_plain_function_must_say_whether_it_commutes():
    """A plain function is refused with the advice to wrap it."""
    with pytest.raises(InvalidInputError, match=r"wrap it as Op\(func, commutative=\.\.\.\)"):
        resolve_op(max)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(UFUNCS))
def test_which_dtypes_each_op_takes(name, dtype):
    """Each op takes exactly the dtypes MPI allows it, and refuses the others naming both."""
    op = resolve_op(name)
    if np.dtype(dtype).kind in ACCEPTS[name]:
        op.check_dtype(np.dtype(dtype))
    else:
        with pytest.raises(InvalidInputError, match=rf"op '{name}' expected .* dtype, got "
                                                    rf"{dtype}"):
            op.check_dtype(np.dtype(dtype))


def test_int8_sum_wraps():
    """int8: 100 + 100 + 100 + 100 wraps to -112, kept in int8."""
    acc = np.full(3, 100, dtype=np.int8)
    op = resolve_op("sum")
    for _ in range(3):
        op.reduce_into(acc, np.full(3, 100, dtype=np.int8))
    assert acc.dtype == np.int8 and acc.tolist() == [-112] * 3


def test_uint8_prod_wraps():
    """uint8: 16 × 16 is 0 modulo 256."""
    acc = np.array([16, 3], dtype=np.uint8)
    resolve_op("prod").reduce_into(acc, np.array([16, 5], dtype=np.uint8))
    assert acc.tolist() == [0, 15]


def test_logical_ops_on_integers_give_0_or_1():
    """land/lor/lxor on integers give 0 or 1 in the integer dtype, as MPI's do."""
    a = np.array([0, 5, 0, -3], dtype=np.int32)
    b = np.array([0, 0, 7, 2], dtype=np.int32)
    results = {name: resolve_op(name).combine(a, b) for name in ("land", "lor", "lxor")}
    assert results["land"].tolist() == [0, 0, 0, 1]
    assert results["lor"].tolist() == [0, 1, 1, 1]
    assert results["lxor"].tolist() == [0, 1, 1, 0]
    assert all(r.dtype == np.int32 for r in results.values())


def test_bitwise_ops():
    """band, bor, bxor on 0b1100 and 0b1010."""
    a, b = np.array([12], dtype=np.uint8), np.array([10], dtype=np.uint8)
    assert [resolve_op(n).combine(a, b)[0] for n in ("band", "bor", "bxor")] == [8, 14, 6]


def test_combine_leaves_its_inputs_alone():
    """combine returns a new array and changes neither operand."""
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    out = resolve_op("max").combine(a, b)
    assert out.tolist() == [3.0, 4.0] and a.tolist() == [1.0, 2.0] and b.tolist() == [3.0, 4.0]


def test_reduce_into_keeps_the_accumulator_on_the_left_unless_told():
    """A non-commutative op: acc ∘ operand by default, operand ∘ acc with operand_first."""
    keep_left = Op(lambda a, b: a * 10 + b, commutative=False)
    acc = np.array([1, 2])
    keep_left.reduce_into(acc, np.array([3, 4]))
    assert acc.tolist() == [13, 24]
    acc = np.array([1, 2])
    keep_left.reduce_into(acc, np.array([3, 4]), operand_first=True)
    assert acc.tolist() == [31, 42]


def test_a_user_op_without_dtype_limits_takes_any_dtype():
    """A user op accepts every dtype (it knows its own limits)."""
    op = Op(np.add)
    for dtype in DTYPES:
        op.check_dtype(np.dtype(dtype))
