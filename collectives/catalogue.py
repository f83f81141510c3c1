"""What each collective and algorithm is, and what it demands, for both implementations.

One record per collective says what it computes and how its buffers are laid out; one per
algorithm what it demands. The simulator, the MPI side and the reference costs register code
under these names (tests/test_registries.py holds each registry to the catalogue's names); what
an algorithm can refuse (a non-commutative op, N not a power of two) is decided here once, with an
error that names an algorithm that can do the job.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectives.errors import InvalidInputError, UnknownAlgorithmError, UnsupportedError
from collectives.fold import is_power_of_two
from collectives.ops import Op


@dataclass(frozen=True)
class CollectiveInfo:
    """What a collective computes and how its buffers are laid out, ``count`` elements a block.

    Every layer reads these: the shapes, working buffer, numpy answer and provenance of
    :mod:`collectives.spec`, the reference's size K, the benchmark's sizes and calls.
    """

    name: str
    summary: str  #: what each rank gets
    reducing: bool = False  #: combines the ranks' data with an op, in rank order
    input_at_root: bool = False  #: only the root brings data
    output_at_root: bool = False  #: only the root gets a result
    #: an input holds one block per rank along its first axis, and rank r's result is of blocks r
    blocked_input: bool = False
    stacked_output: bool = False  #: a result stacks one block per rank along its first axis
    in_place: bool = False  #: has an in-place form, the result written over the input

    @property
    def rooted(self) -> bool:
        """True where one rank, the root, alone brings the data or gets the result."""
        return self.input_at_root or self.output_at_root

    @property
    def one_buffer(self) -> bool:
        """True where ``count`` is one rank's whole buffer: neither input nor result is in
        blocks (broadcast, reduce, all-reduce)."""
        return not (self.blocked_input or self.stacked_output)

    @property
    def input_beside_result(self) -> bool:
        """True where the working buffer holds the input and the result side by side, N blocks
        each (all-to-all: a block is sent after others have arrived); elsewhere they share it."""
        return self.blocked_input and self.stacked_output

    def blocks(self, ranks: int) -> int:
        """Blocks of ``count`` elements in the reference's size K: one rank's buffer for a
        one-buffer collective, else all N blocks together."""
        return 1 if self.one_buffer else ranks


_COLLECTIVES: tuple[CollectiveInfo, ...] = (
    CollectiveInfo("broadcast", "every rank gets the root's buffer", input_at_root=True,
                   in_place=True),
    CollectiveInfo("scatter", "rank r gets block r of the root's input", input_at_root=True,
                   blocked_input=True),
    CollectiveInfo("gather", "the root gets every rank's block, stacked in rank order",
                   output_at_root=True, stacked_output=True),
    CollectiveInfo("reduce", "the root gets x0 ∘ x1 ∘ ... ∘ x(N-1)", reducing=True,
                   output_at_root=True, in_place=True),
    CollectiveInfo("allgather", "every rank gets every rank's block, stacked in rank order",
                   stacked_output=True),
    CollectiveInfo("reduce_scatter", "rank r gets x0[r] ∘ x1[r] ∘ ... ∘ x(N-1)[r]",
                   reducing=True, blocked_input=True),
    CollectiveInfo("allreduce", "every rank gets x0 ∘ x1 ∘ ... ∘ x(N-1)", reducing=True,
                   in_place=True),
    CollectiveInfo("alltoall", "rank r gets block r of every rank, stacked in rank order",
                   blocked_input=True, stacked_output=True, in_place=True),
)
COLLECTIVE_INFO: dict[str, CollectiveInfo] = {info.name: info for info in _COLLECTIVES}
COLLECTIVES: tuple[str, ...] = tuple(COLLECTIVE_INFO)
ROOTED: frozenset[str] = frozenset(c.name for c in _COLLECTIVES if c.rooted)
REDUCING: frozenset[str] = frozenset(c.name for c in _COLLECTIVES if c.reducing)
BLOCKED_INPUT: frozenset[str] = frozenset(c.name for c in _COLLECTIVES if c.blocked_input)
IN_PLACE: frozenset[str] = frozenset(c.name for c in _COLLECTIVES if c.in_place)


@dataclass(frozen=True)
class AlgorithmInfo:
    """An algorithm's name, one-line summary and demands."""

    collective: str
    name: str
    summary: str
    keeps_rank_order: bool = True
    needs_power_of_two: bool = False
    pipelines: bool = False  #: cuts the data into Problem.segments pieces that overlap in flight
    #: works in nodes of Problem.group_size ranks, which must all be that size (G divides N)
    needs_equal_nodes: bool = False


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
    AlgorithmInfo("allgather", "hierarchical",
                  "ring all-gather across nodes of each place's blocks, then ring all-gather "
                  "inside each node", needs_equal_nodes=True),
    AlgorithmInfo("reduce_scatter", "ring", "N - 1 steps around a ring", keeps_rank_order=False),
    AlgorithmInfo("reduce_scatter", "pairwise",
                  "N - 1 steps; at step s rank r sends block r + s to rank r + s",
                  keeps_rank_order=False),
    AlgorithmInfo("reduce_scatter", "binomial",
                  "binomial reduce to rank 0 in rank order, then binomial scatter"),
    AlgorithmInfo("reduce_scatter", "recursive_halving",
                  "lg N steps halving the blocks held; fold for other N", keeps_rank_order=False),
    AlgorithmInfo("reduce_scatter", "hierarchical",
                  "ring reduce-scatter inside each node, then ring reduce-scatter across nodes "
                  "of each place's blocks", keeps_rank_order=False, needs_equal_nodes=True),
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
    AlgorithmInfo("allreduce", "swing",
                  "reduce-scatter then all-gather with peers r ± 1, 3, 5, 11, ... (Swing); fold "
                  "for other N", keeps_rank_order=False),
    AlgorithmInfo("allreduce", "swing_latency",
                  "lg N whole-buffer exchanges with peers r ± 1, 3, 5, 11, ... (Swing); fold for "
                  "other N", keeps_rank_order=False),
    AlgorithmInfo("allreduce", "hierarchical",
                  "ring reduce-scatter inside each node, ring all-reduce of each rank's 1/G "
                  "across nodes, ring all-gather inside each node", keeps_rank_order=False,
                  needs_equal_nodes=True),
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


