"""What ``algorithm="auto"`` runs: one policy, free of MPI, for the MPI side and the simulated
world.

docs/mpi.md tells how the thresholds below were chosen. Both sides call
:func:`choose_among` with the algorithms they have registered (the same names: the simulator's
are the MPI side's without MPI's built-in ``mpi``), so a program picks the same algorithm under
``mpiexec`` and on simulated ranks. With a calibration the simulator's model picks the fastest
candidate; else a non-commutative op gets an algorithm that keeps rank order, a message below
the collective's threshold the first small-message candidate that takes the call, and a larger
one the bandwidth algorithm. Cost: a few dictionary look-ups (a calibrated choice is cached per
call shape by :mod:`collectives.calibration`).
"""

from __future__ import annotations

from collections.abc import Sequence

from collectives.calibration import current_calibration, fastest_algorithm
from collectives.catalogue import CATALOGUE, check_collective, check_supported
from collectives.errors import UnsupportedError
from collectives.ops import Op

AUTO = "auto"

MIB = 1024 * 1024

# The algorithm for large messages (at or above the threshold), per collective.
LARGE: dict[str, str] = {
    "broadcast": "binomial", "scatter": "binomial", "gather": "binomial", "reduce": "binomial",
    "allgather": "ring", "reduce_scatter": "ring", "allreduce": "ring", "alltoall": "pairwise",
}
# Below ``threshold`` bytes: the first of the candidates that is registered and takes the call.
SMALL: dict[str, tuple[int, tuple[str, ...]]] = {
    "allreduce": (2 * MIB, ("recursive_doubling", "tree")),
    "allgather": (1 * MIB, ("bruck",)),
    "reduce_scatter": (2 * MIB, ("pairwise",)),
}
# For a non-commutative op, which ring, pairwise and the halving algorithms cannot take.
IN_ORDER: dict[str, str] = {"reduce_scatter": "binomial", "allreduce": "tree"}
# In several nodes of equal size, from the collective's threshold up (below it, as on one node).
IN_NODES: dict[str, str] = {"allreduce": "hierarchical"}


def choose_among(collective: str, nbytes: int, size: int, op: Op | None,
                 registered: Sequence[str], group_size: int | None = None) -> str:
    """The algorithm ``auto`` runs for ``collective`` on ``size`` ranks with a message of
    ``nbytes`` bytes (the reference's K), among the catalogue algorithms ``registered`` on the
    side that asks; ``group_size`` G where the ranks sit in nodes of G consecutive ranks.

    Several nodes (1 < G < N, G dividing N) and a large message get the algorithm of
    :data:`IN_NODES`, ahead of a calibration (made on one node, it knows nothing of the links
    between nodes); one node, or none given, chooses as before."""
    check_collective(collective)
    several = group_size is not None and 1 < group_size < size and size % group_size == 0
    threshold, candidates = SMALL.get(collective, (0, ()))
    grouped = IN_NODES.get(collective)
    if several and grouped in registered and nbytes >= threshold \
            and _takes(collective, grouped, op, size):
        return grouped
    calibration = current_calibration()
    if calibration is not None:
        candidates = [name for name in registered if _takes(collective, name, op, size)
                      and not CATALOGUE[collective][name].needs_equal_nodes]
        return fastest_algorithm(calibration, collective, nbytes, size, candidates, op)
    if op is not None and not op.commutative and collective in IN_ORDER:
        return IN_ORDER[collective]
    if nbytes < threshold:
        for name in candidates:
            if name in registered and _takes(collective, name, op, size):
                return name
    return LARGE[collective]


def _takes(collective: str, name: str, op: Op | None, size: int) -> bool:
    """True when catalogue algorithm ``name`` can take ``op`` on ``size`` ranks."""
    try:
        check_supported(CATALOGUE[collective][name], op, size)
    except UnsupportedError:
        return False
    return True
