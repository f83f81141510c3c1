"""``algorithm="auto"``: the algorithm a call runs when it names none, chosen by collective,
message size and N, from thresholds measured with the benchmark on this machine.

:func:`choose` is the whole policy; every rank calls it with the same arguments, so every rank
picks the same algorithm. A non-commutative op always gets an algorithm that keeps rank order.

Thresholds (``python -m collectives bench``, 2 AMD EPYC cores, MPICH 5.0.2, float32 sum, median
of repeated runs; see the README's benchmark section):

- all-reduce: below 64 KiB a latency algorithm (``recursive_doubling`` where it is registered,
  else ``tree``), ``ring`` from there up. Measured N = 2: ...
"""

from __future__ import annotations

from collectives.catalogue import CATALOGUE, check_collective, check_supported
from collectives.errors import UnsupportedError
from collectives.mpi.registry import MPI_ALGORITHMS
from collectives.ops import Op

AUTO = "auto"

# The algorithm for large messages, per collective.
LARGE: dict[str, str] = {
    "broadcast": "binomial", "scatter": "binomial", "gather": "binomial", "reduce": "binomial",
    "allgather": "ring", "reduce_scatter": "ring", "allreduce": "ring", "alltoall": "pairwise",
}
# Below ``threshold`` bytes, the first of these that is registered and takes the call.
SMALL: dict[str, tuple[int, tuple[str, ...]]] = {
    "allreduce": (64 * 1024, ("recursive_doubling", "tree")),
}
# For a non-commutative op, which ring and the halving algorithms cannot take.
IN_ORDER: dict[str, str] = {"reduce_scatter": "binomial", "allreduce": "tree"}


def choose(collective: str, nbytes: int, size: int, op: Op | None = None) -> str:
    """The algorithm ``auto`` runs for ``collective`` on ``size`` ranks with a message of
    ``nbytes`` bytes (the reference's K: one rank's buffer for broadcast, reduce and all-reduce,
    all N blocks for the others)."""
    check_collective(collective)
    if op is not None and not op.commutative and collective in IN_ORDER:
        return IN_ORDER[collective]
    threshold, candidates = SMALL.get(collective, (0, ()))
    if nbytes < threshold:
        for name in candidates:
            if _takes(collective, name, op, size):
                return name
    return LARGE[collective]


def _takes(collective: str, name: str, op: Op | None, size: int) -> bool:
    """True when ``name`` is registered on the MPI side and can take ``op`` on ``size`` ranks."""
    if name not in MPI_ALGORITHMS.names(collective):
        return False
    try:
        check_supported(CATALOGUE[collective][name], op, size)
    except UnsupportedError:
        return False
    return True
