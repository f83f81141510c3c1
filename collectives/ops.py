"""Reduction operations, shared by the simulator and the MPI side.

An op is named (``sum prod max min land lor lxor band bor bxor``), given as a numpy ufunc, as one
of mpi4py's predefined ``MPI.Op`` objects, or built by the user as ``Op(func, commutative=...)``
where ``func(a, b)`` returns ``a ∘ b`` elementwise. Results keep the input dtype and integers wrap
like C integers (int8 SUM of 4 × 100 is -112). Which dtypes each named op takes follows MPI:
arithmetic ops on integers, floats and complex (max and min not on complex), logical ops on
integers and booleans, bitwise ops on integers. ``max`` and ``min`` are numpy's ``maximum`` and
``minimum``: NaN wherever any operand is NaN, whatever the order of combining.

Reductions combine with numpy's ``out=`` so no temporary array is made for the predefined ops.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from collectives.errors import InvalidInputError

_INTEGER = "iu"
_FLOAT = "f"
_COMPLEX = "c"
_BOOL = "b"

# name -> (ufunc, dtype kinds it accepts, what those kinds are called in an error)
_PREDEFINED: dict[str, tuple[np.ufunc, str, str]] = {
    "sum": (np.add, _INTEGER + _FLOAT + _COMPLEX, "an integer, floating or complex"),
    "prod": (np.multiply, _INTEGER + _FLOAT + _COMPLEX, "an integer, floating or complex"),
    "max": (np.maximum, _INTEGER + _FLOAT, "an integer or floating"),
    "min": (np.minimum, _INTEGER + _FLOAT, "an integer or floating"),
    "land": (np.logical_and, _INTEGER + _BOOL, "an integer or boolean"),
    "lor": (np.logical_or, _INTEGER + _BOOL, "an integer or boolean"),
    "lxor": (np.logical_xor, _INTEGER + _BOOL, "an integer or boolean"),
    "band": (np.bitwise_and, _INTEGER, "an integer"),
    "bor": (np.bitwise_or, _INTEGER, "an integer"),
    "bxor": (np.bitwise_xor, _INTEGER, "an integer"),
}

OP_NAMES: tuple[str, ...] = tuple(_PREDEFINED)


@dataclass(frozen=True)
class Op:
    """A reduction ``a ∘ b``: associative, and commutative unless said otherwise.

    ``func(a, b)`` takes two arrays of one dtype and returns ``a ∘ b``; a ufunc is called with
    ``out=`` so it reduces in place. ``name`` is what the op is shown as.
    """

    func: Callable[..., Any]
    commutative: bool = True
    name: str = "user"
    dtype_kinds: str | None = field(default=None, compare=False)
    dtype_words: str = field(default="", compare=False)
    #: the user's own ``MPI.Op`` this op calls, which MPI's built-in collectives take as it is
    mpi_op: Any = field(default=None, compare=False, repr=False)

    @property
    def predefined(self) -> bool:
        """True for the ten named ops, which MPI also has built in."""
        return self.name in _PREDEFINED and self.func is _PREDEFINED[self.name][0]

    def check_dtype(self, dtype: np.dtype) -> None:
        """Raise when this op is not defined on ``dtype`` (a bitwise op on floats, say)."""
        dtype = np.dtype(dtype)
        if self.dtype_kinds is not None and dtype.kind not in self.dtype_kinds:
            raise InvalidInputError(
                f"op {self.name!r} expected {self.dtype_words} dtype, got {dtype}"
            )

    def reduce_into(self, accumulator: np.ndarray, operand: np.ndarray, *,
                    operand_first: bool = False) -> None:
        """In place: ``accumulator = accumulator ∘ operand`` (``operand ∘ accumulator`` if asked).

        ``operand_first`` matters only for non-commutative ops: it puts the operand on the left,
        for when it holds the lower ranks' data.
        """
        left, right = (operand, accumulator) if operand_first else (accumulator, operand)
        if isinstance(self.func, np.ufunc):
            self.func(left, right, out=accumulator, casting="unsafe")
        else:
            accumulator[...] = self.func(left, right)

    def combine(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """A new array ``left ∘ right``, in the dtype of ``left``."""
        result = np.array(left, copy=True)
        self.reduce_into(result, right)
        return result


def _named(name: str) -> Op:
    ufunc, kinds, words = _PREDEFINED[name]
    return Op(ufunc, commutative=True, name=name, dtype_kinds=kinds, dtype_words=words)


# mpi4py's ops this package cannot reduce with, and why
_MPI_REFUSED: dict[str, str] = {
    "MAXLOC": "it reduces (value, index) pairs, which this package does not move",
    "MINLOC": "it reduces (value, index) pairs, which this package does not move",
    "REPLACE": "it is for one-sided accumulate, not for reductions",
    "NO_OP": "it is for one-sided accumulate, not for reductions",
    "OP_NULL": "a null or freed op",
}


def _from_mpi_op(op: Any) -> Op:
    """Our op for an mpi4py ``MPI.Op`` (predefined, or a user one called via Reduce_local)."""
    from mpi4py import MPI  # already imported by whoever made ``op``

    for name in OP_NAMES:  # MPI.Op cannot be hashed: compare with each predefined op in turn
        if op == getattr(MPI, name.upper()):
            return _named(name)
    for handle, why in _MPI_REFUSED.items():
        if op == getattr(MPI, handle):
            raise InvalidInputError(
                f"expected one of MPI's reduction ops "
                f"({', '.join(n.upper() for n in OP_NAMES)}) or a user op made with "
                f"MPI.Op.Create, got MPI.{handle} ({why})"
            )

    def reduce_local(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        result = np.array(right, copy=True)
        op.Reduce_local(left, result)  # MPI: inoutbuf = inbuf op inoutbuf
        return result

    return Op(reduce_local, commutative=bool(op.Is_commutative()), name="mpi-user", mpi_op=op)


def resolve_op(op: str | np.ufunc | Op | Any) -> Op:
    """Turn a name, a numpy ufunc, an ``MPI.Op`` or an :class:`Op` into an :class:`Op`.

    A binary ufunc that is not one of the named ops becomes a commutative user op; wrap it as
    ``Op(ufunc, commutative=False)`` when it is not commutative.
    """
    if isinstance(op, Op):
        return op
    if isinstance(op, str):
        key = op.lower()
        if key not in _PREDEFINED:
            raise InvalidInputError(
                f"expected an op named one of {', '.join(OP_NAMES)}, got {op!r}"
            )
        return _named(key)
    if isinstance(op, np.ufunc):
        for name, (ufunc, _, _) in _PREDEFINED.items():
            if op is ufunc:
                return _named(name)
        if op.nin != 2 or op.nout != 1:
            raise InvalidInputError(
                f"expected a binary ufunc (2 inputs, 1 output), got {op.__name__} "
                f"with {op.nin} inputs and {op.nout} outputs"
            )
        return Op(op, commutative=True, name=op.__name__)
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and isinstance(op, mpi.Op):
        return _from_mpi_op(op)
    if callable(op):
        raise InvalidInputError(
            f"expected an op name, a ufunc, an MPI.Op or collectives.Op, got the callable {op!r};"
            " wrap it as Op(func, commutative=...)"
        )
    raise InvalidInputError(
        f"expected an op name, a ufunc, an MPI.Op or collectives.Op, got {type(op).__name__}"
    )
