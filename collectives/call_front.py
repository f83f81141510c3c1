"""The front end of the eight collectives, shared by the MPI ``Communicator`` and the simulated
world's ``WorldCommunicator`` (free of MPI): a call's arguments turned into what both sides need.

:class:`CallFront` checks a call's arguments and gives its plan (made once per call signature
by the side's :meth:`CallFront._new_plan` from the call's :class:`~collectives.spec.Problem`,
and kept in a :class:`SignatureCache`), this rank's input (None where it brings none), the
array that receives its result (``out`` checked, or a new one; None on ranks that get none) and
whether that array is the input itself (in place). A broadcast or scatter on a rank that brings
no buffer gets no plan: the block's shape and dtype are the root's, which the side asks for.

Each check raises on the rank that fails it before any message (the MPI side then has every rank
raise, naming that rank), in one order on both sides: the root, the input (or ``buf``, or the
kind of ``out``), the block shape, a communicator whose earlier call failed, the problem
(segments, group size, op against dtype), the algorithm (the side's, ``auto`` resolved), then
``out``'s shape, dtype and layout and its overlap with the input (broadcast checks ``out``
against the root's ``buf`` before planning). The messages are :mod:`collectives.buffers`' and
:mod:`collectives.spec`'s.

What it assumes: a side's plan depends only on the call's signature (collective, block shape,
dtype, root, op, segments, algorithm asked, group size), so it is kept per signature, 64 at the
most (small calls repeat a few; a full cache starts again empty). Cost per call of a signature
seen before: the input's checks, one tuple key and one dictionary look-up, and the result
array (``np.empty``) when ``out`` is not given.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from collectives.buffers import as_input, as_root, check_apart, check_out, is_in_place
from collectives.catalogue import BLOCKED_INPUT, IN_PLACE, REDUCING, ROOTED
from collectives.choice import AUTO
from collectives.clock import ClockCalls
from collectives.errors import CollectivesError
from collectives.ops import resolve_op
from collectives.registry import Registry
from collectives.spec import Problem, block_shape_of

SIGNATURES_KEPT = 64  #: call signatures a cache keeps at the most
_FREED = "freed"  #: the failure of a freed communicator (no call is taken since)

Value = TypeVar("Value")
SidePlan = TypeVar("SidePlan")

Shape = tuple[int, ...]


class SignatureCache(dict[Hashable, Value]):
    """What is made once per call signature, for ``kept`` signatures at the most: once full, the
    cache starts again empty. Look up with ``get`` (which raises TypeError for a key that cannot
    be hashed, such as one holding an op given as a list); add with :meth:`keep`."""

    def __init__(self, kept: int = SIGNATURES_KEPT) -> None:
        super().__init__()
        self.kept = kept

    def keep(self, key: Any, value: Value) -> Value:
        """Keep ``value`` for ``key`` (unless ``key`` cannot be hashed); return ``value``."""
        try:
            hash(key)
        except TypeError:
            return value
        if len(self) >= self.kept:
            self.clear()
        self[key] = value
        return value


class CallFront(ClockCalls, Generic[SidePlan]):
    """What both communicators share: rank and size, the per-signature plans, the argument
    checks of the eight collectives, and the refusal of calls after one that failed midway.

    A side sets :attr:`_ALGORITHMS` (its registry), :attr:`_BROKEN` (what its unusable
    communicator's error adds), and makes a plan in :meth:`_new_plan`."""

    _ALGORITHMS: ClassVar[Registry[Any]]
    _BROKEN: ClassVar[str]

    def __init__(self, rank: int, size: int, default_group_size: int | None = None) -> None:
        self._rank = rank
        self._size = size
        #: G where a call gives no ``group_size`` (a hierarchical network's, in the world)
        self._default_group_size = default_group_size
        #: call signature -> (plan, this rank's result shape or None)
        self._plans: SignatureCache[tuple[SidePlan, Shape | None]] = SignatureCache()
        self._failure: str | None = None  #: why a call failed midway (no call is taken since)
        self.last_collective: str | None = None  #: the collective of the last completed call
        self.last_algorithm: str | None = None  #: the algorithm that ran in that call

    @property
    def rank(self) -> int:
        """This rank's number, 0..N-1."""
        return self._rank

    @property
    def size(self) -> int:
        """N, the number of ranks."""
        return self._size

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank={self._rank}, size={self._size})"

    @classmethod
    def algorithms(cls, collective: str) -> list[str]:
        """The algorithm names a collective takes on this side (under MPI also ``mpi``, MPI's
        built-in collective)."""
        return cls._ALGORITHMS.names(collective)

    def free(self) -> None:
        """Release what the communicator holds (a simulated rank holds nothing); it takes no
        call afterwards."""
        self._failure = _FREED

    @property
    def freed(self) -> bool:
        """True once :meth:`free` was called."""
        return self._failure is _FREED

    def __enter__(self) -> CallFront[SidePlan]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    # -- the side's part ----------------------------------------------------------------------

    def _new_plan(self, problem: Problem, algorithm: str | None) -> SidePlan:
        """The side's plan of a call of ``problem`` asking for ``algorithm`` (``auto`` or
        None for its choice), its algorithm checked against the problem."""
        raise NotImplementedError

    # -- the arguments of each collective -----------------------------------------------------

    def _broadcast_front(self, buf: Any, root: Any, algorithm: str | None, out: Any,
                         segments: int) -> tuple[int, SidePlan | None, np.ndarray | None,
                                                 np.ndarray | None, bool]:
        """broadcast's root, plan, the root's ``buf`` (None elsewhere), the array that receives
        the result and whether it is ``buf`` (the root without ``out``); no plan and no array
        off the root with neither ``buf`` nor ``out``."""
        root = as_root(root, "broadcast", self._size)
        if out is not None:
            x = as_input(buf, "broadcast", "buf") if self._rank == root else None
            shape, dtype = (None, None) if x is None else (x.shape, x.dtype)
            result = check_out(out, shape, dtype, "broadcast")
        elif self._rank == root:
            x = result = as_input(buf, "broadcast", "buf")
        elif buf is None:  # the shape and dtype come from the root
            self._check_name("broadcast", algorithm)
            return root, None, None, None, False
        else:  # any writeable layout: a Fortran-ordered or strided buf receives through a copy
            x, result = None, check_out(buf, None, None, "broadcast", "buf", contiguous=False)
        plan = self._plan("broadcast", result.shape, result.dtype, algorithm, root, None,
                          segments)[0]
        in_place = x is result
        if x is not None and not in_place:
            check_apart(result, x, "broadcast")
        return root, plan, x, result, in_place

    def _scatter_front(self, x: Any, root: Any, algorithm: str | None, out: Any,
                       segments: int) -> tuple[int, SidePlan | None, np.ndarray | None,
                                               np.ndarray | None, bool]:
        """scatter's root, plan, the root's ``x`` (None elsewhere: another rank's ``x`` gives
        only the block's shape and dtype) and the array that receives this rank's block; no plan
        and no array on a rank other than the root with neither ``x`` nor ``out``."""
        root = as_root(root, "scatter", self._size)
        if self._rank == root or x is not None:
            x = as_input(x, "scatter")
            block, dtype = block_shape_of("scatter", x.shape, self._size), x.dtype
        elif out is not None:
            block, dtype = check_out(out, None, None, "scatter").shape, out.dtype
        else:  # the block's shape and dtype come from the root
            self._check_name("scatter", algorithm)
            return root, None, None, None, False
        plan, shape = self._plan("scatter", block, dtype, algorithm, root, None, segments)
        source = x if self._rank == root else None
        return root, plan, source, self._result("scatter", shape, dtype, out, source)[0], False

    def _front(self, collective: str, x: Any, algorithm: str | None, out: Any, segments: int,
               root: Any = 0, op: Any = None, group_size: int | None = None
               ) -> tuple[SidePlan, np.ndarray, np.ndarray | None, bool]:
        """The plan, this rank's input, the array that receives its result (None where it gets
        none) and whether that is the input itself, of a collective every rank brings ``x`` to
        (gather, reduce, allgather, reduce_scatter, allreduce, alltoall)."""
        if collective in ROOTED:
            root = as_root(root, collective, self._size)
        x = as_input(x, collective)
        block = block_shape_of(collective, x.shape, self._size) \
            if collective in BLOCKED_INPUT else x.shape
        plan, shape = self._plan(collective, block, x.dtype, algorithm, root, op, segments,
                                 group_size)
        if shape is None:  # gather and reduce off the root
            return plan, x, None, False
        result, in_place = self._result(collective, shape, x.dtype, out, x)
        return plan, x, result, in_place

    # -- shared steps -------------------------------------------------------------------------

    def _plan(self, collective: str, block: Shape, dtype: np.dtype, algorithm: str | None,
              root: int = 0, op: Any = None, segments: int = 1,
              group_size: int | None = None) -> tuple[SidePlan, Shape | None]:
        """The call's plan and this rank's result shape (None where it gets none), made and
        checked once per signature (small calls repeat a few, and making a plan costs more than
        a small message)."""
        if self._failure is not None:  # tested here, not in a call: the per-call path
            self._check_usable()
        key = (collective, block, dtype, root, op, segments, type(segments), algorithm,
               group_size, type(group_size))
        try:
            entry = self._plans.get(key)
        except TypeError:  # an op or algorithm that cannot be hashed
            entry = None
        if entry is not None:
            return entry
        problem = Problem(collective, self._size, block, dtype, root,
                          resolve_op(op) if collective in REDUCING else None, segments=segments,
                          group_size=self._default_group_size if group_size is None
                          else group_size)
        plan = self._new_plan(problem, algorithm)
        return self._plans.keep(key, (plan, problem.output_shape(self._rank)))

    def _result(self, collective: str, shape: Shape | None, dtype: np.dtype, out: Any,
                x: np.ndarray | None) -> tuple[np.ndarray, bool]:
        """The array that receives this rank's result, ``out`` (checked) or a new one, and
        whether it is ``x`` itself (in place, where the collective has an in-place form)."""
        assert shape is not None  # only asked on ranks that get a result
        if out is None:
            return np.empty(shape, dtype=dtype), False
        check_out(out, shape, dtype, collective)
        in_place = x is not None and collective in IN_PLACE and is_in_place(out, x)
        if x is not None and not in_place:
            check_apart(out, x, collective)
        return out, in_place

    def _check_name(self, collective: str, algorithm: str | None) -> None:
        """Before a call whose plan waits for the root's block: refuse an unusable
        communicator or an unknown algorithm name, as planning would."""
        self._check_usable()
        if algorithm is not None and algorithm != AUTO:
            self._ALGORITHMS.get(collective, algorithm)

    def _check_usable(self) -> None:
        """Refuse a call on a communicator whose earlier call failed midway."""
        if self._failure is _FREED:
            raise CollectivesError(
                "expected a communicator that was not freed, got one freed with free()"
            )
        if self._failure is not None:
            raise CollectivesError(
                f"expected a communicator whose calls all completed, got one whose call "
                f"{self._failure}; {self._BROKEN}"
            )