def collective_info(collective: str) -> CollectiveInfo:
    """The record of ``collective``; an unknown name lists the valid ones."""
    check_collective(collective)
    return COLLECTIVE_INFO[collective]


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


def check_supported(info: AlgorithmInfo, op: Op | None, size: int, segments: int = 1,
                    group_size: int | None = None) -> None:
    """Raise when ``info``'s algorithm cannot take ``op``, ``size``, ``segments`` or nodes of
    ``group_size`` ranks; name one that can."""
    if segments != 1 and not info.pipelines:
        able = [a.name for a in CATALOGUE[info.collective].values() if a.pipelines]
        hint = (f"use algorithm {' or '.join(repr(a) for a in able)}" if able
                else f"no {info.collective} algorithm pipelines")
        raise UnsupportedError(
            f"{info.collective} algorithm {info.name!r} does not pipeline, so it expected "
            f"segments=1, got segments={segments}; {hint}"
        )
    if COLLECTIVE_INFO[info.collective].reducing and op is not None and not op.commutative \
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
    if info.needs_equal_nodes and group_size is not None and size % group_size:
        raise UnsupportedError(
            f"{info.collective} algorithm {info.name!r} works in nodes of equal size, so it "
            f"expected N a multiple of group_size {group_size}, got N = {size} (nodes of "
            f"{group_size} and a last one of {size % group_size}); use algorithm 'ring', "
            "the flat ring"
        )


def runnable_algorithms(collective: str, names: list[str], op: Op | None,
                        size: int, group_size: int | None = None
                        ) -> tuple[list[str], list[str]]:
    """Split ``names`` into those that can run with ``op`` on ``size`` ranks and those that
    refuse; names the catalogue does not list (such as the MPI side's ``mpi``) count as
    runnable."""
    able, refused = [], []
    for name in names:
        info = CATALOGUE[collective].get(name)
        try:
            if info is not None:
                check_supported(info, op, size, group_size=group_size)
        except UnsupportedError:
            refused.append(name)
        else:
            able.append(name)
    return able, refused
