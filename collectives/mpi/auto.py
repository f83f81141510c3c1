"""``algorithm="auto"``: the algorithm a call runs when it names none, chosen by collective,
message size and N: by the calibrated cost model when there is one, else by fixed thresholds
per collective (:data:`collectives.choice.SMALL`; how they were chosen: docs/mpi.md).

With a calibration (``mpiexec -n 2 python -m mpi4py -m collectives calibrate``, read once per
process from :func:`collectives.calibration.calibration_path`), ``auto`` asks the simulator which
registered algorithm that can take the call is fastest on the calibrated model of the machine
(:func:`collectives.calibration.fastest_algorithm`; predictions are cached per call shape). The
model counts steps, bytes and reductions; it does not see how well each algorithm is implemented
here (the ring paths are segmented and overlap reduction with transfer, the others do not), so
for large messages it can pick an algorithm the thresholds would not.

:func:`choose` is the whole policy (kept, free of MPI, in :mod:`collectives.choice`, which the
simulated world asks too), and a call's choice shows afterwards in
``Communicator.last_algorithm``. Every rank calls it with the same arguments, so every rank
picks the same algorithm. A non-commutative op always gets an algorithm that keeps rank order.
Below a collective's threshold the first candidate that is registered and takes the call (a
power-of-two N, say) runs; from the threshold up, the bandwidth algorithm.

The thresholds, in bytes of the reference's K, the same for every N:

- all-reduce: ``recursive_doubling`` (lg N whole-buffer exchanges; ``tree`` where it is not
  registered) below 2 MiB, ``ring`` from there;
- all-gather: ``bruck`` (ceil(lg N) steps, any N) below 1 MiB, ``ring`` from there;
- reduce-scatter: ``pairwise`` below 2 MiB, ``ring`` from there;
- broadcast, scatter, gather, reduce: ``binomial`` at every size; all-to-all: ``pairwise``.
- several nodes (``Split_type`` finds nodes of equal size of consecutive ranks, or the call gives
  ``group_size``): ``hierarchical`` all-reduce from the ring's threshold.
"""

from __future__ import annotations

from collectives.choice import AUTO, IN_ORDER, LARGE, MIB, SMALL, choose_among
from collectives.mpi.registry import BUILTIN, MPI_ALGORITHMS
from collectives.ops import Op

__all__ = ["AUTO", "IN_ORDER", "LARGE", "MIB", "SMALL", "choose"]


def choose(collective: str, nbytes: int, size: int, op: Op | None = None,
           group_size: int | None = None) -> str:
    """The algorithm ``auto`` runs for ``collective`` on ``size`` ranks with a message of
    ``nbytes`` bytes (the reference's K: one rank's buffer for broadcast, reduce and all-reduce,
    all N blocks for the others), in nodes of ``group_size`` ranks (None: one node), among the
    algorithms registered on the MPI side."""
    registered = [name for name in MPI_ALGORITHMS.names(collective) if name != BUILTIN]
    return choose_among(collective, nbytes, size, op, registered, group_size)
