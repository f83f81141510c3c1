"""Checks of the arrays a caller hands to a collective, made before any message is sent (shared by
the MPI side and the simulated world; importing it never starts MPI)."""

from __future__ import annotations

from typing import Any

import numpy as np

from collectives.errors import InvalidInputError
from collectives.spec import as_dtype, checked_root


def as_input(x: Any, collective: str, name: str = "x") -> np.ndarray:
    """``x`` as a numpy array of a dtype whose bytes can travel (it is never written)."""
    if x is None:
        raise InvalidInputError(f"{collective} expected an array for {name}, got None")
    array = np.asarray(x)
    as_dtype(array.dtype)
    return array


def as_root(root: Any, collective: str, size: int) -> int:
    """``root`` as an int in ``0..size-1`` (:func:`collectives.spec.checked_root`), the error
    naming the collective."""
    try:
        return checked_root(root, size)
    except InvalidInputError as error:
        raise InvalidInputError(f"{collective} {error}") from None


def same_array(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` and ``b`` are the same memory seen the same way (in-place calls)."""
    return (a is b) or (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
    )


def is_in_place(out: np.ndarray, x: np.ndarray) -> bool:
    """``same_array(out, x)``, answered at once for arrays that share no memory (most calls)."""
    return out is x or (np.may_share_memory(out, x) and same_array(out, x))


def check_out(out: Any, shape: tuple[int, ...] | None, dtype: np.dtype | None,
              collective: str, name: str = "out", *, contiguous: bool = True) -> np.ndarray:
    """``out`` if it can hold the result: an ndarray of ``shape`` and ``dtype`` (either not
    checked when None), C-contiguous (unless ``contiguous`` is False) and writeable."""
    if not isinstance(out, np.ndarray):
        raise InvalidInputError(
            f"{collective} expected {name} to be a numpy array, got {type(out).__name__}"
        )
    if shape is not None and out.shape != tuple(shape):
        raise InvalidInputError(
            f"{collective} expected {name} of shape {tuple(shape)}, got {out.shape}"
        )
    as_dtype(out.dtype)
    if dtype is not None and out.dtype != dtype:
        raise InvalidInputError(f"{collective} expected {name} of dtype {dtype}, got {out.dtype}")
    if contiguous and not out.flags.c_contiguous:
        raise InvalidInputError(
            f"{collective} expected {name} to be C-contiguous, got a strided view "
            f"(strides {out.strides}); pass a contiguous array or let the call allocate one"
        )
    if not out.flags.writeable:
        raise InvalidInputError(f"{collective} expected {name} to be writeable, got a read-only "
                                "array")
    return out


def check_apart(out: np.ndarray, x: np.ndarray, collective: str) -> None:
    """Refuse an ``out`` that overlaps ``x`` without being ``x`` itself."""
    if np.may_share_memory(out, x) and not same_array(out, x):
        raise InvalidInputError(
            f"{collective} expected out to be x itself (in place) or memory apart from x, got "
            "an out that overlaps x"
        )


def flat(array: np.ndarray) -> np.ndarray:
    """A flat view of a C-contiguous array."""
    return array.reshape(-1)
