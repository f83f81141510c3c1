"""Cases and an independent numpy answer shared by the simulator tests.

The answer is written here from the definitions in the reference (not taken from
``collectives.spec``), so a test compares the simulator with numpy, not with itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from collectives.catalogue import CATALOGUE, ROOTED
from collectives.fold import is_power_of_two
from collectives.sim import SIM_ALGORITHMS

COLLECTIVES = ("broadcast", "scatter", "gather", "reduce",
               "allgather", "reduce_scatter", "allreduce", "alltoall")
RANKS = (1, 2, 3, 4, 5, 7, 8, 13)

# Every registered (collective, algorithm) pair, so a new algorithm is tested without asking.
ALGORITHMS: list[tuple[str, str]] = [(c, a) for c in COLLECTIVES for a in SIM_ALGORITHMS.names(c)]

# The ops MPI defines and the dtype kinds each accepts, from the MPI standard's table.
OP_UFUNCS: dict[str, np.ufunc] = {
    "sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum,
    "land": np.logical_and, "lor": np.logical_or, "lxor": np.logical_xor,
    "band": np.bitwise_and, "bor": np.bitwise_or, "bxor": np.bitwise_xor,
}
OP_KINDS: dict[str, str] = {
    "sum": "iufc", "prod": "iufc", "max": "iuf", "min": "iuf",
    "land": "iub", "lor": "iub", "lxor": "iub", "band": "iu", "bor": "iu", "bxor": "iu",
}


def counts_for(ranks: int) -> list[int]:
    """0, 1, fewer than N, not divisible by N, and larger (divisible and not)."""
    return sorted({0, 1, max(ranks - 1, 0), ranks + 1, 4 * ranks, 4 * ranks + 3})


def roots_for(collective: str, ranks: int) -> list[int]:
    """Every root for a rooted collective, 0 alone otherwise."""
    return list(range(ranks)) if collective in ROOTED else [0]


def runs_at(collective: str, algorithm: str, ranks: int) -> bool:
    """False where the algorithm refuses N (one that needs a power of two); its refusal is
    tested on its own."""
    return is_power_of_two(ranks) or not CATALOGUE[collective][algorithm].needs_power_of_two


def cases() -> list[tuple[str, str, int, int, int]]:
    """(collective, algorithm, N, count, root) for every algorithm, N it takes, count and root."""
    return [(c, a, n, count, root) for c, a in ALGORITHMS for n in RANKS if runs_at(c, a, n)
            for count in counts_for(n) for root in roots_for(c, n)]


def case_id(case: tuple[str, str, int, int, int]) -> str:
    """``allreduce-ring-N5-c21-r0``."""
    c, a, n, count, root = case
    return f"{c}-{a}-N{n}-c{count}-r{root}"


def input_shape(collective: str, ranks: int, block: tuple[int, ...]) -> tuple[int, ...]:
    """One rank's input shape: N blocks along the first axis where the collective wants them."""
    if collective in ("scatter", "reduce_scatter", "alltoall"):
        return (ranks, *block)
    return block


def labelled_inputs(collective: str, ranks: int, block: tuple[int, ...], root: int = 0,
                    dtype: str = "int64") -> list[np.ndarray | None]:
    """Rank r's element at flat position i is ``1000·(r + 1) + i``: each value names its rank and
    place, so a misplaced block shows. Non-roots of broadcast and scatter bring None."""
    shape = input_shape(collective, ranks, block)
    size = int(np.prod(shape))
    inputs: list[np.ndarray | None] = []
    for rank in range(ranks):
        if collective in ("broadcast", "scatter") and rank != root:
            inputs.append(None)
            continue
        values = 1000 * (rank + 1) + np.arange(size)
        inputs.append(values.astype(dtype).reshape(shape))
    return inputs


def fold(func: Callable[[np.ndarray, np.ndarray], np.ndarray],
         arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``arrays[0] ∘ arrays[1] ∘ ... ∘ arrays[-1]`` left to right, kept in the input dtype."""
    dtype = arrays[0].dtype
    return functools.reduce(lambda a, b: np.asarray(func(a, b)).astype(dtype), arrays)


def numpy_answer(collective: str, inputs: Sequence[np.ndarray | None], root: int,
                 func: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
                 ) -> list[np.ndarray | None]:
    """What each rank must hold afterwards, straight from the definitions."""
    n = len(inputs)
    xs = list(inputs)
    if collective == "broadcast":
        return [xs[root].copy() for _ in range(n)]
    if collective == "scatter":
        return [xs[root][i].copy() for i in range(n)]
    if collective == "gather":
        return [np.stack(xs) if i == root else None for i in range(n)]
    if collective == "allgather":
        return [np.stack(xs) for _ in range(n)]
    if collective == "alltoall":
        return [np.stack([x[j] for x in xs]) for j in range(n)]
    assert func is not None
    reduced = fold(func, xs)
    if collective == "reduce":
        return [reduced if i == root else None for i in range(n)]
    if collective == "allreduce":
        return [reduced for _ in range(n)]
    if collective == "reduce_scatter":
        return [reduced[j] for j in range(n)]
    raise ValueError(f"expected a collective, got {collective!r}")
