"""``algorithm="auto"``: the algorithm a call runs when it names none, chosen by collective,
message size and N: by the calibrated cost model when there is one, else from thresholds
measured with the benchmark on this machine.

With a calibration (``mpiexec -n 2 python -m mpi4py -m collectives calibrate``, read once per
process from :func:`collectives.calibration.calibration_path`), ``auto`` asks the simulator which
registered algorithm that can take the call is fastest on the calibrated model of the machine
(:func:`collectives.calibration.fastest_algorithm`; predictions are cached per call shape). The
model counts steps, bytes and reductions; it does not see how well each algorithm is implemented
here (the ring paths are segmented and overlap reduction with transfer, the others do not), so on
this machine the thresholds below are the better guide for large messages.

:func:`choose` is the whole policy (kept, free of MPI, in :mod:`collectives.choice`, which the
simulated world asks too), and a call's choice shows afterwards in
``Communicator.last_algorithm``. Every rank calls it with the same arguments, so every rank
picks the same algorithm. A non-commutative op always gets an algorithm that keeps rank order.
Below a collective's threshold the first candidate that is registered and takes the call (a
power-of-two N, say) runs; from the threshold up, the bandwidth algorithm.

How the thresholds were measured: ``python -m collectives bench COLLECTIVE -b 4K -e 64M -f 4``
(and ``-b 512K -e 16M -f 2`` around the crossovers) with every algorithm, N = 2 and N = 4
(oversubscribed: 2 cores), float32 sum, median of 3 runs on a quiet machine (2 AMD EPYC
cores, MPICH 5.0.2). Times are out of place, N = 2 / N = 4:

- all-reduce: ``recursive_doubling`` (lg N whole-buffer exchanges) against ``ring``: 4 KiB
  25 / 175 µs against 45 / 319 µs; 1 MiB 238 / 801 µs against 276 / 878 µs; 2 MiB 453 / 2000 µs
  against 484 / 1460 µs; 8 MiB 3489 / 10854 µs against 2218 / 6583 µs. Ring from 2 MiB.
  (``tree`` is the fallback where recursive doubling is not registered: 29 / 159 µs at 4 KiB.)
- all-gather: ``bruck`` (ceil(lg N) steps, any N) against ``recursive_doubling`` and ``ring``
  at N = 4: 4 KiB 91 µs against 98 and 101 µs, 256 KiB 281 µs against 304 and 345 µs; at N = 2
  all three are one exchange. From 1 MiB the differences were within the run-to-run spread
  (±10 %): ring, the textbook bandwidth algorithm.
- reduce-scatter: ``pairwise`` against ``ring``: 16 KiB 25 / 121 µs against 45 / 215 µs;
  1 MiB 168 / 528 µs against 193 / 559 µs; 4 MiB 578 / 2968 µs against 465 / 2574 µs. Ring
  from 2 MiB.
- broadcast: ``binomial`` (segmented, all children at once) was the fastest of this package's
  algorithms at every size out of place. In place at N = 4 it had trailed MPI's built-in
  (0.87x at 16 and 64 MiB) while ``scatter_allgather`` sometimes won; since waiting ranks yield
  the core when ranks outnumber cores (:mod:`collectives.mpi.transport`), binomial leads again:
  paired runs, ratio to the built-in at 16 / 64 MiB in place, binomial 1.21-1.46x / 1.10-1.18x,
  ``scatter_allgather`` 1.20-1.35x / 0.93-1.25x. Binomial throughout.
- scatter, gather, reduce, all-to-all: not measured here; the binomial trees and pairwise.
- several nodes (``Split_type`` finds nodes of equal size of consecutive ranks, or the call gives
  ``group_size``): ``hierarchical`` all-reduce from the ring's threshold. Not measured (one
  machine here); the simulator's hierarchical network predicts it (README).
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
