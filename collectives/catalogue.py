"""What each collective and algorithm is, and what it demands, for both implementations.

The simulator and the MPI side register code under these names; what an algorithm can refuse
(a non-commutative op, N not a power of two) is decided here once, with an error that names an
algorithm that can do the job.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectives.errors import InvalidInputError, UnknownAlgorithmError, UnsupportedError
from collectives.fold import is_power_of_two
from collectives.ops import Op

COLLECTIVES: tuple[str, ...] = (
    "broadcast", "scatter", "gather", "reduce",
    "allgather", "reduce_scatter", "allreduce", "alltoall",
)
ROOTED: frozenset[str] = frozenset({"broadcast", "scatter", "gather", "reduce"})
REDUCING: frozenset[str] = frozenset({"reduce", "reduce_scatter", "allreduce"})
# Collectives whose per-rank input holds one block per rank along its first axis.
BLOCKED_INPUT: frozenset[str] = frozenset({"reduce_scatter", "alltoall"})


@dataclass(frozen=True)
class AlgorithmInfo:
    """An algorithm's name, one-line summary and demands."""

    collective: str
    name: str
    summary: str
    keeps_rank_order: bool = True
    needs_power_of_two: bool = False
    pipelines: bool = False  #: cuts the data into Problem.segments pieces that overlap in flight


_ALGORITHMS: tuple[AlgorithmInfo, ...] = (
    AlgorithmInfo("broadcast", "binomial", "binomial tree from the root"),
    AlgorithmInfo("broadcast", "scatter_allgather",
                  "binomial scatter of N chunks, then ring all-gather (van de Geijn)"),
    AlgorithmInfo("broadcast", "pipeline", "chain root -> root + 1 -> ... in S segments",
                  pipelines=True),
    AlgorithmInfo("scatter", "binomial", "binomial tree, parents forward subtree blocks"),
    AlgorithmInfo("scatter", "linear", "the root sends each rank its block in turn"),
    AlgorithmInfo("gather", "binomial", "binomial tree, parents collect subtree blocks"),
    AlgorithmInfo("gather", "linear", "each rank sends its block to the root in turn"),
    AlgorithmInfo("reduce", "binomial",
                  "binomial tree; in rank order, via rank 0, for non-commutative ops"),
    AlgorithmInfo("reduce", "reduce_scatter_gather",
                  "recursive-halving reduce-scatter, binomial gather to the root (Rabenseifner)",
                  keeps_rank_order=False),
    AlgorithmInfo("allgather", "ring", "N - 1 steps around a ring"),
    AlgorithmInfo("allgather", "bruck",
                  "ceil(lg N) steps; at step k rank r sends its blocks r.. to r - 2^k"),
    AlgorithmInfo("allgather", "recursive_doubling",
                  "lg N steps; at step k rank r swaps its 2^k blocks with r XOR 2^k",
                  needs_power_of_two=True),
    AlgorithmInfo("reduce_scatter", "ring", "N - 1 steps around a ring", keeps_rank_order=False),
    AlgorithmInfo("reduce_scatter", "pairwise",
                  "N - 1 steps; at step s rank r sends block r + s to rank r + s",
                  keeps_rank_order=False),
    AlgorithmInfo("reduce_scatter", "binomial",
                  "binomial reduce to rank 0 in rank order, then binomial scatter"),
    AlgorithmInfo("reduce_scatter", "recursive_halving",
                  "lg N steps halving the blocks held; fold for other N", keeps_rank_order=False),
    AlgorithmInfo("allreduce", "ring", "ring reduce-scatter then ring all-gather",
                  keeps_rank_order=False),
    AlgorithmInfo("allreduce", "tree", "binomial reduce to rank 0 then binomial broadcast"),
    AlgorithmInfo("allreduce", "double_binary_tree",
                  "NCCL's two trees, half the data each, reduced up and broadcast down in S "
                  "segments", keeps_rank_order=False, pipelines=True),
    AlgorithmInfo("allreduce", "recursive_doubling",
                  "lg N whole-buffer exchanges with r XOR 2^k, in rank order; fold for other N"),
    AlgorithmInfo("allreduce", "rabenseifner",
                  "recursive-halving reduce-scatter then recursive-doubling all-gather",
                  keeps_rank_order=False),
    AlgorithmInfo("alltoall", "pairwise", "N - 1 steps; at step s rank r sends to r + s"),
    AlgorithmInfo("alltoall", "bruck",
                  "ceil(lg N) steps; at step k the blocks whose distance has bit k go 2^k on"),
)

CATALOGUE: dict[str, dict[str, AlgorithmInfo]] = {name: {} for name in COLLECTIVES}
for _info in _ALGORITHMS:
    CATALOGUE[_info.collective][_info.name] = _info


def check_collective(collective: str) -> None:
    """Raise unless ``collective`` is one of :data:`COLLECTIVES`."""
    if collective not in COLLECTIVES:
        raise InvalidInputError(
            f"expected a collective, one of {', '.join(COLLECTIVES)}; got {collective!r}"
        )


def algorithm_info(collective: str, name: str) -> AlgorithmInfo:
    """The catalogue entry of ``name``; an unknown name lists the valid ones."""
    check_collective(collective)
    try:
        return CATALOGUE[collective][name]
    except KeyError:
        raise UnknownAlgorithmError(
            f"expected one of the {collective} algorithms "
            f"({', '.join(CATALOGUE[collective])}), got {name!r}"
        ) from None


def check_supported(info: AlgorithmInfo, op: Op | None, size: int, segments: int = 1) -> None:
    """Raise when ``info``'s algorithm cannot take ``op``, ``size`` or ``segments``; name one
    that can."""
    if segments != 1 and not info.pipelines:
        able = [a.name for a in CATALOGUE[info.collective].values() if a.pipelines]
        hint = (f"use algorithm {' or '.join(repr(a) for a in able)}" if able
                else f"no {info.collective} algorithm pipelines")
        raise UnsupportedError(
            f"{info.collective} algorithm {info.name!r} does not pipeline, so it expected "
            f"segments=1, got segments={segments}; {hint}"
        )
    if info.collective in REDUCING and op is not None and not op.commutative \
            and not info.keeps_rank_order:
        able = [a.name for a in CATALOGUE[info.collective].values() if a.keeps_rank_order]
        raise UnsupportedError(
            f"{info.collective} algorithm {info.name!r} combines data out of rank order, so it "
            f"expected a commutative op, got the non-commutative op {op.name!r}; "
            f"use algorithm {' or '.join(repr(a) for a in able)}"
        )
    if info.needs_power_of_two and not is_power_of_two(size):
        able = [a.name for a in CATALOGUE[info.collective].values() if not a.needs_power_of_two]
        raise UnsupportedError(
            f"{info.collective} algorithm {info.name!r} expected a power-of-two number of ranks, "
            f"got {size}; use algorithm {' or '.join(repr(a) for a in able)}"
        )


def runnable_algorithms(collective: str, names: list[str], op: Op | None,
                        size: int) -> tuple[list[str], list[str]]:
    """Split ``names`` into those that can run with ``op`` on ``size`` ranks and those that
    refuse; names the catalogue does not list (such as the MPI side's ``mpi``) count as
    runnable."""
    able, refused = [], []
    for name in names:
        info = CATALOGUE[collective].get(name)
        try:
            if info is not None:
                check_supported(info, op, size)
        except UnsupportedError:
            refused.append(name)
        else:
            able.append(name)
    return able, refused
